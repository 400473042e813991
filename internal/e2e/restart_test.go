package e2e

import (
	"os"
	"slices"
	"testing"

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

	// bob takes that mail, then waits across the stop.
	var mail mcpshim.MailOutput
	call(t, bob, "check", nil, &mail)
	if !slices.Equal(contents(mail.Messages), []string{"before the stop"}) {
		t.Fatalf("bob's check: %+v", mail)
	}
	waited := waitInBackground(t, bob, 120)
	w.eventuallyWaiting("bob")

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
