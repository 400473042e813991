package mcpshim_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/mcpshim"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// Mail fetched as one name is never acknowledged as another: when a
// registration switches the server's name between the fetch and the
// acknowledgement, the mail stays unread for the name it came from.
func TestAckAsTheNameThatFetched(t *testing.T) {
	td := startDaemon(t)
	alice := td.as("alice")
	for _, to := range []string{"walt", "walt", "yuri", "yuri"} {
		if _, err := alice.Send(bg, protocol.SendRequest{To: to, Content: "for " + to}); err != nil {
			t.Fatal(err)
		}
	}
	c := td.client(nil)
	if _, err := c.Register(bg, "walt", false); err != nil {
		t.Fatal(err)
	}
	res, err := c.Check(bg, protocol.CheckRequest{})
	if err != nil || len(res.Messages) != 2 {
		t.Fatalf("walt's check: %+v, %v", res, err)
	}
	if _, err := c.Register(bg, "yuri", false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AckAs(bg, "walt", res.Through); err != client.ErrNameChanged {
		t.Fatalf("AckAs walt while acting as yuri: %v, want ErrNameChanged", err)
	}
	st, err := td.client(nil).Status(bg)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range st.Identities {
		if (id.Name == "walt" || id.Name == "yuri") && id.Unread != 2 {
			t.Errorf("%s has %d unread, want 2", id.Name, id.Unread)
		}
	}
}

// register hands over the mail that was waiting within the result budget,
// as check does; the rest stays unread and is said to be waiting.
func TestRegisterKeepsToTheBudget(t *testing.T) {
	td := startDaemon(t)
	alice := td.as("alice")
	for range 40 {
		if _, err := alice.Send(bg, protocol.SendRequest{To: "reg1", Content: strings.Repeat("m", 3000)}); err != nil {
			t.Fatal(err)
		}
	}
	sh := td.shim(shimOpts{})
	var out mcpshim.RegisterOutput
	txt := sh.ok(t, "register", map[string]any{"name": "reg1"}, &out)
	if len(txt) > 25_000 || len(out.Messages) == 0 || len(out.Messages) >= 40 || out.Unread != 40-len(out.Messages) {
		t.Errorf("register: %d bytes of text, %d messages, %d unread", len(txt), len(out.Messages), out.Unread)
	}
	var mail mcpshim.MailOutput
	sh.ok(t, "check", map[string]any{"peek": true}, &mail)
	if mail.Unread != 40-len(out.Messages) {
		t.Errorf("after register, %d unread; want %d", mail.Unread, 40-len(out.Messages))
	}
}

// A timeout too large to be a duration waits for the longest wait, not
// for none at all.
func TestWaitHugeTimeout(t *testing.T) {
	td := startDaemon(t)
	sh := td.shim(shimOpts{name: "walt", mutate: func(o *mcpshim.Options) { o.MaxWait = 300 * time.Millisecond }})
	txt := sh.ok(t, "wait_for_messages", map[string]any{"timeout_seconds": 10_000_000_000}, nil)
	if !strings.Contains(txt, "No messages within 300ms") {
		t.Errorf("wait with a huge timeout: %q", txt)
	}
}
