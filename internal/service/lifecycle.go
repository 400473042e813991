package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// InstallError is a failed install or its rollback. Step names what failed
// ("install" or "start"); Rollback is nil when everything written was
// removed again.
type InstallError struct {
	Step     string
	Err      error
	Rollback error
}

func (e *InstallError) Error() string {
	if e.Rollback != nil {
		return fmt.Sprintf("%s service: %v; rollback incomplete: %v", e.Step, e.Err, e.Rollback)
	}
	return fmt.Sprintf("%s service: %v; rolled back, nothing was left installed", e.Step, e.Err)
}

func (e *InstallError) Unwrap() []error {
	if e.Rollback == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Rollback}
}

// install registers and starts the service p describes. Anything it wrote
// is removed again when a later step fails, so a failed install leaves no
// half-installed service behind.
func install(ctx context.Context, m Manager, p Plan, force bool, d OnDemand) (stopped int, err error) {
	st, err := m.Status(ctx, p)
	if err != nil {
		return 0, fmt.Errorf("check service: %w", err)
	}
	stray, err := fileExists(p.Path)
	if err != nil {
		return 0, fmt.Errorf("check service file: %w", err)
	}
	if st != StateNotInstalled || stray {
		if !force {
			return 0, fmt.Errorf("install service: %w (%s, %s); run \"ipcd uninstall\" first, or install --force",
				ErrAlreadyInstalled, where(p), st)
		}
		if err := remove(ctx, m, p, st); err != nil {
			return 0, fmt.Errorf("replace service: %w", err)
		}
	}
	if err := m.Install(ctx, p); err != nil {
		return 0, &InstallError{Step: "install", Err: err, Rollback: rollback(ctx, m, p)}
	}
	// A daemon that runs without the service (one that ipc-mcp started)
	// holds the database: the service's own could not start beside it.
	if d != nil {
		rd, err := d.Running(ctx)
		if err != nil {
			return 0, &InstallError{Step: "ask the daemon on the socket who runs it", Err: err, Rollback: rollback(ctx, m, p)}
		}
		if rd.PID != 0 && rd.ManagedBy == "" {
			if err := d.Stop(ctx); err != nil {
				return 0, &InstallError{Step: "stop the daemon that runs without the service", Err: err, Rollback: rollback(ctx, m, p)}
			}
			stopped = rd.PID
		}
	}
	if err := m.Start(ctx, p); err != nil {
		return stopped, &InstallError{Step: "start", Err: err, Rollback: rollback(ctx, m, p)}
	}
	return stopped, nil
}

// rollback undoes a partial install. Errors from stopping or unregistering
// something that never got that far are expected; what counts is that the
// file is gone and the manager no longer knows the service.
func rollback(ctx context.Context, m Manager, p Plan) error {
	_ = m.Stop(ctx, p)
	uerr := m.Uninstall(ctx, p)
	if p.Path != "" {
		if err := os.Remove(p.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s by hand: %w", p.Path, err)
		}
	}
	st, err := m.Status(ctx, p)
	if err != nil {
		return fmt.Errorf("check service: %w", err)
	}
	if st != StateNotInstalled {
		if uerr != nil {
			return fmt.Errorf("service is still %s: %w", st, uerr)
		}
		return fmt.Errorf("service is still %s", st)
	}
	return nil
}

// uninstall stops and removes an installed service.
func uninstall(ctx context.Context, m Manager, p Plan) error {
	st, err := m.Status(ctx, p)
	if err != nil {
		return fmt.Errorf("check service: %w", err)
	}
	stray, err := fileExists(p.Path)
	if err != nil {
		return fmt.Errorf("check service file: %w", err)
	}
	if st == StateNotInstalled && !stray {
		return fmt.Errorf("uninstall service: %w; nothing to remove", ErrNotInstalled)
	}
	return remove(ctx, m, p, st)
}

func remove(ctx context.Context, m Manager, p Plan, st State) error {
	if st == StateRunning {
		if err := m.Stop(ctx, p); err != nil {
			return fmt.Errorf("stop service: %w", err)
		}
	}
	if st != StateNotInstalled {
		if err := m.Uninstall(ctx, p); err != nil {
			return fmt.Errorf("uninstall service: %w", err)
		}
	}
	if p.Path != "" {
		if err := os.Remove(p.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove service file: %w", err)
		}
	}
	return nil
}

// Actions of control.
const (
	actionStart   = "start"
	actionStop    = "stop"
	actionRestart = "restart"
)

// control starts, stops or restarts an installed service. Starting a
// running service or stopping a stopped one is not an error; it returns
// what it did, for people.
func control(ctx context.Context, m Manager, p Plan, action string) (string, error) {
	st, err := m.Status(ctx, p)
	if err != nil {
		return "", fmt.Errorf("check service: %w", err)
	}
	if st == StateNotInstalled {
		return "", fmt.Errorf("%s service: %w; run \"ipcd install\" first", action, ErrNotInstalled)
	}
	notRunning := st == StateStopped || st == StateFailed
	switch {
	case action == actionStart && st == StateRunning:
		return "ipcd is already running", nil
	case action == actionStop && notRunning:
		return "ipcd is not running", nil
	case action == actionStart, action == actionRestart && notRunning:
		err = m.Start(ctx, p)
		action = actionStart
	case action == actionStop:
		err = m.Stop(ctx, p)
	case action == actionRestart:
		err = m.Restart(ctx, p)
	default:
		return "", fmt.Errorf("control service: unknown action %q", action)
	}
	if err != nil {
		return "", fmt.Errorf("%s service: %w (%s)", action, err, p.logHint())
	}
	return pastTense[action] + " ipcd (" + where(p) + ")", nil
}

