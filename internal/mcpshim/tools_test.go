package mcpshim_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/mcpshim"
	"github.com/ipcd/ipcd/pkg/protocol"
)

var bg = context.Background()

// call calls a tool, fails on a protocol error, and decodes the
// structured content into out (when not nil and not a tool error).
func (sh *shim) call(t *testing.T, tool string, args any, out any) *mcp.CallToolResult {
	t.Helper()
	res, err := sh.cs.CallTool(bg, &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	if out != nil && !res.IsError {
		b, err := json.Marshal(res.StructuredContent)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: decode %s: %v", tool, b, err)
		}
	}
	return res
}

// ok calls a tool that must succeed.
func (sh *shim) ok(t *testing.T, tool string, args any, out any) string {
	t.Helper()
	res := sh.call(t, tool, args, out)
	if res.IsError {
		t.Fatalf("%s: tool error: %s", tool, text(res))
	}
	return text(res)
}

// fails calls a tool that must fail and returns its sentence.
func (sh *shim) fails(t *testing.T, tool string, args any) string {
	t.Helper()
	res := sh.call(t, tool, args, nil)
	if !res.IsError {
		t.Fatalf("%s: succeeded, want a tool error: %s", tool, text(res))
	}
	return text(res)
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func contents(ms []mcpshim.Message) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Content)
	}
	return out
}

func send(t *testing.T, c *client.Client, to, content string) protocol.SendResponse {
	t.Helper()
	r, err := c.Send(bg, protocol.SendRequest{To: to, Content: content})
	if err != nil {
		t.Fatalf("send to %s: %v", to, err)
	}
	return r
}

func TestToolsList(t *testing.T) {
	td := startDaemon(t)
	sh := td.shim(shimOpts{})
	res, err := sh.cs.ListTools(bg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
		if tool.OutputSchema == nil || tool.Description == "" {
			t.Errorf("%s: no output schema or description", tool.Name)
		}
	}
	slices.Sort(names)
	want := []string{"auto_check", "broadcast", "check", "history", "list_instances", "register", "rename", "send", "wait_for_messages"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Fatalf("tools (-want +got):\n%s", diff)
	}
}

func TestConversation(t *testing.T) {
	td := startDaemon(t)
	sh := td.shim(shimOpts{name: "alice"})
	bob := td.as("bob")

	var sent mcpshim.SendOutput
	sh.ok(t, "send", map[string]any{"to": "bob", "message": "hello bob"}, &sent)
	got, err := bob.Check(bg, protocol.CheckRequest{})
	if err != nil || len(got.Messages) != 1 || got.Messages[0].Content != "hello bob" || got.Messages[0].From != "alice" {
		t.Fatalf("bob got %+v, %v", got, err)
	}
	firstID := sent.ID
	if _, err := bob.Send(bg, protocol.SendRequest{To: "alice", Content: "hi alice", ReplyTo: firstID}); err != nil {
		t.Fatal(err)
	}

	// The unread hint rides on every result.
	txt := sh.ok(t, "send", map[string]any{"to": "bob", "message": "second", "reply_to": sent.ID}, &sent)
	if sent.Unread != 1 || !strings.Contains(txt, "You have 1 unread message") {
		t.Fatalf("send: unread %d, text %q", sent.Unread, txt)
	}
	var list mcpshim.ListOutput
	txt = sh.ok(t, "list_instances", map[string]any{}, &list)
	if list.Unread != 1 || !strings.Contains(txt, "alice (you): online") || !strings.Contains(txt, "bob") || !strings.Contains(txt, "1 unread message") {
		t.Fatalf("list: %+v %q", list, txt)
	}

	var mail mcpshim.MailOutput
	sh.ok(t, "check", map[string]any{"peek": true}, &mail)
	if len(mail.Messages) != 1 || mail.Unread != 1 {
		t.Fatalf("peek: %+v", mail)
	}
	txt = sh.ok(t, "check", map[string]any{}, &mail)
	if diff := cmp.Diff([]string{"hi alice"}, contents(mail.Messages)); diff != "" || mail.Unread != 0 || mail.Messages[0].ReplyTo != firstID {
		t.Fatalf("check: %s %+v", diff, mail)
	}
	if !strings.Contains(txt, "From bob") || strings.Contains(txt, "unread") {
		t.Fatalf("check text %q", txt)
	}
	if txt = sh.ok(t, "check", map[string]any{}, &mail); txt != "No new messages." || mail.Messages == nil {
		t.Fatalf("second check: %q %+v", txt, mail)
	}

	var hist mcpshim.HistoryOutput
	sh.ok(t, "history", map[string]any{}, &hist)
	if diff := cmp.Diff([]string{"hi alice"}, contents(hist.Messages)); diff != "" {
		t.Fatalf("history: %s", diff)
	}

	var bc mcpshim.BroadcastOutput
	sh.ok(t, "broadcast", map[string]any{"message": "team meeting in 5"}, &bc)
	if diff := cmp.Diff([]string{"bob"}, bc.Recipients); diff != "" || bc.Skipped == nil {
		t.Fatalf("broadcast: %s %+v", diff, bc)
	}

	var rn mcpshim.RenameOutput
	sh.ok(t, "rename", map[string]any{"new_name": "alice-debugging"}, &rn)
	if rn.Name != "alice-debugging" || rn.OldName != "alice" {
		t.Fatalf("rename: %+v", rn)
	}
	send(t, bob, "alice", "to the old name")
	sh.ok(t, "check", map[string]any{}, &mail)
	if len(mail.Messages) != 1 || mail.Messages[0].SentTo != "alice" || mail.Messages[0].To != "alice-debugging" {
		t.Fatalf("forwarded: %+v", mail.Messages)
	}
}

