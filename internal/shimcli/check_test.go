package shimcli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/shimcli"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// `ipc-mcp check` prints at most cli.MailBudget bytes (an AI's shell cuts
// long output); the rest stays unread and comes with the next check, in
// order. --json keeps to the same budget.
func TestCheckStaysWithinBudget(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		hd := startHookDaemon(t)
		hd.as(t, "alice")
		bob := hd.as(t, "bob")
		for _, c := range "abcde" {
			if _, err := bob.Send(context.Background(), protocol.SendRequest{To: "alice", Content: strings.Repeat(string(c), 8000)}); err != nil {
				t.Fatal(err)
			}
		}
		args := []string{"--as", "alice", "check"}
		if asJSON {
			args = append(args, "--json")
		}
		var got []string
		for round := 0; len(got) < 5; round++ {
			if round == 5 {
				t.Fatalf("json %v: after 5 checks only %d messages came", asJSON, len(got))
			}
			var out, errb bytes.Buffer
			env := cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
				Getenv: func(k string) string { return hd.env[k] }}
			if code := shimcli.Main(context.Background(), args, env); code != 0 {
				t.Fatalf("check: exit %d: %s", code, errb.String())
			}
			if out.Len() > cli.MailBudget {
				t.Fatalf("json %v, check %d: %d bytes", asJSON, round, out.Len())
			}
			n := 0
			if asJSON {
				var res protocol.CheckResponse
				if err := json.Unmarshal(out.Bytes(), &res); err != nil {
					t.Fatal(err)
				}
				for _, m := range res.Messages {
					got = append(got, m.Content[:1])
				}
				n = len(res.Messages)
			} else {
				for _, c := range "abcde" {
					if strings.Contains(out.String(), strings.Repeat(string(c), 8000)) {
						got = append(got, string(c))
						n++
					}
				}
				if left := 5 - len(got); left > 0 && !strings.Contains(out.String(), "more unread; check again") {
					t.Fatalf("check %d does not say that %d more wait", round, left)
				}
			}
			if n == 0 {
				t.Fatalf("json %v, check %d: no message", asJSON, round)
			}
		}
		if strings.Join(got, "") != "abcde" {
			t.Errorf("json %v: order %v", asJSON, got)
		}
	}
}

// A shell AI's default name is the one it registered with `ipc-mcp
// register`; another AI's MCP server registering its own name (saving its
// token in the same folder) must not switch it, or the shell AI would
// read, and mark read, the other AI's mail.
func TestDefaultNameIsTheRegisteredOne(t *testing.T) {
	hd := startHookDaemon(t)
	run := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		env := cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
			Getenv: func(k string) string { return hd.env[k] }}
		if code := shimcli.Main(context.Background(), args, env); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		return out.String()
	}
	run("register", "barney")
	hd.as(t, "claude") // as claude's MCP server does, tokens in the same folder
	bob := hd.as(t, "bob")
	for _, to := range []string{"barney", "claude"} {
		if _, err := bob.Send(context.Background(), protocol.SendRequest{To: to, Content: "for " + to}); err != nil {
			t.Fatal(err)
		}
	}
	if out := run("check"); !strings.Contains(out, "for barney") || strings.Contains(out, "for claude") {
		t.Fatalf("check without --as: %q, want barney's mail", out)
	}
	// A rename of the default name moves the default along.
	run("rename", "barney2")
	if out := run("check", "--json"); !strings.Contains(out, `"messages": []`) {
		t.Fatalf("check after rename: %q", out)
	}
	if _, err := bob.Send(context.Background(), protocol.SendRequest{To: "barney2", Content: "to the new name"}); err != nil {
		t.Fatal(err)
	}
	if out := run("check"); !strings.Contains(out, "to the new name") {
		t.Fatalf("check after rename: %q", out)
	}
}

// The command line's text output never carries a terminal escape an AI
// wrote: control characters become '?'; --json keeps the content as sent.
func TestCheckPrintsNoControlCharacters(t *testing.T) {
	hd := startHookDaemon(t)
	hd.as(t, "alice")
	bob := hd.as(t, "bob")
	if _, err := bob.Send(context.Background(), protocol.SendRequest{To: "alice", Content: "\x1b[2Jcleared\a\tend\r\nnext"}); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	env := cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return hd.env[k] }}
	if code := shimcli.Main(context.Background(), []string{"--as", "alice", "check", "--peek"}, env); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if s := out.String(); strings.ContainsAny(s, "\x1b\a\r") || !strings.Contains(s, "?[2Jcleared?\tend\n  next") {
		t.Fatalf("check printed %q", s)
	}
}

// A --limit the daemon would refuse is a usage mistake: exit 2, before
// anything is asked.
func TestLimitIsAUsageMistake(t *testing.T) {
	hd := startHookDaemon(t)
	hd.as(t, "alice")
	for _, args := range [][]string{
		{"--as", "alice", "check", "--limit", "5000"},
		{"--as", "alice", "wait", "--limit", "1001", "--timeout", "1s"},
		{"--as", "alice", "history", "--limit", "-3"},
	} {
		var out, errb bytes.Buffer
		env := cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return hd.env[k] }}
		if code := shimcli.Main(context.Background(), args, env); code != cli.ExitUsage || !strings.Contains(errb.String(), "--limit") {
			t.Errorf("%v: exit %d, %q", args, code, errb.String())
		}
	}
}

// Setup's usage mistakes exit 2 like every other command's.
func TestSetupUsageMistakeExits2(t *testing.T) {
	hd := startHookDaemon(t)
	for _, args := range [][]string{{"setup"}, {"setup", "--list", "gemini"}, {"setup", "cursor", "--dir", "/x"}} {
		var out, errb bytes.Buffer
		env := cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return hd.env[k] }}
		if code := shimcli.Main(context.Background(), args, env); code != cli.ExitUsage {
			t.Errorf("%v: exit %d (%s)", args, code, errb.String())
		}
	}
}
