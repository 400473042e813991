package service

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/kardianos/service"
)

// stopTimeout bounds how long a Stop from the SCM waits for the daemon to
// finish; Windows kills a service that takes much longer (20 s by default).
const stopTimeout = 15 * time.Second

// RunAsService runs the daemon. Started by the Windows service control
// manager, it reports to the SCM through kardianos/service, and a stop
// request cancels ctx; anywhere else (a terminal, systemd, launchd, ipc-mcp)
// it simply calls run(ctx), and signals are the caller's business.
func RunAsService(ctx context.Context, run func(ctx context.Context) error) error {
	if !UnderWindowsSCM() {
		return run(ctx)
	}
	return runManaged(ctx, run, func(i service.Interface) (runner, error) {
		return service.New(i, &service.Config{Name: WindowsName})
	})
}

// UnderWindowsSCM reports whether the Windows service control manager
// started this process. The SCM does not capture stderr, so "ipcd run"
// should log to a file then.
func UnderWindowsSCM() bool {
	return runtime.GOOS == "windows" && !service.Interactive()
}

// runner is the part of service.Service that runManaged uses.
type runner interface{ Run() error }

// runManaged runs run under a service manager. If the daemon stops on its
// own, runManaged returns at once without telling the manager, so the
// process exits as a failure and the SCM's recovery action restarts it.
func runManaged(ctx context.Context, run func(context.Context) error, newRunner func(service.Interface) (runner, error)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := &program{ctx: ctx, cancel: cancel, run: run, done: make(chan struct{}), stopTimeout: stopTimeout}
	r, err := newRunner(p)
	if err != nil {
		return err
	}
	managed := make(chan error, 1)
	go func() { managed <- r.Run() }()
	select {
	case <-p.done:
		if !p.stopRequested() {
			return p.result()
		}
		if err := <-managed; err != nil {
			return err
		}
		return p.result()
	case err := <-managed:
		if err != nil {
			return err
		}
		return p.result()
	}
}

// program is the service.Interface: Start launches the daemon, Stop
// cancels it and waits for it to finish.
type program struct {
	ctx         context.Context
	cancel      context.CancelFunc
	run         func(context.Context) error
	done        chan struct{}
	stopTimeout time.Duration

	mu       sync.Mutex
	err      error
	stopping bool
}

var errStopTimeout = errors.New("daemon did not stop in time")

func (p *program) Start(service.Service) error {
	go func() {
		err := p.run(p.ctx)
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(p.done)
	}()
	return nil
}

func (p *program) Stop(service.Service) error {
	p.mu.Lock()
	p.stopping = true
	p.mu.Unlock()
	p.cancel()
	select {
	case <-p.done:
		return nil
	case <-time.After(p.stopTimeout):
		return errStopTimeout
	}
}

func (p *program) stopRequested() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopping
}

func (p *program) result() error {
	select {
	case <-p.done:
	default:
		return nil // the manager returned before the daemon was started
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}
