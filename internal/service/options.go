package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/ipcd/ipcd/internal/paths"
)

// Options are what the service commands need. The commands read the fields
// when they run, so the root command may fill them in after parsing its
// flags (for example in PersistentPreRunE).
type Options struct {
	// Manager is the OS service manager; nil means NewManager().
	Manager Manager
	// Executable is the absolute path of the ipcd binary the service runs;
	// empty means the running binary.
	Executable string
	// Home is the user's home directory; empty means os.UserHomeDir().
	Home string
	// DataDir and Socket are the daemon's paths. They are written into the
	// service only when the user chose them (DataDirSet, SocketSet: a flag
	// or IPC_DATA_DIR / IPC_SOCKET, which a service manager does not
	// inherit), and always on Windows, where the service runs as another
	// account and would otherwise look in that account's profile. Empty
	// means the default for this user.
	DataDir    string
	DataDirSet bool
	Socket     string
	SocketSet  bool
	// SecretFile is --secret-file or IPC_SECRET_FILE if the user gave one
	// (a service manager does not inherit the variable); it is written
	// into the service so that the daemon proves what its clients prove.
	SecretFile string
	// SharedSecretInEnv says IPC_SHARED_SECRET is set where the command
	// runs. The service cannot be given it (the secret is never written
	// into a service definition), so install says so.
	SharedSecretInEnv bool
	// GOOS selects the platform; empty means runtime.GOOS.
	GOOS string
	// OnDemand, if set, controls a daemon that no service manager runs
	// ("ipcd run", or one that ipc-mcp started): start, stop and restart
	// use it when the service is not installed or cannot be here.
	OnDemand OnDemand
}

// OnDemand starts and stops a daemon without a service manager.
type OnDemand interface {
	// Running describes the daemon that answers (PID 0 if none does).
	Running(ctx context.Context) (RunningDaemon, error)
	// Stop asks the daemon that answers to stop, and returns once its
	// process has ended (the database is free then).
	Stop(ctx context.Context) error
	// Start starts a daemon in the background and returns its pid once it
	// answers.
	Start(ctx context.Context) (pid int, err error)
}

// RunningDaemon is what OnDemand.Running found.
type RunningDaemon struct {
	PID int
	// ManagedBy names the service manager that runs it ("" for none).
	ManagedBy string
	// Unlike says what a daemon started afresh would not have (a TCP
	// listener, open mode, other limits); "" when nothing.
	Unlike string
}

// Status reports the state of the ipcd service for "ipcd status" and
// "ipcd doctor": StateUnsupported (and a nil error) where no usable
// service manager exists.
func (o *Options) Status(ctx context.Context) (State, error) {
	m := o.manager()
	platform, err := m.Detect(ctx)
	if errors.Is(err, ErrUnsupported) {
		return StateUnsupported, nil
	}
	if err != nil {
		return "", fmt.Errorf("detect service manager: %w", err)
	}
	p, err := o.plan(platform, false)
	if err != nil {
		return "", err
	}
	return m.Status(ctx, p)
}

func (o *Options) manager() Manager {
	if o.Manager != nil {
		return o.Manager
	}
	return NewManager()
}

func (o *Options) goos() string {
	if o.GOOS != "" {
		return o.GOOS
	}
	return runtime.GOOS
}

// plan renders the service for platform from the options. forInstall
// refuses a binary that will not outlive the command (go run).
func (o *Options) plan(platform Platform, forInstall bool) (Plan, error) {
	cfg, err := o.config(platform, forInstall)
	if err != nil {
		return Plan{}, err
	}
	return Render(platform, cfg)
}

func (o *Options) config(platform Platform, forInstall bool) (Config, error) {
	native := o.goos() == runtime.GOOS
	cfg := Config{Executable: o.Executable}
	if cfg.Executable == "" {
		exe, err := os.Executable()
		if err != nil {
			return Config{}, fmt.Errorf("find ipcd executable: %w", err)
		}
		if forInstall && strings.Contains(exe, "go-build") {
			return Config{}, fmt.Errorf("find ipcd executable: %s is a temporary build (go run); "+
				"install ipcd first (go install ./cmd/ipcd) and run that binary", exe)
		}
		cfg.Executable = exe
	}
	if platform != PlatformWindows {
		cfg.Home = o.Home
		if cfg.Home == "" {
			h, err := os.UserHomeDir()
			if err != nil {
				return Config{}, fmt.Errorf("find home directory: %w", err)
			}
			cfg.Home = h
		}
	}
	pin := platform == PlatformWindows
	if o.DataDirSet || pin {
		cfg.DataDir = o.DataDir
		if cfg.DataDir == "" && native {
			d, err := paths.DataDir(os.Getenv)
			if err != nil {
				return Config{}, fmt.Errorf("find data directory: %w", err)
			}
			cfg.DataDir = d
		}
	}
	if o.SocketSet || pin {
		cfg.Socket = o.Socket
		if cfg.Socket == "" && native && cfg.DataDir != "" {
			cfg.Socket = paths.Socket(os.Getenv, cfg.DataDir)
		}
	}
	cfg.SecretFile = o.SecretFile
	if native {
		for _, p := range []*string{&cfg.Executable, &cfg.DataDir, &cfg.Socket, &cfg.SecretFile} {
			if *p != "" {
				abs, err := filepath.Abs(*p)
				if err != nil {
					return Config{}, fmt.Errorf("resolve path: %w", err)
				}
				*p = abs
			}
		}
	}
	return cfg, nil
}
