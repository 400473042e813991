package daemon_test

import (
	"testing"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// A send's answer carries the sender's own unread count, so that a client
// can mention waiting mail without a second call.
func TestSendAnswerCarriesSenderUnread(t *testing.T) {
	td := startDaemon(t, nil)
	alice, bob := td.as("alice"), td.as("bob")
	r, err := alice.Send(bg, protocol.SendRequest{To: "bob", Content: "one"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Unread != 0 {
		t.Fatalf("alice has no mail, the answer says %d unread", r.Unread)
	}
	for _, c := range []string{"a", "b"} {
		if _, err := bob.Send(bg, protocol.SendRequest{To: "alice", Content: c}); err != nil {
			t.Fatal(err)
		}
	}
	r, err = alice.Send(bg, protocol.SendRequest{To: "bob", Content: "two"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Unread != 2 {
		t.Fatalf("alice has 2 unread, the answer says %d", r.Unread)
	}
	// Mail to oneself is unread mail too.
	r, err = alice.Send(bg, protocol.SendRequest{To: "alice", Content: "note to self"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Unread != 3 {
		t.Fatalf("after a note to self alice has 3 unread, the answer says %d", r.Unread)
	}
}
