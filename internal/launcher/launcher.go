// Package launcher starts the daemon when a client finds none: the first
// AI to start brings ipcd up, detached, and it outlives that AI. Several
// clients starting at once each may spawn one; the database lock lets
// exactly one of those daemons run and the rest exit at once.
package launcher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/paths"
)

// Options say how to start the daemon.
type Options struct {
	DataDir string
	Socket  string
	// SecretFile, if set, is passed on as --secret-file: the daemon must
	// prove the secret the client proves.
	SecretFile string
	// Bin, if set, is the ipcd binary to start (ipcd itself starting its
	// daemon); else Find looks for one.
	Bin string
	// Self is the running binary's path; an ipcd beside it is used when
	// none is on PATH.
	Self string
	// LookPath finds a program on PATH (default exec.LookPath).
	LookPath func(string) (string, error)
	// Wait bounds how long to wait for the new daemon (default 10s).
	Wait time.Duration
}

// ErrNoDaemonBinary means ipcd is neither on PATH nor beside ipc-mcp.
var ErrNoDaemonBinary = errors.New("cannot start the daemon: ipcd is neither on PATH nor beside ipc-mcp")

// Ensure returns nil once a daemon answers health at the client's socket,
// starting one if nothing answers. It reports whether it started one.
func Ensure(ctx context.Context, c *client.Client, o Options) (bool, error) {
	if _, err := c.Health(ctx); err == nil || !client.IsDown(err) {
		return false, err
	}
	bin := o.Bin
	if bin == "" {
		var err error
		if bin, err = Find(o); err != nil {
			return false, err
		}
	}
	logPath := filepath.Join(o.DataDir, paths.DaemonLogFile)
	var logStart int64
	if fi, err := os.Stat(logPath); err == nil {
		logStart = fi.Size()
	}
	exited, err := Start(bin, o)
	if err != nil {
		return false, err
	}
	wait := o.Wait
	if wait <= 0 {
		wait = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	delay := 10 * time.Millisecond
	startedAgain := false
	for {
		_, err := c.Health(ctx)
		if err == nil {
			return true, nil
		}
		if !client.IsDown(err) || ctx.Err() != nil {
			return true, fmt.Errorf("start the daemon: it did not answer within %s; see %s: %w",
				wait, logPath, err)
		}
		select {
		case <-ctx.Done():
		case <-exited:
			// It lost the race to another daemon starting at the same
			// time: wait for that one. Otherwise it says why it stopped.
			why := exitReason(logPath, logStart)
			if strings.HasPrefix(why, "ipcd panic: ") && !startedAgain {
				// A panic at start is most likely bbolt's on a damaged
				// database; the next start checks the file first and
				// says what is wrong with it.
				startedAgain = true
				if fi, err := os.Stat(logPath); err == nil {
					logStart = fi.Size()
				}
				if exited, err = Start(bin, o); err != nil {
					return true, err
				}
				continue
			}
			if !strings.Contains(why, "another ipcd is already running") {
				return true, fmt.Errorf("start the daemon: it stopped at once: %s (see %s)", why, logPath)
			}
			exited = nil
		case <-time.After(delay):
		}
		delay = min(delay*2, 200*time.Millisecond)
	}
}

// Find locates the ipcd binary: PATH first, then beside Self.
func Find(o Options) (string, error) {
	look := o.LookPath
	if look == nil {
		look = exec.LookPath
	}
	name := "ipcd"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if p, err := look("ipcd"); err == nil {
		return p, nil
	}
	if o.Self != "" {
		p := filepath.Join(filepath.Dir(o.Self), name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", ErrNoDaemonBinary
}

// Start runs "ipcd run" detached from this process (its own session, no
// terminal, stdin closed), logging to the data dir's ipcd.log.
// The returned channel is closed when the daemon exits while this process
// lives.
func Start(bin string, o Options) (exited <-chan struct{}, err error) {
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("start the daemon: %w", err)
	}
	logf, err := os.OpenFile(filepath.Join(o.DataDir, paths.DaemonLogFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("start the daemon: open log: %w", err)
	}
	defer logf.Close()
	args := []string{"run", "--data-dir", o.DataDir, "--socket", o.Socket}
	if o.SecretFile != "" {
		args = append(args, "--secret-file", o.SecretFile)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = detached()
	cmd.Env = os.Environ()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the daemon: %w", err)
	}
	// Reap it if it exits while we live (it loses the lock race, say);
	// once we exit, it belongs to init.
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	return done, nil
}

// exitReason is the line of the daemon's log, written since offset from,
// that says why it stopped: its error line ("ipcd: ..."), else a panic's
// first line, else the last line it wrote.
func exitReason(logPath string, from int64) string {
	f, err := os.Open(logPath)
	if err != nil {
		return "its log cannot be read"
	}
	defer f.Close()
	b, _ := io.ReadAll(io.NewSectionReader(f, from, 1<<20))
	var last, panicked, said string
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "ipcd: "):
			said = line
		case strings.HasPrefix(line, "panic: ") && panicked == "":
			panicked = line
		}
		last = line
	}
	switch {
	case said != "":
		return said
	case panicked != "":
		return "ipcd " + panicked
	case last != "":
		return last
	}
	return "it wrote nothing"
}