func TestAutoCheckTool(t *testing.T) {
	td := startDaemon(t)
	sessions := &client.MemorySessions{}
	sh := td.shim(shimOpts{name: "alice", sessions: sessions})
	var ac mcpshim.AutoCheckOutput
	if txt := sh.ok(t, "auto_check", map[string]any{"action": "status"}, &ac); ac.Enabled || !strings.Contains(txt, "off") {
		t.Fatalf("status: %+v %q", ac, txt)
	}
	sh.ok(t, "auto_check", map[string]any{"action": "on"}, &ac)
	if !ac.Enabled || ac.IntervalMinutes != 5 || ac.NextDue == nil {
		t.Fatalf("on: %+v", ac)
	}
	sh.ok(t, "auto_check", map[string]any{"action": "on", "interval_minutes": 12}, &ac)
	if !ac.Enabled || ac.IntervalMinutes != 12 {
		t.Fatalf("on 12: %+v", ac)
	}
	// Kept in the daemon: another client of the same name sees it.
	other := td.client(sessions)
	other.As("alice")
	if got, err := other.AutoCheck(bg); err != nil || !got.Enabled || got.IntervalMinutes != 12 {
		t.Fatalf("daemon has %+v, %v", got, err)
	}
	sh.ok(t, "auto_check", map[string]any{"action": "off"}, &ac)
	if ac.Enabled {
		t.Fatalf("off: %+v", ac)
	}
	for _, tc := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"action": "on", "interval_minutes": 61}, "from 1 to 60"},
		{map[string]any{"action": "sometimes"}, "on, off or status"},
		{map[string]any{}, "action"},
	} {
		if msg := sh.fails(t, "auto_check", tc.args); !strings.Contains(msg, tc.want) {
			t.Errorf("%v: %q, want %q", tc.args, msg, tc.want)
		}
	}
}

func TestRegisterReturnsInbox(t *testing.T) {
	td := startDaemon(t)
	bob := td.as("bob")
	send(t, bob, "carol", "before you came")
	sessions := &client.MemorySessions{}
	sh := td.shim(shimOpts{sessions: sessions})
	if msg := sh.fails(t, "check", map[string]any{}); !strings.Contains(msg, "register") {
		t.Fatalf("check before register: %q", msg)
	}
	var reg mcpshim.RegisterOutput
	txt := sh.ok(t, "register", map[string]any{"name": "carol"}, &reg)
	if diff := cmp.Diff([]string{"before you came"}, contents(reg.Messages)); diff != "" || !strings.Contains(txt, "before you came") {
		t.Fatalf("register: %s %q", diff, txt)
	}

	// The AI client restarts: a new shim with the saved session registers
	// the same name again and gets what waited meanwhile.
	send(t, bob, "carol", "while you were away")
	again := td.shim(shimOpts{sessions: sessions})
	again.ok(t, "register", map[string]any{"name": "carol"}, &reg)
	if diff := cmp.Diff([]string{"while you were away"}, contents(reg.Messages)); diff != "" || reg.Unread != 0 {
		t.Fatalf("register again: %s %+v", diff, reg)
	}
	if txt := again.ok(t, "register", map[string]any{"name": "carol"}, &reg); len(reg.Messages) != 0 || !strings.Contains(txt, "No messages waiting") || reg.Messages == nil {
		t.Fatalf("register with nothing waiting: %q %+v", txt, reg)
	}
}

