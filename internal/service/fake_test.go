package service

import (
	"context"
	"errors"
	"os"
	"path/filepath"
)

// fakeManager is a service manager in memory that writes and removes the
// service file for real, like the production one, and fails on demand.
type fakeManager struct {
	platform  Platform
	detectErr error
	fail      map[string]error // method name -> error it returns
	// failAfterWrite makes Install write the file before failing, as
	// kardianos does when "systemctl enable" fails.
	failAfterWrite bool

	installed bool
	running   bool
	calls     []string
}

func newFake(platform Platform) *fakeManager {
	return &fakeManager{platform: platform, fail: map[string]error{}}
}

var errFake = errors.New("fake failure")

func (f *fakeManager) Detect(context.Context) (Platform, error) {
	f.calls = append(f.calls, "detect")
	return f.platform, f.detectErr
}

func (f *fakeManager) Install(_ context.Context, p Plan) error {
	f.calls = append(f.calls, "install")
	if err := f.fail["install"]; err != nil && !f.failAfterWrite {
		return err
	}
	if p.Path != "" {
		if err := os.MkdirAll(filepath.Dir(p.Path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p.Path, []byte(p.Content), 0o644); err != nil {
			return err
		}
	}
	if err := f.fail["install"]; err != nil {
		return err
	}
	f.installed = true
	return nil
}

func (f *fakeManager) Uninstall(_ context.Context, p Plan) error {
	f.calls = append(f.calls, "uninstall")
	if err := f.fail["uninstall"]; err != nil {
		return err
	}
	if !f.installed {
		return errors.New("fake: not installed")
	}
	if p.Path != "" {
		if err := os.Remove(p.Path); err != nil {
			return err
		}
	}
	f.installed, f.running = false, false
	return nil
}

func (f *fakeManager) Start(context.Context, Plan) error {
	f.calls = append(f.calls, "start")
	if err := f.fail["start"]; err != nil {
		return err
	}
	if !f.installed {
		return errors.New("fake: not installed")
	}
	f.running = true
	return nil
}

func (f *fakeManager) Stop(context.Context, Plan) error {
	f.calls = append(f.calls, "stop")
	if err := f.fail["stop"]; err != nil {
		return err
	}
	f.running = false
	return nil
}

func (f *fakeManager) Restart(context.Context, Plan) error {
	f.calls = append(f.calls, "restart")
	if err := f.fail["restart"]; err != nil {
		return err
	}
	f.running = true
	return nil
}

func (f *fakeManager) Status(context.Context, Plan) (State, error) {
	f.calls = append(f.calls, "status")
	if err := f.fail["status"]; err != nil {
		return "", err
	}
	switch {
	case !f.installed:
		return StateNotInstalled, nil
	case f.running:
		return StateRunning, nil
	}
	return StateStopped, nil
}
