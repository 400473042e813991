//go:build unix

package daemon_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/daemon"
	"github.com/ipcd/ipcd/internal/paths"
	"github.com/ipcd/ipcd/internal/store"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// These tests attack a real daemon over its real socket the way a broken
// or hostile local program could. Each checks that the limit holds with
// a clear answer, that the daemon goes on serving a well-behaved client
// meanwhile, and that nothing it acknowledged is lost.

// dialRaw opens a connection that the test drives byte by byte; it is
// closed when the test ends (before the daemon stops).
func dialRaw(t *testing.T, td *testDaemon) net.Conn {
	t.Helper()
	c, err := net.Dial("unix", td.socket)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByServer reports whether the daemon has closed c, waiting at most
// wait for it to do so.
func closedByServer(c net.Conn, wait time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(wait))
	_, err := io.Copy(io.Discard, c) // any answer, then EOF or a reset
	var ne net.Error
	return err == nil || !(errors.As(err, &ne) && ne.Timeout())
}

// stillServes checks that a well-behaved client can talk through the daemon.
func stillServes(t *testing.T, td *testDaemon, from, to string) {
	t.Helper()
	a, b := td.client(), td.client()
	for c, name := range map[*client.Client]string{a: from, b: to} {
		if _, err := c.Register(bg, name, true); err != nil {
			t.Fatalf("register %s: %v", name, err)
		}
	}
	content := fmt.Sprintf("still here %d", time.Now().UnixNano())
	send(t, a, to, content)
	got := check(t, b, protocol.CheckRequest{})
	if n := len(got.Messages); n == 0 || got.Messages[n-1].Content != content {
		t.Fatalf("%s's inbox: %v; want the message just sent", to, texts(got.Messages))
	}
}

// needFDs raises the soft open-file limit to n if it is lower, or skips
// when the hard limit does not allow it.
func needFDs(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur >= n {
		return
	}
	if lim.Max < n {
		t.Skipf("needs %d open files; the hard limit is %d", n, lim.Max)
	}
	old := lim
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("raise the open-file limit to %d: %v", n, err)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
}

// TestInventedRecipients: a sender that invents 10,000 recipient names
// gets too_many_pending after its cap; the mail it was acknowledged waits
// for each name, and another sender is unaffected.
func TestInventedRecipients(t *testing.T) {
	const invented = 10000
	td := startDaemon(t, func(c *daemon.Config) { c.Limits.SendRate = 0 })
	spammer := td.as("spammer")
	var mu sync.Mutex
	accepted := map[string]bool{}
	codes := map[protocol.Code]int{}
	var wg sync.WaitGroup
	names := make(chan string)
	for range 8 {
		wg.Go(func() {
			for name := range names {
				_, err := spammer.Send(bg, protocol.SendRequest{To: name, Content: "hello " + name})
				var pe *protocol.Error
				mu.Lock()
				switch {
				case err == nil:
					accepted[name] = true
				case errors.As(err, &pe):
					codes[pe.Code]++
				default:
					codes["transport: "+protocol.Code(err.Error())]++
				}
				mu.Unlock()
			}
		})
	}
	for i := range invented {
		names <- fmt.Sprintf("nobody%05d", i)
	}
	close(names)
	wg.Wait()
	capN := daemon.DefaultLimits().MaxPendingPerSender
	if len(accepted) != capN || codes[protocol.CodeTooManyPending] != invented-capN || len(codes) != 1 {
		t.Fatalf("accepted %d, refused %v; want %d accepted and the rest too_many_pending", len(accepted), codes, capN)
	}
	// Others are unaffected, including their own mail to new names.
	stillServes(t, td, "alice", "bob")
	send(t, td.as("carol"), "newcomer", "welcome")
	// What was acknowledged waits for its name.
	for name := range accepted {
		got := check(t, td.as(name), protocol.CheckRequest{})
		if len(got.Messages) != 1 || got.Messages[0].Content != "hello "+name {
			t.Fatalf("%s's inbox: %v", name, texts(got.Messages))
		}
		break
	}
}

// TestDatabaseSizeCap: with the database at its size cap, sends fail with
// storage_full; everything acknowledged before stays readable, reading
// and acknowledging still work, other calls are answered, and the file
// opens cleanly afterwards.
func TestDatabaseSizeCap(t *testing.T) {
	const capBytes = 1 << 20
	td := startDaemon(t, func(c *daemon.Config) {
		c.Limits.MaxDBBytes = capBytes
		c.Limits.SendRate = 0
	})
	a, b := td.as("alice"), td.as("bob")
	body := strings.Repeat("0123456789abcdef", 256) // 4 KiB: a page each
	var acked []string
	var full error
	for i := 0; full == nil; i++ {
		if i > 10000 {
			t.Fatal("10,000 messages of 4 KiB fit under a 1 MiB cap")
		}
		content := fmt.Sprintf("%05d %s", i, body)
		_, err := a.Send(bg, protocol.SendRequest{To: "bob", Content: content})
		if err != nil {
			full = err
			break
		}
		acked = append(acked, content)
	}
	wantCode(t, full, protocol.CodeStorageFull)
	if len(acked) < 20 {
		t.Fatalf("only %d messages fit before storage_full", len(acked))
	}
	_, err := a.Send(bg, protocol.SendRequest{To: "bob", Content: "again " + body})
	wantCode(t, err, protocol.CodeStorageFull)

	// Still answering: health, presence, whoami.
	if _, err := a.Health(bg); err != nil {
		t.Fatal(err)
	}
	if _, err := a.List(bg); err != nil {
		t.Fatal(err)
	}
	// Every acknowledged message is there, in order; reading and
	// acknowledging work at the cap.
	var got []string
	var through uint64
	for {
		r, err := b.Check(bg, protocol.CheckRequest{Ack: through, Limit: 1000, Full: true})
		if err != nil {
			t.Fatalf("check at the cap: %v", err)
		}
		for _, m := range r.Messages {
			got = append(got, m.Content)
		}
		if len(r.Messages) == 0 {
			break
		}
		through = r.Through
	}
	if len(got) != len(acked) {
		t.Fatalf("bob got %d messages; %d were acknowledged", len(got), len(acked))
	}
	for i := range acked {
		if got[i] != acked[i] {
			t.Fatalf("message %d differs", i)
		}
	}
	if r, err := b.Ack(bg, through); err != nil || r.Unread != 0 {
		t.Fatalf("ack at the cap: %+v, %v", r, err)
	}
	td.shutdown()
	st, err := store.Open(filepath.Join(td.cfg.DataDir, paths.DBFile), store.Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		t.Fatalf("consistency check: %v", err)
	}
	if fi, err := os.Stat(st.Path()); err != nil || fi.Size() > capBytes {
		t.Fatalf("file is %d bytes; the cap is %d (%v)", fi.Size(), capBytes, err)
	}
}
