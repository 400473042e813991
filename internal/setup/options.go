package setup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/ipcd/ipcd/internal/clock"
)

// Options are the facts about the machine that setup depends on. Every field
// may be left empty: the command fills it from the running process. Tests set
// them all.
type Options struct {
	// Home is the user's home directory.
	Home string
	// Getenv looks up environment variables (CLAUDE_CONFIG_DIR, CODEX_HOME,
	// APPDATA, XDG_CONFIG_HOME).
	Getenv func(string) string
	// GOOS decides where Claude Desktop keeps its file and how the hook
	// command is quoted.
	GOOS string
	// Executable is the absolute path of the ipc-mcp binary that the clients
	// will launch.
	Executable string
	// WorkDir is the directory `--project` refers to by default.
	WorkDir string
	// Clock names the backups.
	Clock clock.Clock
}

// resolved returns a copy of o with every empty field filled in from the
// running process.
func (o *Options) resolved() (*Options, error) {
	r := Options{}
	if o != nil {
		r = *o
	}
	if r.Getenv == nil {
		r.Getenv = os.Getenv
	}
	if r.GOOS == "" {
		r.GOOS = runtime.GOOS
	}
	if r.Clock == nil {
		r.Clock = clock.Real{}
	}
	if r.Home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("find home directory: %w", err)
		}
		r.Home = h
	}
	if r.WorkDir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("find working directory: %w", err)
		}
		r.WorkDir = wd
	}
	if r.Executable == "" {
		exe, err := executable()
		if err != nil {
			return nil, err
		}
		r.Executable = exe
	}
	if !isAbs(r.GOOS, r.Executable) {
		return nil, fmt.Errorf("check ipc-mcp path: %q is not absolute", r.Executable)
	}
	return &r, nil
}

// executable is the path of this binary with symbolic links resolved, so a
// client keeps working when a package manager moves the link.
func executable() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find ipc-mcp binary: %w", err)
	}
	real, err := filepath.EvalSymlinks(exe)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return exe, nil
		}
		return "", fmt.Errorf("find ipc-mcp binary: %w", err)
	}
	return filepath.Abs(real)
}
