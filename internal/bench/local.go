package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ipcd/ipcd/internal/auth"
	"github.com/ipcd/ipcd/internal/daemon"
	"github.com/ipcd/ipcd/internal/paths"
	"github.com/ipcd/ipcd/internal/store"
)

// Local is a daemon run inside this process for the bench: its own data
// dir, a short socket path, fsync before every acknowledgement as in
// production, but no send rate limit and no inbox cap worth hitting, so
// the bench measures the daemon rather than its limits.
type Local struct {
	// DataDir holds the database and the secret.
	DataDir string
	// Socket is the daemon's Unix socket.
	Socket string

	secret []byte
	d      *daemon.Daemon
	cancel context.CancelFunc
	done   chan error
}

// StartLocal starts a daemon with its data in dataDir and its socket at
// socket (keep it short: a Unix socket path has at most 103 bytes).
func StartLocal(dataDir, socket string) (*Local, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create bench data dir: %w", err)
	}
	secret, err := auth.LoadSecret(auth.SecretOptions{Default: filepath.Join(dataDir, paths.SecretFile), Create: true})
	if err != nil {
		return nil, err
	}
	l := &Local{DataDir: dataDir, Socket: socket, secret: secret.Bytes()}
	if err := l.start(); err != nil {
		return nil, err
	}
	return l, nil
}

// DBPath is the database file.
func (l *Local) DBPath() string { return filepath.Join(l.DataDir, paths.DBFile) }

// Secret returns the daemon's shared secret, for clients.
func (l *Local) Secret() ([]byte, error) { return l.secret, nil }

// StoreStats returns the group-commit counters of the running daemon.
func (l *Local) StoreStats() store.Stats {
	if l.d == nil {
		return store.Stats{}
	}
	return l.d.StoreStats()
}

func (l *Local) start() error {
	s, err := auth.LoadSecret(auth.SecretOptions{Default: filepath.Join(l.DataDir, paths.SecretFile)})
	if err != nil {
		return err
	}
	limits := daemon.DefaultLimits()
	limits.SendRate = 0 // no limit: the bench measures the daemon, not the token bucket
	limits.MaxInbox = 1 << 30
	limits.MaxDBBytes = 0
	d, err := daemon.New(daemon.Config{DataDir: l.DataDir, Socket: l.Socket, Secret: &s, Limits: limits})
	if err != nil {
		return err
	}
	ln, err := daemon.ListenUnix(l.Socket)
	if err != nil {
		d.Close()
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.d, l.cancel, l.done = d, cancel, make(chan error, 1)
	go func() { l.done <- d.Serve(ctx, ln) }()
	return nil
}

// Stop shuts the daemon down gracefully and closes its store.
func (l *Local) Stop() error {
	if l.d == nil {
		return nil
	}
	l.cancel()
	err := <-l.done
	err = errors.Join(err, l.d.Close())
	l.d = nil
	return err
}

// Restart stops the daemon and starts it again on the same data dir.
// Sessions do not survive; clients register again on their own.
func (l *Local) Restart() error {
	if err := l.Stop(); err != nil {
		return err
	}
	return l.start()
}
