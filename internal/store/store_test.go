package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
	"go.uber.org/goleak"

	"github.com/ipcd/ipcd/internal/clock"
	"github.com/ipcd/ipcd/pkg/protocol"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func openTest(t *testing.T, opts Options) (*Store, *clock.Fake, string) {
	t.Helper()
	clk := clock.NewFake(t0)
	if opts.Clock == nil {
		opts.Clock = clk
	}
	path := filepath.Join(t.TempDir(), "ipc.db")
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, clk, path
}

func mustRegister(t *testing.T, s *Store, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := s.Register(n); err != nil {
			t.Fatalf("register %s: %v", n, err)
		}
	}
}

func mustSend(t *testing.T, s *Store, from, to, content string) SendResult {
	t.Helper()
	r, err := s.Send(SendParams{From: from, To: to, Content: content})
	if err != nil {
		t.Fatalf("send %s->%s: %v", from, to, err)
	}
	return r
}

func contents(msgs []protocol.Message) []string {
	out := []string{}
	for _, m := range msgs {
		out = append(out, m.From+":"+m.Content)
	}
	return out
}

func wantCode(t *testing.T, err error, code protocol.Code) {
	t.Helper()
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

func TestSendFetchAckInOrder(t *testing.T) {
	s, _, _ := openTest(t, Options{})
	mustRegister(t, s, "barney", "nessa")
	for i := range 5 {
		mustSend(t, s, "barney", "nessa", fmt.Sprint("m", i))
	}
	b, err := s.Fetch("nessa", 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"barney:m0", "barney:m1", "barney:m2"}, contents(b.Messages)); diff != "" {
		t.Fatalf("first batch (-want +got):\n%s", diff)
	}
	if b.Unread != 5 || !b.More || b.Through != 3 {
		t.Fatalf("batch = unread %d more %v through %d, want 5 true 3", b.Unread, b.More, b.Through)
	}
	// Not acknowledged: fetching again returns the same mail (a reader that
	// died before acknowledging gets it again).
	again, _ := s.Fetch("nessa", 0, 3)
	if diff := cmp.Diff(contents(b.Messages), contents(again.Messages)); diff != "" {
		t.Fatalf("refetch differs:\n%s", diff)
	}
	left, acked, err := s.Ack("nessa", b.Through)
	if err != nil || left != 2 || acked != 3 {
		t.Fatalf("ack = %d, %d, %v; want 2, 3, nil", left, acked, err)
	}
	rest, _ := s.Fetch("nessa", 0, 10)
	if diff := cmp.Diff([]string{"barney:m3", "barney:m4"}, contents(rest.Messages)); diff != "" {
		t.Fatalf("rest (-want +got):\n%s", diff)
	}
	// Acknowledging the past again writes nothing and changes nothing.
	if left, acked, _ := s.Ack("nessa", 1); left != 2 || acked != 0 {
		t.Fatalf("re-ack = %d, %d; want 2, 0", left, acked)
	}
	// History shows read mail, newest first.
	h, _ := s.History("nessa", 0, 10)
	if diff := cmp.Diff([]string{"barney:m2", "barney:m1", "barney:m0"}, contents(h)); diff != "" {
		t.Fatalf("history (-want +got):\n%s", diff)
	}
	h, _ = s.History("nessa", 3, 10)
	if diff := cmp.Diff([]string{"barney:m1", "barney:m0"}, contents(h)); diff != "" {
		t.Fatalf("history before 3 (-want +got):\n%s", diff)
	}
}

func TestMailWaitsForUnregisteredName(t *testing.T) {
	s, clk, path := openTest(t, Options{})
	mustRegister(t, s, "barney")
	r := mustSend(t, s, "barney", "nessa", "Welcome to the team!")
	if !r.Pending {
		t.Fatal("send to an unregistered name should say pending")
	}
	clk.Advance(48 * time.Hour)
	s.Close()
	s, err := Open(path, Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res, err := s.Register("nessa")
	if err != nil || !res.New || res.Unread != 1 {
		t.Fatalf("register = %+v, %v; want new with 1 unread", res, err)
	}
	b, _ := s.Fetch("nessa", 0, 10)
	if len(b.Messages) != 1 || b.Messages[0].Content != "Welcome to the team!" || !b.Messages[0].SentAt.Equal(t0) {
		t.Fatalf("got %+v", b.Messages)
	}
}

func TestSecondOpenFailsFast(t *testing.T) {
	_, _, path := openTest(t, Options{})
	start := time.Now()
	_, err := Open(path, Options{LockTimeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatal("second open did not fail fast")
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	s, _, path := openTest(t, Options{})
	s.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put(kSchema, key(SchemaVersion+1)) })
	db.Close()
	if _, err := Open(path, Options{}); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("open: %v, want ErrNewerSchema", err)
	}
}

