package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path"
	"strings"

	"github.com/kardianos/service"
)

// kardianosManager is the production Manager. Its outside world (the
// chosen service system, commands, files) is in fields so that detection
// can be tested without a service manager.
type kardianosManager struct {
	system   func() service.System
	command  func(ctx context.Context, name string, args ...string) (string, error)
	lookPath func(string) (string, error)
	readFile func(string) ([]byte, error)
	home     func() (string, error)
}

// NewManager returns the Manager of this machine, built on
// github.com/kardianos/service.
func NewManager() Manager {
	return &kardianosManager{
		system:   service.ChosenSystem,
		command:  combinedOutput,
		lookPath: exec.LookPath,
		readFile: os.ReadFile,
		home:     os.UserHomeDir,
	}
}

func combinedOutput(ctx context.Context, name string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

// Detect accepts systemd only when "systemctl --user" reaches a user
// manager: with no user bus (su, sudo, ssh without a login session, a
// container) an install could write the unit but never enable it.
func (k *kardianosManager) Detect(ctx context.Context) (Platform, error) {
	sys := k.system()
	if sys == nil {
		return "", &UnsupportedError{Detected: "nothing", Reason: "no service manager was found"}
	}
	name := sys.String()
	switch name {
	case "linux-systemd":
		out, err := k.command(ctx, "systemctl", "--user", "show", "--property=Version")
		if err != nil {
			return "", &UnsupportedError{Detected: name, Reason: fmt.Sprintf(
				"\"systemctl --user\" cannot reach your user manager (%s); log in directly rather than through su or sudo, "+
					"or enable lingering with \"loginctl enable-linger $USER\"", firstLine(out, err))}
		}
		return PlatformSystemd, nil
	case "darwin-launchd":
		return PlatformLaunchd, nil
	case "windows-service":
		return PlatformWindows, nil
	}
	reason := "ipcd installs itself only as a systemd user service, a launchd agent or a Windows service"
	if _, err := k.lookPath("systemctl"); err == nil {
		init := "unknown"
		if b, err := k.readFile("/proc/1/comm"); err == nil {
			init = strings.TrimSpace(string(b))
		}
		reason = fmt.Sprintf("systemd is installed but is not running (PID 1 is %q), as in most containers", init)
	}
	return "", &UnsupportedError{Detected: name, Reason: reason}
}

func firstLine(out string, err error) string {
	if line, _, _ := strings.Cut(strings.TrimSpace(out), "\n"); line != "" {
		return line
	}
	return err.Error()
}

// service builds the kardianos service for p. The file content is passed
// as the "template": Render already produced the final text, so what
// --dry-run prints is byte for byte what is written.
func (k *kardianosManager) service(p Plan) (service.Service, error) {
	if strings.Contains(p.Content, "{{") {
		return nil, fmt.Errorf("prepare service: a path contains \"{{\", which the service library cannot write")
	}
	cfg := &service.Config{
		Name:        p.Name,
		DisplayName: p.DisplayName,
		Description: p.Description,
		Executable:  p.Executable,
		Arguments:   p.Arguments,
		Option:      service.KeyValue{},
	}
	switch p.Platform {
	case PlatformSystemd:
		cfg.Option["UserService"] = true
		cfg.Option["SystemdScript"] = p.Content
	case PlatformLaunchd:
		cfg.Option["UserService"] = true
		cfg.Option["LaunchdConfig"] = p.Content
	case PlatformWindows:
		cfg.Option["StartType"] = p.StartType
		cfg.Option["OnFailure"] = p.OnFailure
		cfg.Option["OnFailureDelayDuration"] = p.RestartDelay
	default:
		return nil, fmt.Errorf("prepare service: unknown platform %q", p.Platform)
	}
	sys := k.system()
	if sys == nil {
		return nil, &UnsupportedError{Detected: "nothing", Reason: "no service manager was found"}
	}
	s, err := sys.New(noProgram{}, cfg)
	if err != nil {
		return nil, fmt.Errorf("prepare service: %w", err)
	}
	return s, nil
}

// kardianosPath is where kardianos writes the file of p; the rollback
// removes p.Path, so the two must agree.
func (k *kardianosManager) kardianosPath(p Plan) (string, error) {
	var home string
	var err error
	switch p.Platform {
	case PlatformSystemd:
		home, err = k.home()
		return path.Join(home, ".config/systemd/user", p.Name+".service"), err
	case PlatformLaunchd:
		if u, uerr := user.Current(); uerr == nil {
			home = u.HomeDir
		} else {
			home, err = k.home()
		}
		return path.Join(home, "Library/LaunchAgents", p.Name+".plist"), err
	}
	return "", nil
}

func (k *kardianosManager) Install(ctx context.Context, p Plan) error {
	s, err := k.prepare(ctx, p)
	if err != nil {
		return err
	}
	want, err := k.kardianosPath(p)
	if err != nil {
		return fmt.Errorf("find home directory: %w", err)
	}
	if want != p.Path {
		return fmt.Errorf("install service: the file would be written to %s, not %s; check HOME", want, p.Path)
	}
	return withHint(s.Install())
}

func (k *kardianosManager) Uninstall(ctx context.Context, p Plan) error {
	s, err := k.prepare(ctx, p)
	if err != nil {
		return err
	}
	return withHint(s.Uninstall())
}

func (k *kardianosManager) Start(ctx context.Context, p Plan) error {
	s, err := k.prepare(ctx, p)
	if err != nil {
		return err
	}
	return withHint(s.Start())
}

func (k *kardianosManager) Stop(ctx context.Context, p Plan) error {
	s, err := k.prepare(ctx, p)
	if err != nil {
		return err
	}
	return withHint(s.Stop())
}

func (k *kardianosManager) Restart(ctx context.Context, p Plan) error {
	s, err := k.prepare(ctx, p)
	if err != nil {
		return err
	}
	return withHint(s.Restart())
}

func (k *kardianosManager) Status(ctx context.Context, p Plan) (State, error) {
	s, err := k.prepare(ctx, p)
	if err != nil {
		return "", err
	}
	st, err := s.Status()
	switch {
	case err == nil && st == service.StatusRunning:
		return StateRunning, nil
	case err == nil && st == service.StatusStopped:
		return StateStopped, nil
	case err != nil && strings.Contains(err.Error(), "failed state"):
		return StateFailed, nil
	}
	// Not known to the manager (or in a state kardianos does not name,
	// such as "deactivating"): the file decides.
	exists, ferr := fileExists(p.Path)
	if ferr != nil {
		return "", fmt.Errorf("check service file: %w", ferr)
	}
	if exists {
		return StateInstalled, nil
	}
	if err == nil || errors.Is(err, service.ErrNotInstalled) {
		return StateNotInstalled, nil
	}
	return "", fmt.Errorf("query service: %w", withHint(err))
}

func (k *kardianosManager) prepare(ctx context.Context, p Plan) (service.Service, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return k.service(p)
}

// noProgram is the service.Interface for controlling the service from the
// command line, where nothing runs as the service.
type noProgram struct{}

func (noProgram) Start(service.Service) error { return nil }
func (noProgram) Stop(service.Service) error  { return nil }
