package e2e

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ipcd/ipcd/internal/mcpshim"
)

var bg = context.Background()

// call runs a tool that must succeed and decodes its structured content.
func call(t *testing.T, cs *mcp.ClientSession, tool string, args map[string]any, out any) string {
	t.Helper()
	res, err := cs.CallTool(bg, &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	var text strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			text.WriteString(tc.Text)
		}
	}
	if res.IsError {
		t.Fatalf("%s: tool error: %s", tool, text.String())
	}
	if out != nil {
		b, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: decode: %v", tool, err)
		}
	}
	return text.String()
}

func contents(ms []mcpshim.Message) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Content)
	}
	return out
}

// TestConversation is two AI clients, then a third, talking through
// ipc-mcp processes that started the daemon themselves.
func TestConversation(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	w := newWorld(t)
	if _, err := os.Stat(w.loc.Socket); err == nil {
		t.Fatal("a daemon socket exists before the test")
	}

	// Two AI clients start at the same moment with no daemon running.
	var alice, bob *mcp.ClientSession
	var wg sync.WaitGroup
	wg.Go(func() { alice = w.shim("alice") })
	wg.Go(func() { bob = w.shim("bob") })
	wg.Wait()
	wg.Go(func() { call(t, alice, "list_instances", nil, nil) })
	wg.Go(func() { call(t, bob, "list_instances", nil, nil) })
	wg.Wait()
	eventually(t, "exactly one daemon", func() bool { return len(w.daemons()) == 1 })

	// register (again, after IPC_NAME did) and send/check.
	var reg mcpshim.RegisterOutput
	call(t, bob, "register", map[string]any{"name": "bob"}, &reg)
	var sent mcpshim.SendOutput
	call(t, alice, "send", map[string]any{"to": "bob", "message": "Hi Bob, Alice here."}, &sent)
	var mail mcpshim.MailOutput
	call(t, bob, "check", nil, &mail)
	if got := contents(mail.Messages); !slices.Equal(got, []string{"Hi Bob, Alice here."}) || mail.Messages[0].From != "alice" {
		t.Fatalf("bob's check: %+v", mail.Messages)
	}

	// A reply, and the unread hint on alice's next result.
	call(t, bob, "send", map[string]any{"to": "alice", "message": "Hello Alice!", "reply_to": sent.ID}, nil)
	if text := call(t, alice, "list_instances", nil, nil); !strings.Contains(text, "1 unread message") {
		t.Fatalf("no unread hint: %q", text)
	}
	call(t, alice, "check", nil, &mail)
	if len(mail.Messages) != 1 || mail.Messages[0].ReplyTo != sent.ID {
		t.Fatalf("alice's check: %+v", mail.Messages)
	}

	// wait_for_messages returns as soon as mail arrives.
	waited := waitInBackground(t, bob, 300)
	w.eventuallyWaiting("bob")
	call(t, alice, "send", map[string]any{"to": "bob", "message": "ping"}, nil)
	if out := <-waited; !slices.Equal(contents(out.Messages), []string{"ping"}) {
		t.Fatalf("wait: %+v", out)
	}

	// Mail to a name nobody has registered yet waits for them.
	call(t, alice, "send", map[string]any{"to": "carol", "message": "Welcome, Carol."}, &sent)
	if !sent.Pending {
		t.Fatalf("send to carol: %+v", sent)
	}
	carol := w.shim("")
	call(t, carol, "register", map[string]any{"name": "carol"}, &reg)
	if !slices.Equal(contents(reg.Messages), []string{"Welcome, Carol."}) {
		t.Fatalf("carol's register: %+v", reg)
	}

	// Broadcast reaches everyone else.
	var bc mcpshim.BroadcastOutput
	call(t, alice, "broadcast", map[string]any{"message": "team meeting in 5"}, &bc)
	if slices.Sort(bc.Recipients); !slices.Equal(bc.Recipients, []string{"bob", "carol"}) {
		t.Fatalf("broadcast: %+v", bc)
	}
	for who, cs := range map[string]*mcp.ClientSession{"bob": bob, "carol": carol} {
		call(t, cs, "check", nil, &mail)
		if len(mail.Messages) != 1 || !mail.Messages[0].Broadcast || mail.Messages[0].Content != "team meeting in 5" {
			t.Fatalf("%s's broadcast copy: %+v", who, mail.Messages)
		}
	}

	// Rename, with the old name forwarding.
	var rn mcpshim.RenameOutput
	call(t, bob, "rename", map[string]any{"new_name": "bob-debugging"}, &rn)
	call(t, alice, "send", map[string]any{"to": "bob", "message": "still there?"}, &sent)
	if sent.To != "bob-debugging" || sent.SentTo != "bob" {
		t.Fatalf("send to old name: %+v", sent)
	}
	call(t, bob, "check", nil, &mail)
	if len(mail.Messages) != 1 || mail.Messages[0].SentTo != "bob" || mail.Messages[0].Content != "still there?" {
		t.Fatalf("forwarded: %+v", mail.Messages)
	}
	// (The others were told of the rename.)
	call(t, carol, "check", nil, &mail)
	if len(mail.Messages) != 1 || mail.Messages[0].From != "system" || !strings.Contains(mail.Messages[0].Content, "bob-debugging") {
		t.Fatalf("rename note: %+v", mail.Messages)
	}

	// A 50 KiB message: a summary and a file, and the whole on request.
	big := strings.Repeat("0123456789abcdef", 50*1024/16)
	call(t, alice, "send", map[string]any{"to": "bob-debugging", "message": big}, &sent)
	call(t, bob, "check", map[string]any{"peek": true}, &mail)
	m := mail.Messages[0]
	if len(mail.Messages) != 1 || !m.Truncated || m.Size != len(big) || m.File == "" || len(m.Content) >= len(big) {
		t.Fatalf("large message summary: truncated=%v size=%d file=%q len=%d", m.Truncated, m.Size, m.File, len(m.Content))
	}
	if b, err := os.ReadFile(m.File); err != nil || string(b) != big {
		t.Fatalf("large message file: %d bytes, %v", len(b), err)
	}
	call(t, bob, "check", map[string]any{"full": true}, &mail)
	if len(mail.Messages) != 1 || mail.Messages[0].Content != big {
		t.Fatalf("large message in full: %d bytes", len(mail.Messages[0].Content))
	}

	// history and auto_check round out the tools.
	var hist mcpshim.HistoryOutput
	call(t, bob, "history", map[string]any{"limit": 3}, &hist)
	if len(hist.Messages) != 3 || hist.Messages[0].Size != len(big) || !hist.Messages[0].Truncated {
		t.Fatalf("history: %d messages", len(hist.Messages))
	}
	var ac mcpshim.AutoCheckOutput
	call(t, bob, "auto_check", map[string]any{"action": "on", "interval_minutes": 5}, &ac)
	if !ac.Enabled || ac.IntervalMinutes != 5 {
		t.Fatalf("auto check: %+v", ac)
	}

	// Exactly one daemon served all of it, and it is the one status names.
	pids := w.daemons()
	st, err := w.client().Status(bg)
	if err != nil {
		t.Fatal(err)
	}
	if len(pids) != 1 || pids[0] != st.PID {
		t.Fatalf("daemons %v, status pid %d", pids, st.PID)
	}
}
