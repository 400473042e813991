package mcpshim_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.uber.org/goleak"

	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/daemon"
	"github.com/ipcd/ipcd/internal/daemon/daemontest"
	"github.com/ipcd/ipcd/internal/mcpshim"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"))
}

// testDaemon is a real daemon on a short socket path with a real bbolt file.
type testDaemon struct {
	t      *testing.T
	socket string
	secret []byte
	cfg    daemon.Config
	halt   func()
}

func startDaemon(t *testing.T) *testDaemon {
	t.Helper()
	dir := daemontest.TempDir(t)
	secret := daemontest.Secret(t, filepath.Join(dir, "data", "secret"))
	cfg := daemon.Config{DataDir: filepath.Join(dir, "data"), Socket: filepath.Join(dir, "s.sock"), Secret: &secret, NoSync: true}
	td := &testDaemon{t: t, socket: cfg.Socket, secret: secret.Bytes(), cfg: cfg}
	td.start()
	t.Cleanup(td.stop)
	return td
}

func (td *testDaemon) start() {
	t := td.t
	t.Helper()
	_, td.halt = daemontest.Serve(t, td.cfg)
}

// stop shuts the daemon down gracefully (sessions are forgotten).
func (td *testDaemon) stop() {
	if td.halt != nil {
		td.halt()
		td.halt = nil
	}
}

// client is a plain daemon client, for the other side of a conversation.
func (td *testDaemon) client(sessions client.SessionStore) *client.Client {
	c := client.New(client.Options{Socket: td.socket, Secret: func() ([]byte, error) { return td.secret, nil }, Sessions: sessions})
	td.t.Cleanup(c.Close)
	return c
}

// as is a plain client registered as name.
func (td *testDaemon) as(name string) *client.Client {
	td.t.Helper()
	c := td.client(nil)
	if _, err := c.Register(context.Background(), name, false); err != nil {
		td.t.Fatalf("register %s: %v", name, err)
	}
	return c
}

// shim is an MCP server and a client session talking to it in memory.
type shim struct {
	srv *mcpshim.Server
	cs  *mcp.ClientSession

	mu       sync.Mutex
	updates  chan string
	progress chan float64
}

type shimOpts struct {
	name     string
	version  string // client protocol version; "" is the SDK's newest
	sessions client.SessionStore
	mutate   func(*mcpshim.Options)
}

func (td *testDaemon) shim(o shimOpts) *shim {
	t := td.t
	t.Helper()
	sh := &shim{updates: make(chan string, 16), progress: make(chan float64, 64)}
	opts := mcpshim.Options{
		Name: o.name,
		Connect: func(context.Context) (*client.Client, error) {
			return client.New(client.Options{Socket: td.socket, Secret: func() ([]byte, error) { return td.secret, nil }, Sessions: o.sessions}), nil
		},
	}
	if o.mutate != nil {
		o.mutate(&opts)
	}
	sh.srv = mcpshim.New(opts)
	st, ct := mcp.NewInMemoryTransports()
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- sh.srv.Run(ctx, st) }()
	c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, &mcp.ClientOptions{
		ResourceUpdatedHandler: func(_ context.Context, r *mcp.ResourceUpdatedNotificationRequest) {
			sh.updates <- r.Params.URI
		},
		ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
			select {
			case sh.progress <- r.Params.Progress:
			default:
			}
		},
	})
	cs, err := c.Connect(ctx, ct, &mcp.ClientSessionOptions{ProtocolVersion: o.version})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	sh.cs = cs
	t.Cleanup(func() {
		cs.Close()
		cancel()
		if err := <-ran; err != nil {
			t.Logf("server run: %v", err)
		}
	})
	return sh
}
