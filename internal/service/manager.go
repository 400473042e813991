package service

import (
	"context"
	"errors"
	"fmt"
)

// Manager is the OS service manager, cut down to what ipcd needs. The
// production one (NewManager) wraps kardianos/service; tests use a fake.
// Every method but Detect takes the Plan that Render made for the detected
// platform, which names the service and its file.
type Manager interface {
	// Detect reports the platform this user can install a service into,
	// or an *UnsupportedError saying what was found instead.
	Detect(ctx context.Context) (Platform, error)
	// Install writes and registers the service so that it starts at login
	// (or boot). It does not start it. On failure it may leave a partial
	// install behind; the caller rolls back.
	Install(ctx context.Context, p Plan) error
	// Uninstall unregisters the service and removes its file.
	Uninstall(ctx context.Context, p Plan) error
	Start(ctx context.Context, p Plan) error
	Stop(ctx context.Context, p Plan) error
	Restart(ctx context.Context, p Plan) error
	// Status reports the service's state; StateNotInstalled with a nil
	// error when it is not installed.
	Status(ctx context.Context, p Plan) (State, error)
}

// State is what "ipcd status" and "ipcd doctor" show about the service.
type State string

// The service states.
const (
	StateNotInstalled State = "not-installed"
	StateInstalled    State = "installed" // installed; whether it runs is unknown
	StateRunning      State = "running"
	StateStopped      State = "stopped"
	StateFailed       State = "failed" // stopped after a failure (systemd)
	StateUnsupported  State = "unsupported"
)

// Errors of the service commands; check them with errors.Is.
var (
	ErrUnsupported      = errors.New("no usable service manager")
	ErrNotInstalled     = errors.New("ipcd is not installed as a service")
	ErrAlreadyInstalled = errors.New("ipcd is already installed as a service")
)

// UnsupportedError says which service manager was found and why ipcd cannot
// install itself into it. It matches ErrUnsupported.
type UnsupportedError struct {
	Detected string // what was found, e.g. "unix-systemv" or "linux-systemd"
	Reason   string // why it cannot be used
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s: detected %s; %s; run the daemon with \"ipcd run\" instead, "+
		"or let ipc-mcp start it on demand", ErrUnsupported, e.Detected, e.Reason)
}

// Is makes errors.Is(err, ErrUnsupported) true.
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }
