package ipcdcli

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/daemon"
	"github.com/ipcd/ipcd/internal/daemon/daemontest"
	"github.com/ipcd/ipcd/internal/service"
	"github.com/ipcd/ipcd/internal/syncbuf"
	"github.com/ipcd/ipcd/pkg/protocol"
)

func TestMain(m *testing.M) {
	if os.Getenv(envRunAsIPCD) == "1" {
		// A child process of a test: be ipcd.
		os.Exit(Main(context.Background(), os.Args[1:], cli.OSEnv()))
	}
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
		// modernc.org/sqlite keeps a finalizer goroutine for its libc.
		goleak.IgnoreAnyFunction("modernc.org/libc.(*TLS).Close"))
}

// envRunAsIPCD makes this test binary, started as a child process, run
// as ipcd with its arguments.
const envRunAsIPCD = "IPCD_TEST_RUN_AS_IPCD"

// ipcdIsThisBinary puts this test binary in the world as its ipcd, for
// commands that start ipcd as a child (the bench's daemon process, import
// starting a daemon, doctor's database check): the child inherits
// envRunAsIPCD and runs as ipcd.
func (w *world) ipcdIsThisBinary() {
	w.t.Helper()
	self, err := os.Executable()
	if err != nil {
		w.t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(w.bin, "ipcd")); err != nil {
		w.t.Fatal(err)
	}
	w.t.Setenv(envRunAsIPCD, "1")
}

// world is one user's machine for a test: a data dir and a short socket
// path, a home directory, a fake ipc-mcp beside a fake ipcd path, and a
// fake service manager.
type world struct {
	t       *testing.T
	dir     string
	dataDir string
	socket  string
	home    string
	env     map[string]string
	bin     string // the directory of "ipcd" and "ipc-mcp"
	svc     *fakeManager
	goos    string // the service commands' platform; "" is this OS

	d      *daemon.Daemon
	stop   func()
	limits daemon.Limits
}

func newWorld(t *testing.T) *world {
	t.Helper()
	dir := daemontest.TempDir(t)
	w := &world{
		t: t, dir: dir,
		dataDir: filepath.Join(dir, "data"),
		socket:  filepath.Join(dir, "s.sock"),
		home:    filepath.Join(dir, "home"),
		bin:     filepath.Join(dir, "bin"),
		svc:     &fakeManager{platform: service.PlatformSystemd},
	}
	w.env = map[string]string{"IPC_DATA_DIR": w.dataDir, "IPC_SOCKET": w.socket, "HOME": w.home}
	for _, d := range []string{w.home, w.bin} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	w.fakeShim(protocol.Version)
	return w
}

// fakeShim puts an ipc-mcp beside ipcd that reports version.
func (w *world) fakeShim(version string) {
	w.t.Helper()
	if runtime.GOOS == "windows" {
		w.t.Skip("the fake ipc-mcp is a shell script")
	}
	script := "#!/bin/sh\necho 'ipc-mcp version " + version + "'\n"
	if err := os.WriteFile(filepath.Join(w.bin, "ipc-mcp"), []byte(script), 0o755); err != nil {
		w.t.Fatal(err)
	}
}

// start runs a real daemon in this process on the world's data dir and
// socket, with the secret file the daemon creates.
func (w *world) start() {
	t := w.t
	t.Helper()
	secret := daemontest.Secret(t, filepath.Join(w.dataDir, "secret"))
	w.d, w.stop = daemontest.Serve(t, daemon.Config{DataDir: w.dataDir, Socket: w.socket, Secret: &secret, Limits: w.limits})
}

// shutdown stops the daemon gracefully and closes its store.
func (w *world) shutdown() {
	if w.stop != nil {
		w.stop()
		w.stop = nil
	}
}

// client returns a client with the daemon's secret.
func (w *world) client() *client.Client {
	loc := cli.Location{DataDir: w.dataDir, Socket: w.socket}
	c := client.New(loc.ClientOptions(w.getenv))
	w.t.Cleanup(c.Close)
	return c
}

// as returns a client registered as name.
func (w *world) as(name string) *client.Client {
	w.t.Helper()
	c := w.client()
	if _, err := c.Register(context.Background(), name, false); err != nil {
		w.t.Fatalf("register %s: %v", name, err)
	}
	return c
}

func (w *world) send(from *client.Client, to, content string) {
	w.t.Helper()
	if _, err := from.Send(context.Background(), protocol.SendRequest{To: to, Content: content}); err != nil {
		w.t.Fatalf("send to %s: %v", to, err)
	}
}

func (w *world) getenv(k string) string { return w.env[k] }

func (w *world) app(stdout, stderr *syncbuf.Buffer) *App {
	const exe = "/usr/local/bin/ipcd"
	return &App{
		Env: cli.Env{
			Stdin: strings.NewReader(""), Stdout: stdout, Stderr: stderr,
			Getenv: w.getenv, Executable: filepath.Join(w.bin, "ipcd"),
		},
		Loc:      &cli.LocationFlags{},
		Service:  &service.Options{Manager: w.svc, Home: w.home, Executable: exe, GOOS: w.goos},
		LookPath: func(string) (string, error) { return "", os.ErrNotExist },
	}
}

// run runs ipcd with args in this process and returns its output and
// exit status.
func (w *world) run(args ...string) (stdout, stderr string, code int) {
	return w.runCtx(context.Background(), nil, args...)
}

func (w *world) runCtx(ctx context.Context, out *syncbuf.Buffer, args ...string) (stdout, stderr string, code int) {
	if out == nil {
		out = &syncbuf.Buffer{}
	}
	errb := &syncbuf.Buffer{}
	app := w.app(out, errb)
	code = cli.Run(ctx, newRootCmd(app), args, app.Env)
	return out.String(), errb.String(), code
}

// fakeManager is a service manager in memory that writes the service file
// for real, like the production one.
type fakeManager struct {
	mu        sync.Mutex
	platform  service.Platform
	detectErr error
	state     service.State // "" is not installed
	calls     []string
}

func (f *fakeManager) call(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
}

func (f *fakeManager) set(s service.State) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.state = s
}

func (f *fakeManager) Detect(context.Context) (service.Platform, error) {
	f.call("detect")
	return f.platform, f.detectErr
}

func (f *fakeManager) Install(_ context.Context, p service.Plan) error {
	f.call("install")
	if p.Path != "" {
		if err := os.MkdirAll(filepath.Dir(p.Path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p.Path, []byte(p.Content), 0o644); err != nil {
			return err
		}
	}
	f.set(service.StateStopped)
	return nil
}

func (f *fakeManager) Uninstall(_ context.Context, p service.Plan) error {
	f.call("uninstall")
	if p.Path != "" {
		if err := os.Remove(p.Path); err != nil {
			return err
		}
	}
	f.set("")
	return nil
}

func (f *fakeManager) Start(context.Context, service.Plan) error {
	f.call("start")
	f.set(service.StateRunning)
	return nil
}

func (f *fakeManager) Stop(context.Context, service.Plan) error {
	f.call("stop")
	f.set(service.StateStopped)
	return nil
}

func (f *fakeManager) Restart(context.Context, service.Plan) error {
	f.call("restart")
	f.set(service.StateRunning)
	return nil
}

func (f *fakeManager) Status(context.Context, service.Plan) (service.State, error) {
	f.call("status")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.state == "" {
		return service.StateNotInstalled, nil
	}
	return f.state, nil
}