func TestLimits(t *testing.T) {
	s, _, _ := openTest(t, Options{MaxInbox: 3, MaxPendingPerSender: 2})
	mustRegister(t, s, "a", "b")
	for range 3 {
		mustSend(t, s, "a", "b", "x")
	}
	_, err := s.Send(SendParams{From: "a", To: "b", Content: "one too many"})
	wantCode(t, err, protocol.CodeInboxFull)
	mustSend(t, s, "a", "ghost1", "x")
	mustSend(t, s, "a", "ghost2", "x")
	_, err = s.Send(SendParams{From: "a", To: "ghost3", Content: "x"})
	wantCode(t, err, protocol.CodeTooManyPending)
	// Another sender has its own allowance, and mail to a pending name
	// that exists already costs nothing.
	mustSend(t, s, "b", "ghost3", "x")
	mustSend(t, s, "a", "ghost1", "again")
	// Once ghost1 registers, a's allowance is freed.
	mustRegister(t, s, "ghost1")
	mustSend(t, s, "a", "ghost4", "x")

	_, err = s.Send(SendParams{From: "a", To: "b", Content: "x", ReplyTo: 999})
	wantCode(t, err, protocol.CodeInvalidArgument)
	_, err = s.Send(SendParams{From: "a", To: "all", Content: "x"})
	wantCode(t, err, protocol.CodeReservedName)
	_, err = s.Send(SendParams{From: "nobody", To: "b", Content: "x"})
	wantCode(t, err, protocol.CodeSessionExpired)
}

func TestBroadcast(t *testing.T) {
	s, _, _ := openTest(t, Options{MaxInbox: 1})
	mustRegister(t, s, "claude", "gemini", "barney")
	mustSend(t, s, "claude", "ghost", "waits") // pending names get no broadcast
	mustSend(t, s, "gemini", "barney", "fills barney's inbox")
	sent, skipped, err := s.Broadcast(BroadcastParams{From: "claude", Content: "team meeting in 5"})
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != 1 || sent[0].To != "gemini" || !sent[0].Broadcast {
		t.Fatalf("sent = %+v", sent)
	}
	if len(skipped) != 1 || skipped[0].To != "barney" || skipped[0].Code != protocol.CodeInboxFull {
		t.Fatalf("skipped = %+v", skipped)
	}
}

