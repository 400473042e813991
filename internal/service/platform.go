package service

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Platform names a service manager that ipcd can install itself into.
type Platform string

// The supported platforms.
const (
	PlatformSystemd Platform = "linux-systemd"  // systemd user unit
	PlatformLaunchd Platform = "darwin-launchd" // launchd LaunchAgent
	PlatformWindows Platform = "windows"        // Windows service control manager
)

// Names of the service on each platform.
const (
	// UnitName is the systemd user unit.
	UnitName = "ipcd.service"
	// LaunchdLabel is the launchd job label and the plist's base name.
	LaunchdLabel = "dev.ipcd"
	// WindowsName is the Windows service name.
	WindowsName = "ipcd"
)

// ErrInvalidConfig is returned by Render for a configuration that cannot be
// written into a service file.
var ErrInvalidConfig = errors.New("invalid service configuration")

// PlatformFor returns the platform ipcd uses on an operating system (a GOOS
// value), and false where it supports none.
func PlatformFor(goos string) (Platform, bool) {
	switch goos {
	case "linux":
		return PlatformSystemd, true
	case "darwin":
		return PlatformLaunchd, true
	case "windows":
		return PlatformWindows, true
	}
	return "", false
}

// Config is what a service file depends on. Paths are spelled the way the
// target platform spells them, so Render works for any target on any host.
type Config struct {
	// Executable is the absolute path of the ipcd binary.
	Executable string
	// Home is the user's home directory; the unit or plist goes under it.
	// Not used for Windows.
	Home string
	// DataDir and Socket, when set, are passed as --data-dir and --socket.
	// Left empty, the daemon finds its defaults the same way clients do.
	DataDir string
	Socket  string
	// SecretFile, when set, is passed as --secret-file: the path of the
	// secret, never the secret itself.
	SecretFile string
}

// Plan is everything an install writes or registers, as Render produced it.
type Plan struct {
	Platform Platform
	// Name is the name the service manager knows the service by.
	Name        string
	DisplayName string
	Description string
	// Path and Content are the service file (systemd and launchd only).
	Path    string
	Content string
	// Executable and Arguments are the command the service runs.
	Executable string
	Arguments  []string
	// StartType, OnFailure and RestartDelay are the Windows settings.
	StartType    string
	OnFailure    string
	RestartDelay string
}

const (
	displayName = "ipcd mailbox daemon"
	description = "ipcd, the local mailbox that lets AI assistants message each other"
	docsURL     = "https://github.com/ipcd/ipcd/blob/main/docs/operations.md"
	restartSec  = 3 // seconds between a crash and the restart, on every platform
)

// Render returns the plan for installing ipcd on platform. It has no side
// effects, so --dry-run output can be produced and tested for any target.
func Render(platform Platform, cfg Config) (Plan, error) {
	if err := validate(platform, cfg); err != nil {
		return Plan{}, err
	}
	args := arguments(cfg)
	switch platform {
	case PlatformSystemd:
		return renderSystemd(cfg, args), nil
	case PlatformLaunchd:
		return renderLaunchd(cfg, args), nil
	case PlatformWindows:
		return renderWindows(cfg, args), nil
	}
	return Plan{}, fmt.Errorf("render service: %w: unknown platform %q", ErrInvalidConfig, platform)
}

// arguments is the command line after the executable. The secret is never
// part of it: the daemon reads it from its 0600 file.
func arguments(cfg Config) []string {
	args := []string{"run"}
	if cfg.DataDir != "" {
		args = append(args, "--data-dir", cfg.DataDir)
	}
	if cfg.Socket != "" {
		args = append(args, "--socket", cfg.Socket)
	}
	if cfg.SecretFile != "" {
		args = append(args, "--secret-file", cfg.SecretFile)
	}
	return args
}

func validate(platform Platform, cfg Config) error {
	type field struct {
		name, value string
		required    bool
	}
	fields := []field{
		{"executable", cfg.Executable, true},
		{"home", cfg.Home, platform != PlatformWindows},
		{"data dir", cfg.DataDir, false},
		{"socket", cfg.Socket, false},
		{"secret file", cfg.SecretFile, false},
	}
	for _, f := range fields {
		switch {
		case f.value == "" && f.required:
			return fmt.Errorf("render service: %w: %s is empty", ErrInvalidConfig, f.name)
		case f.value == "" || f.name == "home" && platform == PlatformWindows:
			continue
		case !isAbs(platform, f.value):
			return fmt.Errorf("render service: %w: %s %q is not an absolute path", ErrInvalidConfig, f.name, f.value)
		case strings.ContainsFunc(f.value, isControl):
			return fmt.Errorf("render service: %w: %s %q contains a control character", ErrInvalidConfig, f.name, f.value)
		case !utf8.ValidString(f.value):
			// systemd ignores a line that is not UTF-8.
			return fmt.Errorf("render service: %w: %s %q is not valid UTF-8", ErrInvalidConfig, f.name, f.value)
		case strings.Contains(f.value, "{{"):
			// kardianos/service renders the unit through a template.
			return fmt.Errorf("render service: %w: %s %q contains \"{{\"", ErrInvalidConfig, f.name, f.value)
		}
	}
	if platform == PlatformSystemd && strings.ContainsAny(cfg.Executable, systemdUnsafe) {
		return fmt.Errorf("render service: %w: systemd refuses to run %q because its path contains a quote or "+
			"a backslash; move ipcd to another directory", ErrInvalidConfig, cfg.Executable)
	}
	return nil
}

// isAbs judges a path by the target platform's rules, not the host's.
func isAbs(platform Platform, p string) bool {
	if platform != PlatformWindows {
		return strings.HasPrefix(p, "/")
	}
	if strings.HasPrefix(p, `\\`) {
		return true // UNC
	}
	return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') &&
		(p[0] >= 'A' && p[0] <= 'Z' || p[0] >= 'a' && p[0] <= 'z')
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
