package shimcli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/clock"
	"github.com/ipcd/ipcd/internal/daemon"
	"github.com/ipcd/ipcd/internal/daemon/daemontest"
	"github.com/ipcd/ipcd/internal/shimcli"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// hookDaemon is a real daemon on a short socket with a fake clock, and
// the environment ipc-mcp hook runs with.
type hookDaemon struct {
	loc   cli.Location
	clock *clock.Fake
	env   map[string]string
}

func startHookDaemon(t *testing.T) *hookDaemon {
	t.Helper()
	dir := daemontest.TempDir(t)
	loc := cli.Location{DataDir: filepath.Join(dir, "data"), Socket: filepath.Join(dir, "s.sock")}
	secret := daemontest.Secret(t, filepath.Join(loc.DataDir, "secret"))
	clk := clock.NewFake(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	daemontest.Serve(t, daemon.Config{DataDir: loc.DataDir, Socket: loc.Socket, Secret: &secret, Clock: clk, NoSync: true})
	return &hookDaemon{loc: loc, clock: clk, env: map[string]string{
		"IPC_DATA_DIR": loc.DataDir, "IPC_SOCKET": loc.Socket, "HOME": dir,
	}}
}

// as is a client that saves its session where ipc-mcp finds it, as the
// MCP server of the same AI client does.
func (hd *hookDaemon) as(t *testing.T, name string) *client.Client {
	t.Helper()
	c := client.New(hd.loc.ClientOptions(func(string) string { return "" }))
	t.Cleanup(c.Close)
	if _, err := c.Register(context.Background(), name, false); err != nil {
		t.Fatal(err)
	}
	return c
}

// hook runs `ipc-mcp hook` in-process with event on stdin.
func (hd *hookDaemon) hook(t *testing.T, event string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	env := cli.Env{
		Stdin: strings.NewReader(event), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return hd.env[k] },
	}
	code = shimcli.Main(context.Background(), append([]string{"hook"}, args...), env)
	return out.String(), errb.String(), code
}