func TestRename(t *testing.T) {
	s, clk, path := openTest(t, Options{})
	mustRegister(t, s, "fred", "claude")
	mustSend(t, s, "claude", "fred-debugging", "sent before the rename")
	res, err := s.Rename(RenameParams{Name: "fred", NewName: "fred-debugging", Cooldown: time.Hour, Forward: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res.OldName != "fred" || !res.ForwardUntil.Equal(t0.Add(2*time.Hour)) || len(res.Notified) != 1 {
		t.Fatalf("rename = %+v", res)
	}
	r := mustSend(t, s, "claude", "fred", "to the old name")
	if r.Message.To != "fred-debugging" || r.Message.SentTo != "fred" {
		t.Fatalf("forwarded message = %+v", r.Message)
	}
	// Survives a restart.
	s.Close()
	s, err = Open(path, Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, _ := s.Fetch("fred-debugging", 0, 10)
	if diff := cmp.Diff([]string{"claude:sent before the rename", "claude:to the old name"}, contents(b.Messages)); diff != "" {
		t.Fatalf("inbox after rename (-want +got):\n%s", diff)
	}
	note, _ := s.Fetch("claude", 0, 10)
	if len(note.Messages) != 1 || note.Messages[0].Kind != protocol.KindSystem {
		t.Fatalf("claude should get a system note, got %+v", note.Messages)
	}
	// The old name cannot be registered by someone else while it forwards.
	_, err = s.Register("fred")
	wantCode(t, err, protocol.CodeNameTaken)
	// Cooldown holds for an hour, and the wait it names is never short:
	// 400 ms before its end it says 1 s, and at least 400 ms.
	clk.Advance(time.Hour - 400*time.Millisecond)
	_, err = s.Rename(RenameParams{Name: "fred-debugging", NewName: "fred2", Cooldown: time.Hour, Forward: 2 * time.Hour})
	wantCode(t, err, protocol.CodeRenameCooldown)
	var pe *protocol.Error
	if errors.As(err, &pe); pe.Details["retry_after_ms"] != int64(400) || !strings.Contains(pe.Message, "in 1s") {
		t.Fatalf("cooldown: %q, retry_after_ms %v", pe.Message, pe.Details["retry_after_ms"])
	}
	clk.Advance(400*time.Millisecond - time.Minute) // back to 59 minutes in
	// A registered name is not available.
	clk.Advance(2 * time.Minute)
	_, err = s.Rename(RenameParams{Name: "fred-debugging", NewName: "claude", Cooldown: time.Hour, Forward: 2 * time.Hour})
	wantCode(t, err, protocol.CodeNameTaken)
	// After the window the old name is free and mail to it waits for a new owner.
	clk.Advance(2 * time.Hour)
	r = mustSend(t, s, "claude", "fred", "after the window")
	if !r.Pending || r.Message.To != "fred" {
		t.Fatalf("after the window: %+v", r)
	}
}

func TestSweep(t *testing.T) {
	s, clk, _ := openTest(t, Options{})
	mustRegister(t, s, "a", "b")
	mustSend(t, s, "a", "b", "old read")
	mustSend(t, s, "a", "b", "old unread")
	mustSend(t, s, "a", "ghost", "never read")
	b, _ := s.Fetch("b", 0, 1)
	s.Ack("b", b.Through)
	mustRegister(t, s, "renamer")
	s.Rename(RenameParams{Name: "renamer", NewName: "renamed", Cooldown: time.Hour, Forward: 2 * time.Hour})

	clk.Advance(8 * 24 * time.Hour)
	res, err := s.Sweep(SweepPolicy{ReadRetention: 7 * 24 * time.Hour, PendingRetention: 7 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	want := SweepResult{ReadDeleted: 1, PendingExpired: 1, NamesRemoved: 1, AliasesEnded: 1, Notified: []string{"a"}}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Fatalf("sweep (-want +got):\n%s", diff)
	}
	// Unread mail of a registered identity is never swept.
	left, _ := s.Fetch("b", 0, 10)
	if len(left.Messages) != 2 || left.Messages[0].Content != "old unread" || left.Messages[1].Kind != protocol.KindSystem {
		t.Fatalf("b's inbox: %v", contents(left.Messages))
	}
	// The sender of the expired mail is told.
	notes, _ := s.Fetch("a", 0, 10)
	if len(notes.Messages) != 2 || notes.Messages[1].Kind != protocol.KindSystem {
		t.Fatalf("a should have a rename note and an expiry note, got %+v", contents(notes.Messages))
	}
	infos, _ := s.List()
	for _, in := range infos {
		if in.Name == "ghost" {
			t.Fatal("ghost should be gone")
		}
	}
}

func TestConcurrentSendsAllLand(t *testing.T) {
	s, _, path := openTest(t, Options{})
	const senders, each = 16, 50
	var names []string
	for i := range senders {
		names = append(names, fmt.Sprint("s", i))
	}
	mustRegister(t, s, append(names, "sink")...)
	var wg sync.WaitGroup
	for _, n := range names {
		wg.Go(func() {
			for i := range each {
				if _, err := s.Send(SendParams{From: n, To: "sink", Content: fmt.Sprint(i)}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	s.Close()
	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	b, _ := s2.Fetch("sink", 0, 1000)
	if len(b.Messages) != senders*each {
		t.Fatalf("got %d messages, want %d", len(b.Messages), senders*each)
	}
	// Per sender, order holds.
	next := map[string]int{}
	for _, m := range b.Messages {
		if m.Content != fmt.Sprint(next[m.From]) {
			t.Fatalf("%s: got %s, want %d", m.From, m.Content, next[m.From])
		}
		next[m.From]++
	}
}

func TestMessageAccess(t *testing.T) {
	s, _, _ := openTest(t, Options{})
	mustRegister(t, s, "a", "b", "c")
	r := mustSend(t, s, "a", "b", "private")
	for _, who := range []string{"a", "b"} {
		if m, err := s.Message(who, r.Message.ID); err != nil || m.Content != "private" {
			t.Fatalf("%s: %v %v", who, m, err)
		}
	}
	_, err := s.Message("c", r.Message.ID)
	wantCode(t, err, protocol.CodeNotFound)
}

func TestAutoCheck(t *testing.T) {
	s, clk, _ := openTest(t, Options{})
	mustRegister(t, s, "a")
	if due, _, _ := s.AutoCheckDue("a", false); due {
		t.Fatal("off: never due")
	}
	if _, err := s.SetAutoCheck("a", true, 61); err == nil {
		t.Fatal("interval 61 accepted")
	}
	set, err := s.SetAutoCheck("a", true, 5)
	if err != nil || !set.Enabled || set.IntervalMinutes != 5 {
		t.Fatalf("set = %+v %v", set, err)
	}
	if due, _, _ := s.AutoCheckDue("a", false); due {
		t.Fatal("due right after turning on")
	}
	clk.Advance(5 * time.Minute)
	if due, _, _ := s.AutoCheckDue("a", false); !due {
		t.Fatal("not due after the interval")
	}
	if due, _, _ := s.AutoCheckDue("a", false); due {
		t.Fatal("due twice in a row")
	}
	s.SetAutoCheck("a", false, 0)
	got, _ := s.AutoCheck("a")
	if got.Enabled || got.IntervalMinutes != 5 {
		t.Fatalf("after off: %+v", got)
	}
}

func TestImportIdempotent(t *testing.T) {
	s, _, _ := openTest(t, Options{})
	names := []ImportName{{Name: "barney", LastSeen: t0.Add(-time.Hour)}, {Name: "nessa"}}
	msgs := []ImportMessage{
		{Key: "k1", From: "barney", To: "nessa", Content: "one", SentAt: t0.Add(-48 * time.Hour)},
		{Key: "k2", From: "barney", To: "nessa", Content: "two", SentAt: t0.Add(-47 * time.Hour)},
	}
	for round, want := range []int{2, 0} {
		n, err := s.ImportNames(names)
		if err != nil || n != want {
			t.Fatalf("round %d: names %d %v, want %d", round, n, err, want)
		}
		m, err := s.ImportMessages(msgs)
		if err != nil || m != want {
			t.Fatalf("round %d: messages %d %v, want %d", round, m, err, want)
		}
	}
	b, _ := s.Fetch("nessa", 0, 10)
	if diff := cmp.Diff([]string{"barney:one", "barney:two"}, contents(b.Messages)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func TestCompactAndBackup(t *testing.T) {
	s, _, path := openTest(t, Options{})
	mustRegister(t, s, "a", "b")
	big := strings.Repeat("x", 64<<10)
	for range 100 {
		mustSend(t, s, "a", "b", big)
	}
	b, _ := s.Fetch("b", 0, 1000)
	s.Ack("b", b.Through)
	s.Sweep(SweepPolicy{ReadRetention: -time.Hour, MaxDeletes: 1000})
	mustSend(t, s, "a", "b", "keep me")

	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := writeBackup(s, backup); err != nil {
		t.Fatal(err)
	}
	s.Close()
	ok, err := CompactIfSparse(path, CompactPolicy{MinBytes: 1})
	if err != nil || !ok {
		t.Fatalf("compact = %v, %v; want true", ok, err)
	}
	for _, p := range []string{path, backup} {
		s2, err := Open(p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s2.Check(); err != nil {
			t.Fatal(err)
		}
		got, _ := s2.Fetch("b", 0, 10)
		if diff := cmp.Diff([]string{"a:keep me"}, contents(got.Messages)); diff != "" {
			t.Fatalf("%s (-want +got):\n%s", p, diff)
		}
		s2.Close()
	}
}

func writeBackup(s *Store, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := s.Backup(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// The rename cooldown's wait reads as people say it, rounded up.
func TestWaitText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Hour: "1h", 59*time.Minute + 30*time.Second: "59m 30s", 45 * time.Second: "45s",
		400 * time.Millisecond: "1s", 0: "0s", time.Hour + time.Second: "1h 1s", 90*time.Minute - time.Millisecond: "1h 30m",
	} {
		if got := waitText(d); got != want {
			t.Errorf("waitText(%v) = %q, want %q", d, got, want)
		}
	}
}
