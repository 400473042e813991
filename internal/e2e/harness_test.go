package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/mcpshim"
)

// binDir holds the ipcd and ipc-mcp built for this test run.
var binDir string

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "ipcd-e2e-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		build := exec.Command("go", "build", "-o", dir+string(os.PathSeparator),
			"github.com/ipcd/ipcd/cmd/ipcd", "github.com/ipcd/ipcd/cmd/ipc-mcp")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build binaries:", err)
			return 1
		}
		binDir = dir
		return m.Run()
	}()
	os.Exit(code)
}

// world is one user's machine: a data dir, a short socket path, a home.
type world struct {
	t    *testing.T
	loc  cli.Location
	home string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	sockDir, err := os.MkdirTemp("/tmp", "ipx")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	w := &world{t: t, home: home, loc: cli.Location{DataDir: filepath.Join(home, "data"), Socket: filepath.Join(sockDir, "s.sock")}}
	t.Cleanup(func() {
		w.stopDaemons()
		os.RemoveAll(sockDir)
	})
	return w
}

// env is the environment an AI client gives ipc-mcp.
func (w *world) env(name string) []string {
	env := []string{
		"HOME=" + w.home,
		"PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"IPC_DATA_DIR=" + w.loc.DataDir,
		"IPC_SOCKET=" + w.loc.Socket,
	}
	if name != "" {
		env = append(env, "IPC_NAME="+name)
	}
	return env
}

// shim starts ipc-mcp as an AI client does and connects to it over stdio.
func (w *world) shim(name string) *mcp.ClientSession {
	w.t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "ipc-mcp"))
	cmd.Env = w.env(name)
	cmd.Stderr = &prefixWriter{t: w.t, prefix: "ipc-mcp " + name + ": "}
	c := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, nil)
	cs, err := c.Connect(context.Background(), &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		w.t.Fatalf("start ipc-mcp: %v", err)
	}
	w.t.Cleanup(func() { cs.Close() })
	return cs
}

// client is a daemon client of this world (for status).
func (w *world) client() *client.Client {
	c := client.New(w.loc.ClientOptions(func(string) string { return "" }))
	w.t.Cleanup(c.Close)
	return c
}

// daemons lists the pids of "ipcd run" processes serving this world's socket.
func (w *world) daemons() []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		w.t.Skip("no /proc: cannot count daemons here")
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if len(args) > 2 && filepath.Base(args[0]) == "ipcd" && args[1] == "run" && strings.Contains(string(b), w.loc.Socket) {
			if isZombie(pid) {
				continue
			}
			pids = append(pids, pid)
		}
	}
	return pids
}

func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] == 'Z'
}

// stopDaemons interrupts every daemon of this world and waits for it.
func (w *world) stopDaemons() {
	pids := w.daemonsNoSkip()
	for _, pid := range pids {
		if p, err := os.FindProcess(pid); err == nil {
			p.Signal(os.Interrupt)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(w.daemonsNoSkip()) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	for _, pid := range w.daemonsNoSkip() {
		if p, err := os.FindProcess(pid); err == nil {
			p.Kill()
		}
	}
}

func (w *world) daemonsNoSkip() []int {
	if _, err := os.Stat("/proc"); err != nil {
		return nil
	}
	return w.daemons()
}

// eventually polls cond; the bound is generous, for a busy machine.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type prefixWriter struct {
	t      *testing.T
	prefix string
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.t.Log(p.prefix + strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// waitInBackground calls wait_for_messages on cs and delivers its mail
// (none on a tool error, which it reports) when the call returns.
func waitInBackground(t *testing.T, cs *mcp.ClientSession, seconds int) <-chan mcpshim.MailOutput {
	waited := make(chan mcpshim.MailOutput, 1)
	go func() {
		var out mcpshim.MailOutput
		res, err := cs.CallTool(bg, &mcp.CallToolParams{Name: "wait_for_messages", Arguments: map[string]any{"timeout_seconds": seconds}})
		switch {
		case err != nil:
			t.Errorf("wait_for_messages: %v", err)
		case res.IsError:
			t.Errorf("wait_for_messages: %s", res.Content[0].(*mcp.TextContent).Text)
		default:
			b, _ := json.Marshal(res.StructuredContent)
			json.Unmarshal(b, &out)
		}
		waited <- out
	}()
	return waited
}

// eventuallyWaiting waits until the daemon says name is blocked in a wait.
func (w *world) eventuallyWaiting(name string) {
	w.t.Helper()
	c := w.client()
	eventually(w.t, name+" waiting", func() bool {
		st, err := c.Status(bg)
		if err != nil {
			return false
		}
		for _, id := range st.Identities {
			if id.Name == name && id.Waiting {
				return true
			}
		}
		return false
	})
}
