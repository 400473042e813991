package e2e

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ipcd/ipcd/internal/mcpshim"
)

// The daemon stops while two AI clients' MCP servers live on: the next
// tool call starts it again, the sessions come back by themselves, and a
// wait that was open goes on against the new daemon until mail comes.
func TestDaemonStopsMidSession(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	w := newWorld(t)
	alice, bob := w.shim("alice"), w.shim("bob")
	call(t, alice, "send", map[string]any{"to": "bob", "message": "before the stop"}, nil)
	eventually(t, "one daemon", func() bool { return len(w.daemons()) == 1 })
	first := w.daemons()[0]

	waited := make(chan mcpshim.MailOutput, 1)
	go func() {
		var out mcpshim.MailOutput
		res, err := bob.CallTool(bg, &mcp.CallToolParams{Name: "wait_for_messages", Arguments: map[string]any{"timeout_seconds": 120}})
		if err == nil && !res.IsError {
			b, _ := json.Marshal(res.StructuredContent)
			json.Unmarshal(b, &out)
		}
		waited <- out
	}()
	// bob's wait returns at once with the mail already there; take it,
	// then wait again across the stop.
	if out := <-waited; !slices.Equal(contents(out.Messages), []string{"before the stop"}) {
		t.Fatalf("first wait: %+v", out)
	}
	go func() {
		var out mcpshim.MailOutput
		res, err := bob.CallTool(bg, &mcp.CallToolParams{Name: "wait_for_messages", Arguments: map[string]any{"timeout_seconds": 120}})
		if err == nil && !res.IsError {
			b, _ := json.Marshal(res.StructuredContent)
			json.Unmarshal(b, &out)
		} else if err == nil {
			t.Errorf("wait across the stop: %s", res.Content[0].(*mcp.TextContent).Text)
		}
		waited <- out
	}()
	c := w.client()
	eventually(t, "bob waiting", func() bool {
		st, err := c.Status(bg)
		if err != nil {
			return false
		}
		for _, id := range st.Identities {
			if id.Name == "bob" && id.Waiting {
				return true
			}
		}
		return false
	})

	// Stop the daemon as a service manager would; the MCP servers may
	// start the next one as soon as it is gone.
	p, err := os.FindProcess(first)
	if err != nil {
		t.Fatal(err)
	}
	p.Signal(os.Interrupt)
	eventually(t, "the first daemon gone", func() bool { return !slices.Contains(w.daemons(), first) })
	// alice's next call brings a daemon back (bob's wait may already have).
	call(t, alice, "send", map[string]any{"to": "bob", "message": "after the restart"}, nil)
	if out := <-waited; !slices.Equal(contents(out.Messages), []string{"after the restart"}) || out.TimedOut {
		t.Fatalf("wait across the stop: %+v", out)
	}
	// Both MCP servers may have started one; the database lock leaves one.
	eventually(t, "one new daemon", func() bool {
		ds := w.daemons()
		return len(ds) == 1 && ds[0] != first
	})
}
