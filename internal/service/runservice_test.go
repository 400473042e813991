package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kardianos/service"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeSCM drives a service.Interface the way kardianos does under the
// Windows SCM: Start, then Stop when the SCM asks (stop is closed).
type fakeSCM struct {
	i       service.Interface
	started chan struct{}
	stop    chan struct{}
	exited  chan struct{}
}

func newFakeSCM() *fakeSCM {
	return &fakeSCM{started: make(chan struct{}), stop: make(chan struct{}), exited: make(chan struct{})}
}

func (f *fakeSCM) Run() error {
	defer close(f.exited)
	if err := f.i.Start(nil); err != nil {
		return err
	}
	close(f.started)
	<-f.stop
	return f.i.Stop(nil)
}

func (f *fakeSCM) newRunner(i service.Interface) (runner, error) {
	f.i = i
	return f, nil
}

func TestRunManagedStopCancels(t *testing.T) {
	scm := newFakeSCM()
	errDaemon := errors.New("daemon result")
	go func() {
		<-scm.started
		close(scm.stop)
	}()
	err := runManaged(t.Context(), func(ctx context.Context) error {
		<-ctx.Done()
		return errDaemon
	}, scm.newRunner)
	if !errors.Is(err, errDaemon) {
		t.Fatalf("runManaged = %v, want the daemon's result", err)
	}
	<-scm.exited
}

// A daemon that dies on its own must not be reported as a clean stop: the
// process exits at once and the SCM's recovery restarts it.
func TestRunManagedDaemonFails(t *testing.T) {
	scm := newFakeSCM()
	errDaemon := errors.New("store locked")
	err := runManaged(t.Context(), func(context.Context) error { return errDaemon }, scm.newRunner)
	if !errors.Is(err, errDaemon) {
		t.Fatalf("runManaged = %v, want %v", err, errDaemon)
	}
	select {
	case <-scm.exited:
		t.Fatal("the SCM was told the service stopped")
	default:
	}
	close(scm.stop)
	<-scm.exited
}

func TestRunManagedStopTimeout(t *testing.T) {
	scm := newFakeSCM()
	release := make(chan struct{})
	go func() {
		<-scm.started
		close(scm.stop)
	}()
	p := &program{run: func(context.Context) error { <-release; return nil }, done: make(chan struct{}), stopTimeout: time.Millisecond}
	p.ctx, p.cancel = context.WithCancel(t.Context())
	defer p.cancel()
	scm.i = p
	if err := scm.Run(); !errors.Is(err, errStopTimeout) {
		t.Errorf("Run = %v, want errStopTimeout", err)
	}
	close(release)
	<-p.done
}

func TestRunAsServiceInteractive(t *testing.T) {
	type key struct{}
	ctx := context.WithValue(t.Context(), key{}, "v")
	errDaemon := errors.New("daemon result")
	err := RunAsService(ctx, func(got context.Context) error {
		if got.Value(key{}) != "v" {
			t.Error("run did not get the caller's context")
		}
		return errDaemon
	})
	if !errors.Is(err, errDaemon) {
		t.Errorf("RunAsService = %v, want the daemon's result", err)
	}
}
