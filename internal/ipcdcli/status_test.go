package ipcdcli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/service"
	"github.com/ipcd/ipcd/pkg/protocol"
)

func TestStatusAgainstDaemon(t *testing.T) {
	w := newWorld(t)
	w.svc.set(service.StateRunning)
	w.start()
	alice, bob := w.as("alice"), w.as("bob")
	w.send(alice, "bob", "one")
	w.send(alice, "bob", "two")
	w.send(bob, "carol", "for someone not here yet")
	ck, err := bob.Check(context.Background(), protocol.CheckRequest{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Ack(context.Background(), ck.Through); err != nil {
		t.Fatal(err)
	}
	// A rejected request counts too.
	if _, err := alice.Send(context.Background(), protocol.SendRequest{To: "bob"}); err == nil {
		t.Fatal("an empty message was accepted")
	}

	out, errOut, code := w.run("status", "--json")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	var rep StatusReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	if !rep.Running || rep.Daemon == nil || rep.Service != service.StateRunning {
		t.Fatalf("report: %+v", rep)
	}
	if rep.Shim.Version != protocol.Version || !strings.HasSuffix(rep.Shim.Path, "ipc-mcp") {
		t.Errorf("shim: %+v", rep.Shim)
	}
	c := rep.Daemon.Counters
	if c.Sent != 3 || c.Delivered != 1 || c.Rejected < 1 {
		t.Errorf("counters: %+v, want sent 3, delivered 1, rejected >= 1", c)
	}
	unread := map[string]int{}
	online := map[string]bool{}
	for _, id := range rep.Daemon.Identities {
		unread[id.Name], online[id.Name] = id.Unread, id.Online
	}
	if unread["bob"] != 1 || unread["carol"] != 1 || unread["alice"] != 0 || !online["alice"] || online["carol"] {
		t.Errorf("identities: unread %v online %v", unread, online)
	}

	// A renamed identity shows the name it had.
	if _, err := w.as("nessa").Rename(context.Background(), "nessa-qa"); err != nil {
		t.Fatal(err)
	}
	out, _, code = w.run("status")
	if code != cli.ExitOK {
		t.Fatalf("exit %d", code)
	}
	for _, s := range []string{"is running, secure mode", "service   running", "daemon " + protocol.Version + ", ipcd " + protocol.Version + ", ipc-mcp " + protocol.Version,
		"sent 3, delivered 1", "NAME", "bob", "not registered yet", "nessa-qa (was nessa)"} {
		if !strings.Contains(out, s) {
			t.Errorf("status lacks %q:\n%s", s, out)
		}
	}
}

func TestStatusExitCodes(t *testing.T) {
	t.Run("down", func(t *testing.T) {
		w := newWorld(t)
		out, _, code := w.run("status")
		if code != cli.ExitDown || !strings.Contains(out, "not running") || !strings.Contains(out, "service  not-installed") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	t.Run("shim version differs", func(t *testing.T) {
		w := newWorld(t)
		w.fakeShim("0.0.1-old")
		w.start()
		out, _, code := w.run("status")
		if code != ExitAttention || !strings.Contains(out, "ATTENTION: ipc-mcp") || !strings.Contains(out, "0.0.1-old") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	t.Run("service failed", func(t *testing.T) {
		w := newWorld(t)
		w.svc.set(service.StateFailed)
		w.start()
		out, _, code := w.run("status")
		if code != ExitAttention || !strings.Contains(out, "service has failed") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		w := newWorld(t)
		w.start()
		w.env["IPC_SHARED_SECRET"] = "not the daemon's secret"
		out, _, code := w.run("status")
		if code != cli.ExitFailure || !strings.Contains(out, "bad_proof") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	t.Run("shim not found", func(t *testing.T) {
		w := newWorld(t)
		w.bin = t.TempDir()
		w.start()
		out, _, code := w.run("status", "--json")
		if code != cli.ExitOK || !strings.Contains(out, errShimNotFound.Error()) {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
}