func TestToolErrors(t *testing.T) {
	td := startDaemon(t)
	td.as("dave")
	sh := td.shim(shimOpts{name: "alice"})
	cases := []struct {
		tool string
		args map[string]any
		want string
	}{
		{"send", map[string]any{"to": "no spaces", "message": "x"}, "(invalid_name)"},
		{"send", map[string]any{"to": "bob", "message": ""}, "(empty_message)"},
		{"send", map[string]any{"to": "system", "message": "x"}, "(reserved_name)"},
		{"send", map[string]any{"to": "bob"}, "message"},
		{"register", map[string]any{"name": "dave"}, "(name_taken)"},
		{"rename", map[string]any{"new_name": "dave"}, "(name_taken)"},
		{"rename", map[string]any{"new_name": "bad name"}, "(invalid_name)"},
		{"wait_for_messages", map[string]any{"timeout_seconds": -1}, "positive"},
		{"history", map[string]any{"limit": 5000}, "(invalid_argument)"},
	}
	for _, tc := range cases {
		t.Run(tc.tool+"/"+tc.want, func(t *testing.T) {
			if msg := sh.fails(t, tc.tool, tc.args); !strings.Contains(msg, tc.want) {
				t.Fatalf("%q, want it to contain %q", msg, tc.want)
			}
		})
	}
	sh.ok(t, "rename", map[string]any{"new_name": "alice2"}, nil)
	if msg := sh.fails(t, "rename", map[string]any{"new_name": "alice3"}); !strings.Contains(msg, "(rename_cooldown)") {
		t.Fatalf("second rename: %q", msg)
	}
}

func TestNameTakenAtStart(t *testing.T) {
	td := startDaemon(t)
	td.as("eve")
	sh := td.shim(shimOpts{name: "eve"})
	if msg := sh.fails(t, "check", map[string]any{}); !strings.Contains(msg, "(name_taken)") {
		t.Fatalf("check: %q", msg)
	}
	// Taking the name over with the register tool mends it.
	var reg mcpshim.RegisterOutput
	sh.ok(t, "register", map[string]any{"name": "eve", "takeover": true}, &reg)
	if !reg.TookOver {
		t.Fatalf("register: %+v", reg)
	}
	sh.ok(t, "check", map[string]any{}, nil)
}

func TestDaemonDownIsAnError(t *testing.T) {
	dir, err := os.MkdirTemp("/tmp", "ipx")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "none.sock")
	td := &testDaemon{t: t, socket: sock}
	sh := td.shim(shimOpts{name: "alice", mutate: func(o *mcpshim.Options) {
		o.Connect = func(context.Context) (*client.Client, error) {
			return client.New(client.Options{Socket: sock}), nil
		}
	}})
	for _, tool := range []string{"check", "wait_for_messages", "list_instances"} {
		msg := sh.fails(t, tool, map[string]any{})
		if !strings.Contains(msg, "not running") || strings.Contains(msg, "No new messages") {
			t.Errorf("%s: %q", tool, msg)
		}
	}
	// A daemon that cannot be started is reported by the tools as well.
	sh2 := td.shim(shimOpts{name: "alice", mutate: func(o *mcpshim.Options) {
		o.Connect = func(context.Context) (*client.Client, error) {
			return nil, errors.New("cannot start the daemon: ipcd is neither on PATH nor beside ipc-mcp")
		}
	}})
	if msg := sh2.fails(t, "send", map[string]any{"to": "bob", "message": "x"}); !strings.Contains(msg, "cannot start the daemon") {
		t.Errorf("send: %q", msg)
	}
}

func TestWaitWakesOnSend(t *testing.T) {
	td := startDaemon(t)
	sh := td.shim(shimOpts{name: "alice"})
	bob := td.as("bob")
	type answer struct {
		out mcpshim.MailOutput
		res *mcp.CallToolResult
	}
	done := make(chan answer, 1)
	start := time.Now()
	go func() {
		var a answer
		res, err := sh.cs.CallTool(bg, &mcp.CallToolParams{Name: "wait_for_messages", Arguments: map[string]any{"timeout_seconds": 300}})
		if err == nil {
			b, _ := json.Marshal(res.StructuredContent)
			json.Unmarshal(b, &a.out)
			a.res = res
		}
		done <- a
	}()
	waitUntil(t, func() bool { return waiting(t, bob, "alice") })
	send(t, bob, "alice", "wake up")
	a := <-done
	if a.res == nil || a.res.IsError || len(a.out.Messages) != 1 || a.out.Messages[0].Content != "wake up" {
		t.Fatalf("wait: %+v", a)
	}
	if time.Since(start) > 60*time.Second {
		t.Fatalf("wait took %s", time.Since(start))
	}
	// It was marked read.
	if w, _ := bob.List(bg); unreadOf(w, "alice") != 0 {
		t.Fatalf("alice still has unread mail after wait")
	}
}