// shape replaces the texts of a hook's output by "<text>", leaving the
// JSON shape that the client's documentation fixes.
func shape(t *testing.T, out string) string {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("hook output is not one JSON object: %v\n%s", err, out)
	}
	var blank func(any) any
	blank = func(x any) any {
		switch x := x.(type) {
		case map[string]any:
			for k, val := range x {
				if k == "reason" || k == "additionalContext" {
					x[k] = "<text>"
				} else {
					x[k] = blank(val)
				}
			}
		}
		return x
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	enc.Encode(blank(v))
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "hook", name+".json")
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func unread(t *testing.T, c *client.Client) int {
	t.Helper()
	w, err := c.Whoami(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return w.Unread
}

func TestHookClients(t *testing.T) {
	for _, tc := range []struct {
		client, start, prompt, stop string
	}{
		{"claude", "SessionStart", "UserPromptSubmit", "Stop"},
		{"gemini", "SessionStart", "BeforeAgent", "AfterAgent"},
	} {
		t.Run(tc.client, func(t *testing.T) {
			hd := startHookDaemon(t)
			alice := hd.as(t, "alice")
			bob := hd.as(t, "bob")
			bg := context.Background()
			ev := func(name string, stopActive bool) string {
				b, _ := json.Marshal(map[string]any{
					"session_id": "s1", "transcript_path": "/tmp/t.jsonl", "cwd": "/tmp",
					"hook_event_name": name, "stop_hook_active": stopActive, "prompt": "hi",
				})
				return string(b)
			}
			quiet := func(what, event string) {
				t.Helper()
				out, errOut, code := hd.hook(t, event, "--as", "alice")
				if out != "{}\n" || errOut != "" || code != 0 {
					t.Fatalf("%s: want {} and nothing else, got code %d stdout %q stderr %q", what, code, out, errOut)
				}
			}
			quiet("nothing waiting at start", ev(tc.start, false))
			if _, err := bob.Send(bg, protocol.SendRequest{To: "alice", Content: "hello from bob"}); err != nil {
				t.Fatal(err)
			}

			// SessionStart tells of waiting mail and leaves it unread.
			out, _, code := hd.hook(t, ev(tc.start, false), "--as", "alice")
			if code != 0 || !strings.Contains(out, "1 unread message is waiting for alice") {
				t.Fatalf("start: %d %q", code, out)
			}
			golden(t, tc.client+"-start", shape(t, out))
			if unread(t, alice) != 1 {
				t.Fatal("SessionStart consumed mail")
			}

			// Auto checking off: prompts and stops say nothing.
			quiet("prompt, auto check off", ev(tc.prompt, false))
			quiet("stop, auto check off", ev(tc.stop, false))

			if _, err := alice.SetAutoCheck(bg, protocol.AutoCheckRequest{Enabled: true, IntervalMinutes: 5}); err != nil {
				t.Fatal(err)
			}
			quiet("prompt, not due", ev(tc.prompt, false))
			quiet("stop with stop_hook_active", ev(tc.stop, true))

			// About to stop with unread mail: the agent is kept going with it.
			out, _, _ = hd.hook(t, ev(tc.stop, false), "--as", "alice")
			if !strings.Contains(out, "hello from bob") {
				t.Fatalf("stop: %q", out)
			}
			golden(t, tc.client+"-stop", shape(t, out))
			if n := unread(t, alice); n != 0 {
				t.Fatalf("after stop delivery: %d unread", n)
			}
			quiet("stop, nothing unread", ev(tc.stop, false))

			// A prompt when the interval has passed gets the new mail.
			if _, err := bob.Send(bg, protocol.SendRequest{To: "alice", Content: "second note"}); err != nil {
				t.Fatal(err)
			}
			hd.clock.Advance(5 * time.Minute)
			out, _, _ = hd.hook(t, ev(tc.prompt, false), "--as", "alice")
			if !strings.Contains(out, "second note") || strings.Contains(out, "hello from bob") {
				t.Fatalf("prompt, due: %q", out)
			}
			golden(t, tc.client+"-prompt", shape(t, out))
			if n := unread(t, alice); n != 0 {
				t.Fatalf("after prompt delivery: %d unread", n)
			}
			if _, err := bob.Send(bg, protocol.SendRequest{To: "alice", Content: "third"}); err != nil {
				t.Fatal(err)
			}
			quiet("prompt right after a check", ev(tc.prompt, false))
		})
	}
}

func TestHookNeverBreaksTheClient(t *testing.T) {
	hd := startHookDaemon(t)
	hd.as(t, "alice")
	other := client.New(client.Options{Socket: hd.loc.Socket, Secret: hd.loc.ClientOptions(func(string) string { return "" }).Secret})
	defer other.Close()
	if _, err := other.Register(context.Background(), "mallory", false); err != nil {
		t.Fatal(err)
	}
	down := &hookDaemon{env: map[string]string{"IPC_DATA_DIR": t.TempDir(), "IPC_SOCKET": "/tmp/ipx-none/s.sock"}}
	for _, tc := range []struct {
		name   string
		hd     *hookDaemon
		stdin  string
		args   []string
		stderr string
	}{
		{"daemon down", down, `{"hook_event_name":"UserPromptSubmit"}`, []string{"--as", "alice"}, "not running"},
		{"not JSON", hd, `hello`, []string{"--as", "alice"}, "read hook event"},
		{"empty", hd, ``, []string{"--as", "alice"}, "read hook event"},
		{"no event", hd, `{"session_id":"x"}`, []string{"--as", "alice"}, "no hook_event_name"},
		{"unknown event", hd, `{"hook_event_name":"PreToolUse"}`, []string{"--as", "alice"}, ""},
		{"no name", hd, `{"hook_event_name":"UserPromptSubmit"}`, nil, ""},
		{"bad name", hd, `{"hook_event_name":"UserPromptSubmit"}`, []string{"--as", "no way"}, "invalid"},
		{"name held elsewhere", hd, `{"hook_event_name":"SessionStart"}`, []string{"--as", "mallory"}, "name_taken"},
		// Exit 2 would block the client: a hand-edited hook line with a
		// stray flag or argument still exits 0.
		{"unknown flag", hd, `{"hook_event_name":"UserPromptSubmit"}`, []string{"--as", "alice", "--bogus"}, ""},
		{"stray argument", hd, `{"hook_event_name":"UserPromptSubmit"}`, []string{"--as", "alice", "extra"}, ""},
		{"bad flag value", hd, `{"hook_event_name":"UserPromptSubmit"}`, []string{"--as", "alice", "--no-autostart=maybe"}, "invalid argument"},
		{"flag without its value", hd, `{"hook_event_name":"UserPromptSubmit"}`, []string{"--as"}, "needs an argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			out, errOut, code := tc.hd.hook(t, tc.stdin, tc.args...)
			if code != 0 || out != "{}\n" {
				t.Fatalf("code %d stdout %q", code, out)
			}
			if !strings.Contains(errOut, tc.stderr) || (tc.stderr == "" && errOut != "") {
				t.Fatalf("stderr %q, want %q", errOut, tc.stderr)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("took %s", d)
			}
		})
	}
	// The hook starts no daemon.
	if _, err := os.Stat("/tmp/ipx-none"); err == nil {
		t.Fatal("the hook created the socket directory")
	}
}

