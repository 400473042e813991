package e2e

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ipcd/ipcd/internal/mcpshim"
)

// toolError calls a tool that must fail and returns its sentence.
func toolError(t *testing.T, cs *mcp.ClientSession, tool string, args map[string]any) string {
	t.Helper()
	res, err := cs.CallTool(bg, &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	if !res.IsError {
		t.Fatalf("%s succeeded; want a tool error", tool)
	}
	return res.Content[0].(*mcp.TextContent).Text
}

// Two AI clients set up with the same IPC_NAME: the second is told the
// name is in use, and never reads the first one's mail through the token
// file they share. When the first client ends, a client started again
// with the name gets it back, session and all.
func TestSameNameTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	w := newWorld(t)
	first := w.shim("carol")
	call(t, first, "list_instances", nil, nil) // registered, daemon up
	second := w.shim("carol")
	if msg := toolError(t, second, "check", nil); !strings.Contains(msg, "in use by another AI client") {
		t.Fatalf("second client's check: %q", msg)
	}

	bob := w.shim("bob")
	call(t, bob, "send", map[string]any{"to": "carol", "message": "for the first carol"}, nil)
	toolError(t, second, "check", nil)
	var mail mcpshim.MailOutput
	call(t, first, "check", nil, &mail)
	if got := contents(mail.Messages); !slices.Equal(got, []string{"for the first carol"}) {
		t.Fatalf("first client's check: %v", got)
	}

	// The first client ends; the name's lock goes with its process.
	first.Close()
	second.Close()
	again := w.shim("carol")
	call(t, bob, "send", map[string]any{"to": "carol", "message": "for carol again"}, nil)
	call(t, again, "check", nil, &mail)
	if got := contents(mail.Messages); !slices.Equal(got, []string{"for carol again"}) {
		t.Fatalf("after a restart: %v", got)
	}

	// A rename takes the lock along: a client set up with the new name
	// is refused too.
	call(t, again, "rename", map[string]any{"new_name": "carol2"}, nil)
	third := w.shim("carol2")
	if msg := toolError(t, third, "check", nil); !strings.Contains(msg, "in use by another AI client") {
		t.Fatalf("a client with the renamed name: %q", msg)
	}
}

// A server that takes a name over while the loser's process still holds
// its claim keeps its new token out of the shared file until the claim is
// its own. A loser started again in that window finds only its old,
// revoked token and is refused; it never shares the taker's session.
// Once the taker holds the claim it saves the token, and a client started
// in its place after it ends resumes its session.
func TestTakeoverTokenStaysWithTheTaker(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	w := newWorld(t)
	loser := w.shim("carol")
	call(t, loser, "list_instances", nil, nil)
	taker := w.shim("dave")
	call(t, taker, "register", map[string]any{"name": "carol", "takeover": true}, nil)

	// The loser's process ends before it noticed; its claim goes with it.
	loser.Close()
	restarted := w.shim("carol")
	if msg := toolError(t, restarted, "check", nil); !strings.Contains(msg, "carol") {
		t.Fatalf("the restarted loser's check: %q", msg)
	}
	bob := w.shim("bob")
	call(t, bob, "send", map[string]any{"to": "carol", "message": "for the taker"}, nil)
	toolError(t, restarted, "check", nil)
	restarted.Close()

	// The taker's next call takes the free claim and saves its token.
	var mail mcpshim.MailOutput
	call(t, taker, "check", map[string]any{"peek": true}, &mail)
	if got := contents(mail.Messages); !slices.Equal(got, []string{"for the taker"}) {
		t.Fatalf("the taker's check: %v", got)
	}
	taker.Close()
	again := w.shim("carol")
	call(t, again, "check", nil, &mail)
	if got := contents(mail.Messages); !slices.Equal(got, []string{"for the taker"}) {
		t.Fatalf("a client started in the taker's place: %v", got)
	}
}

// The command line does not rename a name that an AI client's MCP server
// acts as (it shares that server's session, which would be left acting as
// a name its token no longer has); the server keeps working.
func TestCommandLineLeavesAnMCPServersNameAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	w := newWorld(t)
	pam := w.shim("pam")
	call(t, pam, "list_instances", nil, nil)
	cmd := exec.Command(filepath.Join(binDir, "ipc-mcp"), "--as", "pam", "rename", "pam2")
	cmd.Env = w.env("")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "pam is the name of an AI client's ipc-mcp on this machine") {
		t.Fatalf("rename from the command line: %v, %s", err, out)
	}
	var mail mcpshim.MailOutput
	call(t, pam, "check", nil, &mail)
}