func TestWaitTimesOut(t *testing.T) {
	td := startDaemon(t)
	sh := td.shim(shimOpts{name: "alice"})
	var out mcpshim.MailOutput
	txt := sh.ok(t, "wait_for_messages", map[string]any{"timeout_seconds": 1}, &out)
	if !out.TimedOut || out.Messages == nil || len(out.Messages) != 0 || txt != "No messages within 1s." {
		t.Fatalf("wait: %+v %q", out, txt)
	}
}

func TestWaitProgressAndCancel(t *testing.T) {
	td := startDaemon(t)
	sh := td.shim(shimOpts{name: "alice", mutate: func(o *mcpshim.Options) { o.ProgressEvery = 10 * time.Millisecond }})
	bob := td.as("bob")
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		params := &mcp.CallToolParams{Name: "wait_for_messages", Arguments: map[string]any{"timeout_seconds": 600}}
		params.SetProgressToken("wait-1")
		_, err := sh.cs.CallTool(ctx, params)
		done <- err
	}()
	select {
	case <-sh.progress:
	case <-time.After(30 * time.Second):
		t.Fatal("no progress notification")
	}
	waitUntil(t, func() bool { return waiting(t, bob, "alice") })
	cancel()
	if err := <-done; err == nil {
		t.Fatal("cancelled wait returned no error")
	}
	// The daemon wait ended too: alice no longer waits.
	waitUntil(t, func() bool { return !waiting(t, bob, "alice") })
	// And the mail that comes later is still there for the next check.
	send(t, bob, "alice", "after the cancel")
	var mail mcpshim.MailOutput
	sh.ok(t, "check", map[string]any{}, &mail)
	if diff := cmp.Diff([]string{"after the cancel"}, contents(mail.Messages)); diff != "" {
		t.Fatal(diff)
	}
}

