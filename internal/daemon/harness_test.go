package daemon_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipcd/ipcd/internal/auth"
	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/clock"
	"github.com/ipcd/ipcd/internal/daemon"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"))
}

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// testDaemon is a real daemon on a real socket with a real bbolt file.
type testDaemon struct {
	t       *testing.T
	d       *daemon.Daemon
	cfg     daemon.Config
	socket  string
	secret  []byte
	clock   *clock.Fake
	stop    func()
	stopped chan struct{}
}

// shortDir makes a directory under /tmp: socket paths must stay short.
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "ipcd-t-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// startDaemon runs a daemon in secure mode with a fake clock; mutate
// adjusts the config first.
func startDaemon(t *testing.T, mutate func(*daemon.Config)) *testDaemon {
	t.Helper()
	dir := shortDir(t)
	secret, err := auth.LoadSecret(auth.SecretOptions{Default: filepath.Join(dir, "data", "secret"), Create: true})
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(t0)
	cfg := daemon.Config{
		DataDir: filepath.Join(dir, "data"),
		Socket:  filepath.Join(dir, "s.sock"),
		Secret:  &secret,
		Clock:   clk,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	td := &testDaemon{t: t, cfg: cfg, socket: cfg.Socket, secret: secret.Bytes(), clock: clk}
	if c, ok := cfg.Clock.(*clock.Fake); ok {
		td.clock = c
	}
	td.start()
	t.Cleanup(td.shutdown)
	return td
}

func (td *testDaemon) start() {
	t := td.t
	t.Helper()
	d, err := daemon.New(td.cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := daemon.ListenUnix(td.socket)
	if err != nil {
		d.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	td.d, td.stop, td.stopped = d, cancel, make(chan struct{})
	go func() {
		defer close(td.stopped)
		if err := d.Serve(ctx, ln); err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
}

// shutdown stops the daemon gracefully and closes its store.
func (td *testDaemon) shutdown() {
	if td.stop == nil {
		return
	}
	td.stop()
	<-td.stopped
	td.d.Close()
	td.stop = nil
}

// restart stops and starts the daemon on the same data dir.
func (td *testDaemon) restart() {
	td.shutdown()
	td.start()
}

// client returns a client with the daemon's secret and its own sessions.
func (td *testDaemon) client() *client.Client { return td.clientWith(nil) }

// clientWith returns a client that keeps its tokens in sessions.
func (td *testDaemon) clientWith(sessions client.SessionStore) *client.Client {
	c := client.New(client.Options{
		Socket:   td.socket,
		Secret:   func() ([]byte, error) { return td.secret, nil },
		Sessions: sessions,
	})
	td.t.Cleanup(c.Close)
	return c
}

// as returns a client registered as name.
func (td *testDaemon) as(name string) *client.Client {
	td.t.Helper()
	c := td.client()
	if _, err := c.Register(context.Background(), name, false); err != nil {
		td.t.Fatalf("register %s: %v", name, err)
	}
	return c
}

// newClientWithSecret returns a client that proves with secret.
func newClientWithSecret(td *testDaemon, secret []byte) *client.Client {
	c := client.New(client.Options{Socket: td.socket, Secret: func() ([]byte, error) { return secret, nil }})
	td.t.Cleanup(c.Close)
	return c
}