// noService says that no service runs ipcd here: none can be installed
// (detectErr), or none is.
func noService(ctx context.Context, m Manager, p Plan, detectErr error) bool {
	if detectErr != nil {
		return errors.Is(detectErr, ErrUnsupported)
	}
	st, err := m.Status(ctx, p)
	return err == nil && st == StateNotInstalled
}

// controlOnDemand starts, stops or restarts a daemon that no service
// manager runs.
func controlOnDemand(ctx context.Context, d OnDemand, action string) (string, error) {
	rd, err := d.Running(ctx)
	if err != nil {
		return "", fmt.Errorf("%s ipcd: %w", action, err)
	}
	pid := rd.PID
	switch {
	case pid != 0 && rd.ManagedBy != "" && action == actionStart:
		return fmt.Sprintf("ipcd is already running (pid %d, run by %s)", pid, rd.ManagedBy), nil
	case pid != 0 && rd.ManagedBy != "":
		return "", fmt.Errorf("%s ipcd: the daemon (pid %d) is %s's service, which cannot be reached from here; %s it with %s, as the user it runs for",
			action, pid, rd.ManagedBy, action, managerTool[rd.ManagedBy])
	case action == actionStart && pid != 0:
		return fmt.Sprintf("ipcd is already running (pid %d, not as a service)", pid), nil
	case action == actionStop && pid == 0:
		return "ipcd is not running", nil
	case action == actionRestart && rd.Unlike != "":
		return "", fmt.Errorf("restart ipcd: the daemon (pid %d) runs with %s, which one started by ipcd start would not have; end it (ipcd stop) and start \"ipcd run\" again with the flags it had", pid, rd.Unlike)
	}
	if pid != 0 {
		if err := d.Stop(ctx); err != nil {
			return "", fmt.Errorf("stop ipcd: %w", err)
		}
		if action == actionStop {
			return fmt.Sprintf("Stopped ipcd (pid %d, not run as a service; an AI client's ipc-mcp starts it again when it needs it)", pid), nil
		}
	}
	started, err := d.Start(ctx)
	if err != nil {
		return "", fmt.Errorf("start ipcd: %w", err)
	}
	verb := "Started"
	if pid != 0 {
		verb = "Restarted"
	}
	return fmt.Sprintf("%s ipcd (pid %d, in the background, not as a service)", verb, started), nil
}

// managerTool is the command that controls each manager's services.
var managerTool = map[string]string{
	"systemd": "systemctl --user",
	"launchd": "launchctl",
	"windows": "sc.exe or the Services console",
}

// stopStray stops a daemon that runs without the installed service (one
// that ipc-mcp started while the service was down): the service's daemon
// cannot open the store beside it, and would fail at every restart, which
// systemd shows as "activating" as much as "failed". done says that
// nothing is left to do (the action was stop). A daemon that cannot be
// asked is noted in msg, not stopped.
func stopStray(ctx context.Context, m Manager, p Plan, d OnDemand, action string) (msg string, done bool, err error) {
	st, err := m.Status(ctx, p)
	if err != nil || st == StateNotInstalled {
		return "", false, nil
	}
	rd, err := d.Running(ctx)
	if err != nil {
		return fmt.Sprintf("Note: could not ask the daemon on the socket who runs it (%v)", err), false, nil
	}
	if rd.PID == 0 || rd.ManagedBy != "" {
		return "", false, nil
	}
	if err := d.Stop(ctx); err != nil {
		return "", false, fmt.Errorf("stop ipcd: the daemon (pid %d) that runs without the service: %w", rd.PID, err)
	}
	if action == actionStop {
		if st == StateRunning {
			// The service's unit may still be trying to start its own.
			if err := m.Stop(ctx, p); err != nil {
				return "", false, fmt.Errorf("stop service: %w (%s)", err, p.logHint())
			}
		}
		return fmt.Sprintf("Stopped ipcd (pid %d, which ran without the service)", rd.PID), true, nil
	}
	return fmt.Sprintf("Stopped the daemon that ran without the service (pid %d)", rd.PID), false, nil
}

var pastTense = map[string]string{actionStart: "Started", actionStop: "Stopped", actionRestart: "Restarted"}

// where names the installed service for people.
func where(p Plan) string {
	switch p.Platform {
	case PlatformSystemd:
		return "systemd user unit " + p.Path
	case PlatformLaunchd:
		return "LaunchAgent " + p.Path
	}
	return "Windows service " + p.Name
}

// logHint says where to look when the service does not come up.
func (p Plan) logHint() string {
	switch p.Platform {
	case PlatformSystemd:
		return "see: systemctl --user status " + UnitName + "; journalctl --user -u " + UnitName
	case PlatformLaunchd:
		return "see: launchctl list " + LaunchdLabel + "; ~/Library/Logs/ipcd.log"
	}
	return "see: sc.exe query " + p.Name + "; the Windows event log"
}

func fileExists(path string) (bool, error) {
	if path == "" {
		return false, nil
	}
	_, err := os.Lstat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, err
}