func TestInboxSubscription(t *testing.T) {
	for _, version := range []string{"2025-06-18", "2025-11-25", ""} {
		t.Run("version="+version, func(t *testing.T) {
			td := startDaemon(t)
			sh := td.shim(shimOpts{name: "alice", version: version})
			bob := td.as("bob")
			send(t, bob, "alice", "old mail")
			if err := sh.cs.Subscribe(bg, &mcp.SubscribeParams{URI: mcpshim.InboxURI}); err != nil {
				t.Fatal(err)
			}
			waitUntil(t, func() bool { return waiting(t, bob, "alice") })
			send(t, bob, "alice", "new mail")
			select {
			case uri := <-sh.updates:
				if uri != mcpshim.InboxURI {
					t.Fatalf("updated %q", uri)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("no resources/updated notification")
			}
			res, err := sh.cs.ReadResource(bg, &mcp.ReadResourceParams{URI: mcpshim.InboxURI})
			if err != nil {
				t.Fatal(err)
			}
			var inbox mcpshim.InboxContents
			if err := json.Unmarshal([]byte(res.Contents[0].Text), &inbox); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"old mail", "new mail"}, contents(inbox.Messages)); diff != "" || inbox.Unread != 2 {
				t.Fatalf("inbox: %s %+v", diff, inbox)
			}
			if err := sh.cs.Unsubscribe(bg, &mcp.UnsubscribeParams{URI: mcpshim.InboxURI}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func waiting(t *testing.T, c *client.Client, name string) bool {
	t.Helper()
	l, err := c.List(bg)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range l.Identities {
		if id.Name == name {
			return id.Waiting
		}
	}
	return false
}

func unreadOf(l protocol.ListResponse, name string) int {
	for _, id := range l.Identities {
		if id.Name == name {
			return id.Unread
		}
	}
	return -1
}

// waitUntil polls cond until it holds; the bound is generous, for a busy machine.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDaemonRestartRenewsSession(t *testing.T) {
	td := startDaemon(t)
	sh := td.shim(shimOpts{name: "alice"})
	sh.ok(t, "check", map[string]any{}, nil)
	bob := td.as("bob")
	send(t, bob, "alice", "sent before the restart")
	td.stop()
	td.start()
	// The daemon forgot every session; the shim registers again by itself
	// and the waiting mail is there.
	var mail mcpshim.MailOutput
	sh.ok(t, "check", map[string]any{}, &mail)
	if diff := cmp.Diff([]string{"sent before the restart"}, contents(mail.Messages)); diff != "" {
		t.Fatal(diff)
	}
}

func TestNameRegistersAtStart(t *testing.T) {
	td := startDaemon(t)
	bob := td.as("bob")
	send(t, bob, "alice", "waiting for you")
	td.shim(shimOpts{name: "alice"})
	// No tool is called: IPC_NAME alone brings alice online.
	waitUntil(t, func() bool {
		l, err := bob.List(bg)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range l.Identities {
			if id.Name == "alice" && id.Registered {
				return true
			}
		}
		return false
	})
}

// A check never hands the client more than it keeps (Claude Code drops a
// tool result past 25,000 tokens): what does not fit stays unread and
// comes with the next check, in order, none lost.
func TestCheckStaysWithinBudget(t *testing.T) {
	td := startDaemon(t)
	sh := td.shim(shimOpts{name: "alice"})
	bob := td.as("bob")
	sh.ok(t, "check", map[string]any{}, nil) // alice is registered
	for _, c := range "abcde" {
		if _, err := bob.Send(bg, protocol.SendRequest{To: "alice", Content: strings.Repeat(string(c), 8000)}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for round := 0; len(got) < 5; round++ {
		if round == 5 {
			t.Fatalf("after 5 checks only %d messages came", len(got))
		}
		var mail mcpshim.MailOutput
		txt := sh.ok(t, "check", map[string]any{}, &mail)
		if len(txt) > 20000 {
			t.Fatalf("check %d: %d bytes of text", round, len(txt))
		}
		if len(mail.Messages) == 0 || len(mail.Messages) > 2 {
			t.Fatalf("check %d: %d messages", round, len(mail.Messages))
		}
		if left := 5 - len(got) - len(mail.Messages); mail.Unread != left || mail.More != (left > 0) {
			t.Fatalf("check %d: unread %d more %v, want %d left", round, mail.Unread, mail.More, left)
		}
		for _, m := range mail.Messages {
			got = append(got, m.Content[:1])
		}
	}
	if diff := cmp.Diff([]string{"a", "b", "c", "d", "e"}, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// A refused register leaves a server with no name as it was: its tools
// say it is not registered, and it never later acts as the refused name.
func TestRefusedRegisterLeavesNoName(t *testing.T) {
	td := startDaemon(t)
	td.as("held")
	sh := td.shim(shimOpts{})
	if msg := sh.fails(t, "register", map[string]any{"name": "held"}); !strings.Contains(msg, "name_taken") {
		t.Fatalf("register: %q", msg)
	}
	if msg := sh.fails(t, "check", map[string]any{}); strings.Contains(msg, "name_taken") || !strings.Contains(msg, "register") {
		t.Fatalf("check after a refused register: %q", msg)
	}
}

// A subscriber whose server moves to another name (the register tool)
// hears of that name's new mail, though the old name had read more.
func TestInboxSubscriptionFollowsTheName(t *testing.T) {
	td := startDaemon(t)
	sh := td.shim(shimOpts{name: "abe"})
	bob := td.as("bob")
	for range 6 {
		send(t, bob, "abe", "for abe")
	}
	sh.ok(t, "check", map[string]any{}, nil) // abe's cursor is at 6
	if err := sh.cs.Subscribe(bg, &mcp.SubscribeParams{URI: mcpshim.InboxURI}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, func() bool { return waiting(t, bob, "abe") })
	sh.ok(t, "register", map[string]any{"name": "abe2"}, nil)
	waitUntil(t, func() bool { return waiting(t, bob, "abe2") })
	send(t, bob, "abe2", "for abe2")
	select {
	case uri := <-sh.updates:
		if uri != mcpshim.InboxURI {
			t.Fatalf("updated %q", uri)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no resources/updated notification for the new name's mail")
	}
}

// Resource requests fail with JSON-RPC error codes, not code 0. (Under
// the protocol versions that subscribe with resources/subscribe: newer
// ones listen in the background.)
func TestResourceErrorCodes(t *testing.T) {
	td := startDaemon(t)
	sh := td.shim(shimOpts{version: "2025-06-18"})
	err := sh.cs.Subscribe(bg, &mcp.SubscribeParams{URI: "ipc://elsewhere"})
	var we *jsonrpc.Error
	if !errors.As(err, &we) || we.Code != jsonrpc.CodeInvalidParams {
		t.Fatalf("subscribe to another URI: %v", err)
	}
	_, err = sh.cs.ReadResource(bg, &mcp.ReadResourceParams{URI: mcpshim.InboxURI})
	if !errors.As(err, &we) || we.Code != jsonrpc.CodeInternalError || !strings.Contains(we.Message, "register") {
		t.Fatalf("read the inbox before registering: %v", err)
	}
}