// What the hook hands over stays under the budget Claude Code keeps in
// the conversation; mail that does not fit stays unread for the next turn,
// and a message too long on its own is announced, not marked read.
func TestHookBudget(t *testing.T) {
	hd := startHookDaemon(t)
	alice := hd.as(t, "alice")
	bob := hd.as(t, "bob")
	bg := context.Background()
	if _, err := alice.SetAutoCheck(bg, protocol.AutoCheckRequest{Enabled: true, IntervalMinutes: 5}); err != nil {
		t.Fatal(err)
	}
	send := func(content string) {
		t.Helper()
		if _, err := bob.Send(bg, protocol.SendRequest{To: "alice", Content: content}); err != nil {
			t.Fatal(err)
		}
	}
	prompt := `{"hook_event_name":"UserPromptSubmit","prompt":"hi"}`
	deliver := func() string {
		t.Helper()
		hd.clock.Advance(5 * time.Minute)
		out, errOut, code := hd.hook(t, prompt, "--as", "alice")
		if code != 0 || errOut != "" {
			t.Fatalf("hook: %d %q", code, errOut)
		}
		var v hookJSON
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("hook output %q: %v", out, err)
		}
		text := v.HookSpecificOutput.AdditionalContext
		if len(text) > 9000 {
			t.Fatalf("hook handed over %d bytes", len(text))
		}
		return text
	}
	for _, c := range "abc" {
		send(strings.Repeat(string(c), 4000))
	}
	first := deliver()
	if !strings.Contains(first, strings.Repeat("a", 4000)) || !strings.Contains(first, strings.Repeat("b", 4000)) ||
		strings.Contains(first, "ccc") || !strings.Contains(first, "1 more unread") {
		t.Fatalf("first delivery: %.300q", first)
	}
	if n := unread(t, alice); n != 1 {
		t.Fatalf("after the first delivery: %d unread, want 1", n)
	}
	if second := deliver(); !strings.Contains(second, strings.Repeat("c", 4000)) {
		t.Fatalf("second delivery: %.300q", second)
	}

	// 9,500 bytes: under the large-message threshold, so shown whole, and
	// over the budget on its own.
	send(strings.Repeat("d", 9500))
	third := deliver()
	if !strings.Contains(third, "too long to show here") || strings.Contains(third, "ddd") {
		t.Fatalf("third delivery: %.300q", third)
	}
	if n := unread(t, alice); n != 1 {
		t.Fatalf("the long message was marked read: %d unread", n)
	}
}

type hookJSON struct {
	HookSpecificOutput struct {
		AdditionalContext string `json:"additionalContext"`
	} `json:"hookSpecificOutput"`
}
