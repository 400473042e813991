package shimcli_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/ipcdcli"
	"github.com/ipcd/ipcd/internal/shimcli"
)

// TestMain makes this test binary also behave as ipcd and ipc-mcp, so the
// scripts run both command lines as real child processes.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"ipcd": func() { os.Exit(ipcdcli.Main(context.Background(), os.Args[1:], cli.OSEnv())) },
		"ipc-mcp": func() {
			os.Exit(shimcli.Main(context.Background(), os.Args[1:], cli.OSEnv()))
		},
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(env *testscript.Env) error {
			// Socket paths must be short; $WORK may not be.
			dir, err := os.MkdirTemp("/tmp", "ipcs-")
			if err != nil {
				return err
			}
			env.Setenv("IPC_DATA_DIR", filepath.Join(env.WorkDir, "data"))
			env.Setenv("IPC_SOCKET", filepath.Join(dir, "s.sock"))
			env.Setenv("SOCK", filepath.Join(dir, "s.sock"))
			env.Defer(func() {
				stopDaemon(filepath.Join(env.WorkDir, "data"), filepath.Join(dir, "s.sock"))
				os.RemoveAll(dir)
			})
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitdaemon": cmdWaitDaemon,
		},
	})
}

// cmdWaitDaemon waits until a daemon answers on $IPC_SOCKET, or with !,
// until none does.
func cmdWaitDaemon(ts *testscript.TestScript, neg bool, args []string) {
	c := client.New(client.Options{Socket: ts.Getenv("IPC_SOCKET")})
	defer c.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := c.Health(context.Background())
		if (err == nil) != neg {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("daemon still %s after 15s", map[bool]string{true: "up", false: "down"}[neg])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stopDaemon stops a daemon a script left running (one that ipc-mcp
// started on its own, say), found through its status.
func stopDaemon(dataDir, socket string) {
	loc := cli.Location{DataDir: dataDir, Socket: socket}
	c := client.New(loc.ClientOptions(func(string) string { return "" }))
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.Status(ctx)
	if err != nil {
		return
	}
	if p, err := os.FindProcess(st.PID); err == nil {
		p.Signal(os.Interrupt)
	}
}
