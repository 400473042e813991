// Package daemontest runs a real daemon for the tests of the packages
// built on it: a real bbolt file, a real Unix socket on a short path, the
// secret file the daemon itself would create. (internal/daemon's own
// tests cannot import it; they have their harness in package daemon.)
package daemontest

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/ipcd/ipcd/internal/auth"
	"github.com/ipcd/ipcd/internal/daemon"
)

// TempDir returns a new directory under /tmp, short enough for a socket
// path (about 100 bytes at most), removed when the test ends.
func TempDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("/tmp", "ipx")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// Secret loads the secret file at path, creating it (random, 0600) as the
// daemon does on its first start.
func Secret(tb testing.TB, path string) auth.Secret {
	tb.Helper()
	s, err := auth.LoadSecret(auth.SecretOptions{Default: path, Create: true})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Serve starts a daemon made from cfg, listening on cfg.Socket, and
// returns it with the function that stops it gracefully and closes its
// store. Stopping twice is harmless; the test's cleanup stops it too.
func Serve(tb testing.TB, cfg daemon.Config) (*daemon.Daemon, func()) {
	tb.Helper()
	d, err := daemon.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := daemon.ListenUnix(cfg.Socket)
	if err != nil {
		d.Close()
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		if err := d.Serve(ctx, ln); err != nil {
			tb.Errorf("serve: %v", err)
		}
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			<-stopped
			d.Close()
		})
	}
	tb.Cleanup(stop)
	return d, stop
}
