package daemon_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/daemon"
	"github.com/ipcd/ipcd/pkg/protocol"
)

var bg = context.Background()

func send(t *testing.T, c *client.Client, to, content string) protocol.SendResponse {
	t.Helper()
	r, err := c.Send(bg, protocol.SendRequest{To: to, Content: content})
	if err != nil {
		t.Fatalf("send to %s: %v", to, err)
	}
	return r
}

func check(t *testing.T, c *client.Client, req protocol.CheckRequest) protocol.CheckResponse {
	t.Helper()
	r, err := c.Check(bg, req)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	return r
}

func texts(msgs []protocol.Message) []string {
	out := []string{}
	for _, m := range msgs {
		out = append(out, m.From+": "+m.Content)
	}
	return out
}

func wantCode(t *testing.T, err error, code protocol.Code) {
	t.Helper()
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
	if pe.Message == "" {
		t.Fatalf("error %s has no sentence", code)
	}
}

func TestTwoNamesTalk(t *testing.T) {
	td := startDaemon(t, nil)
	barney := td.as("barney")
	// Monday: nessa does not exist yet.
	r := send(t, barney, "nessa", "Welcome to the team! I'm Barney, the troubleshooter.")
	if !r.Pending {
		t.Fatal("mail to an unregistered name should be pending")
	}
	// Wednesday, after a restart: nessa registers and gets it.
	td.clock.Advance(48 * time.Hour)
	td.restart()
	nessa := td.as("nessa")
	got := check(t, nessa, protocol.CheckRequest{})
	if diff := cmp.Diff([]string{"barney: Welcome to the team! I'm Barney, the troubleshooter."}, texts(got.Messages)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if !got.Messages[0].SentAt.Equal(t0) {
		t.Fatalf("sent at %v, want %v", got.Messages[0].SentAt, t0)
	}
	send(t, nessa, "barney", "Thanks!")
	// barney's client renews its session transparently after the restart.
	back := check(t, barney, protocol.CheckRequest{})
	if diff := cmp.Diff([]string{"nessa: Thanks!"}, texts(back.Messages)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func TestOrderAndAtLeastOnce(t *testing.T) {
	td := startDaemon(t, nil)
	a := td.as("a")
	saved := &client.MemorySessions{} // the reader's token file, which survives it
	b := td.clientWith(saved)
	if _, err := b.Register(bg, "b", false); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		send(t, a, "b", fmt.Sprint(i))
	}
	first := check(t, b, protocol.CheckRequest{Limit: 3})
	if diff := cmp.Diff([]string{"a: 0", "a: 1", "a: 2"}, texts(first.Messages)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	// The reader "dies" before acknowledging: a new client of b gets the
	// same messages again.
	b2 := td.clientWith(saved)
	b2.As("b")
	again := check(t, b2, protocol.CheckRequest{Limit: 3})
	if diff := cmp.Diff(texts(first.Messages), texts(again.Messages)); diff != "" {
		t.Fatalf("redelivery (-want +got):\n%s", diff)
	}
	// Peek consumes nothing, even with an ack.
	peek := check(t, b2, protocol.CheckRequest{Peek: true, Ack: again.Through})
	if peek.Unread != 5 || len(peek.Messages) != 5 {
		t.Fatalf("peek: unread %d, %d messages", peek.Unread, len(peek.Messages))
	}
	// The next check acknowledges what the previous returned.
	rest := check(t, b2, protocol.CheckRequest{Ack: again.Through})
	if diff := cmp.Diff([]string{"a: 3", "a: 4"}, texts(rest.Messages)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if _, err := b2.Ack(bg, rest.Through); err != nil {
		t.Fatal(err)
	}
	if n := check(t, b2, protocol.CheckRequest{}); len(n.Messages) != 0 || n.Unread != 0 {
		t.Fatalf("after ack: %+v", n)
	}
	h, err := b2.History(bg, protocol.HistoryRequest{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a: 4", "a: 3"}, texts(h.Messages)); diff != "" {
		t.Fatalf("history (-want +got):\n%s", diff)
	}
}

func TestWaitWakesOnSend(t *testing.T) {
	td := startDaemon(t, nil)
	a, b := td.as("a"), td.as("b")
	done := make(chan protocol.CheckResponse, 1)
	go func() {
		r, err := b.Wait(bg, protocol.WaitRequest{TimeoutMS: 60_000})
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	waitFor(t, func() bool { return waiting(t, a, "b") })
	start := time.Now()
	send(t, a, "b", "wake up")
	r := <-done
	if r.TimedOut || len(r.Messages) != 1 || r.Messages[0].Content != "wake up" {
		t.Fatalf("wait = %+v", r)
	}
	// Far below the 60 s timeout; speed itself is shown by benchmarks.
	if time.Since(start) > 30*time.Second {
		t.Fatal("wait did not wake on the send")
	}
	// A wait with no mail times out and says so.
	r, err := b.Wait(bg, protocol.WaitRequest{CheckRequest: protocol.CheckRequest{Ack: r.Through}, TimeoutMS: 50})
	if err != nil || !r.TimedOut || len(r.Messages) != 0 {
		t.Fatalf("empty wait = %+v, %v", r, err)
	}
}

// waiting reports whether name is blocked in a wait, as list shows it.
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

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRename(t *testing.T) {
	td := startDaemon(t, nil)
	fred, claude := td.as("fred"), td.as("claude")
	res, err := fred.Rename(bg, "fred-debugging")
	if err != nil {
		t.Fatal(err)
	}
	if res.OldName != "fred" || !res.ForwardUntil.Equal(t0.Add(2*time.Hour)) || fred.Name() != "fred-debugging" {
		t.Fatalf("rename = %+v, client name %s", res, fred.Name())
	}
	r := send(t, claude, "fred", "are you there?")
	if r.To != "fred-debugging" || r.SentTo != "fred" {
		t.Fatalf("forwarded send = %+v", r)
	}
	// Survives a restart: forwarding and the new name hold.
	td.restart()
	send(t, claude, "fred", "after restart")
	got := check(t, fred, protocol.CheckRequest{})
	if diff := cmp.Diff([]string{"claude: are you there?", "claude: after restart"}, texts(got.Messages)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	note := check(t, claude, protocol.CheckRequest{})
	if len(note.Messages) != 1 || note.Messages[0].From != "system" || !strings.Contains(note.Messages[0].Content, "fred-debugging") {
		t.Fatalf("claude's note = %+v", note.Messages)
	}
	// Cooldown: once an hour, with the clock injected.
	td.clock.Advance(30 * time.Minute)
	_, err = fred.Rename(bg, "fred2")
	wantCode(t, err, protocol.CodeRenameCooldown)
	td.clock.Advance(31 * time.Minute)
	if _, err := fred.Rename(bg, "fred2"); err != nil {
		t.Fatalf("after the cooldown: %v", err)
	}
	// A token acts only as its own name: claude's token cannot rename fred2.
	rc := rawClient(td)
	resp := rc.call(t, "POST", "/v1/rename", `{"new_name":"stolen"}`, map[string]string{
		"Authorization": "Bearer " + registerRaw(t, td, rc, "claude2"), protocol.HeaderName: "fred2",
	})
	wantCode(t, resp.err, protocol.CodeIdentityMismatch)
	_ = claude
}

func TestLargeMessages(t *testing.T) {
	td := startDaemon(t, nil)
	a, b := td.as("a"), td.as("b")
	for _, size := range []int{50 << 10, 1 << 20} {
		content := pattern(size)
		r := send(t, a, "b", content)
		if r.File == "" || r.Size != size {
			t.Fatalf("%d bytes: receipt %+v", size, r)
		}
		fi, err := os.Stat(r.File)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("large file: %v mode %v", err, fi.Mode())
		}
		onDisk, _ := os.ReadFile(r.File)
		if !bytes.Equal(onDisk, []byte(content)) {
			t.Fatalf("%d bytes: file differs", size)
		}
		sum := check(t, b, protocol.CheckRequest{})
		m := sum.Messages[0]
		if !m.Truncated || len(m.Content) > protocol.SummaryBytes || m.File != r.File || m.Size != size {
			t.Fatalf("summary: truncated %v, %d bytes, file %q", m.Truncated, len(m.Content), m.File)
		}
		full := check(t, b, protocol.CheckRequest{Full: true})
		if full.Messages[0].Content != content {
			t.Fatalf("%d bytes: full content differs", size)
		}
		byID, err := b.Message(bg, m.ID)
		if err != nil || byID.Content != content {
			t.Fatalf("%d bytes: by id: %v", size, err)
		}
		b.Ack(bg, full.Through)
	}
	// Two large messages in the same second get different files.
	r1, r2 := send(t, a, "b", pattern(20<<10)), send(t, a, "b", pattern(20<<10))
	if r1.File == r2.File {
		t.Fatal("two large messages share a file")
	}
	_, err := a.Send(bg, protocol.SendRequest{To: "b", Content: pattern(1<<20 + 1)})
	wantCode(t, err, protocol.CodeMessageTooLarge)
}

// pattern is deterministic content of n bytes with every line different.
func pattern(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "line %d: the quick brown fox jumps over the lazy dog\n", i)
	}
	return b.String()[:n]
}

func TestBroadcast(t *testing.T) {
	td := startDaemon(t, nil)
	claude, gemini, barney := td.as("claude"), td.as("gemini"), td.as("barney")
	send(t, claude, "nobody-yet", "pending names get no broadcast")
	res, err := claude.Broadcast(bg, protocol.BroadcastRequest{Content: "team meeting in 5"})
	if err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, d := range res.Deliveries {
		to = append(to, d.To)
	}
	slices.Sort(to)
	if diff := cmp.Diff([]string{"barney", "gemini"}, to); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	for _, c := range []*client.Client{gemini, barney} {
		got := check(t, c, protocol.CheckRequest{})
		if len(got.Messages) != 1 || !got.Messages[0].Broadcast || got.Messages[0].From != "claude" {
			t.Fatalf("%s got %+v", c.Name(), got.Messages)
		}
	}
	if got := check(t, claude, protocol.CheckRequest{}); len(got.Messages) != 0 {
		t.Fatal("the sender got its own broadcast")
	}
}

func TestReplyTo(t *testing.T) {
	td := startDaemon(t, nil)
	a, b := td.as("a"), td.as("b")
	q := send(t, a, "b", "question?")
	if _, err := b.Send(bg, protocol.SendRequest{To: "a", Content: "answer", ReplyTo: q.ID}); err != nil {
		t.Fatal(err)
	}
	got := check(t, a, protocol.CheckRequest{})
	if got.Messages[0].ReplyTo != q.ID {
		t.Fatalf("reply_to = %d, want %d", got.Messages[0].ReplyTo, q.ID)
	}
	_, err := b.Send(bg, protocol.SendRequest{To: "a", Content: "x", ReplyTo: 9999})
	wantCode(t, err, protocol.CodeInvalidArgument)
}

func TestNameTakeover(t *testing.T) {
	td := startDaemon(t, nil)
	first := td.as("claude")
	second := td.client()
	_, err := second.Register(bg, "claude", false)
	wantCode(t, err, protocol.CodeNameTaken)
	var pe *protocol.Error
	errors.As(err, &pe)
	if pe.Details["last_seen"] == nil {
		t.Fatal("name_taken should say when the holder was last seen")
	}
	if _, err := second.Register(bg, "claude", true); err != nil {
		t.Fatal(err)
	}
	// The old session is revoked; its client registers again and is refused.
	_, err = first.Check(bg, protocol.CheckRequest{})
	wantCode(t, err, protocol.CodeNameTaken)
	// The same client coming back with its saved token keeps the name.
	if _, err := second.Register(bg, "claude", false); err != nil {
		t.Fatalf("re-register with own token: %v", err)
	}
}

// Of clients registering one free name at the same moment, exactly one
// gets it; the others are refused with name_taken, never handed a second
// live session of the name.
func TestRegisterRace(t *testing.T) {
	td := startDaemon(t, nil)
	for round := range 10 {
		name := fmt.Sprintf("race%d", round)
		const n = 8
		clients := make([]*client.Client, n)
		for i := range clients {
			clients[i] = td.client()
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i, c := range clients {
			wg.Go(func() { _, errs[i] = c.Register(bg, name, false) })
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
				continue
			}
			wantCode(t, err, protocol.CodeNameTaken)
		}
		if won != 1 {
			t.Fatalf("round %d: %d clients got %q", round, won, name)
		}
	}
}

// A takeover ends the holder's session even when the client taking over
// presents a live token of the name itself (two AI clients sharing a
// saved token): it gets a session of its own.
func TestTakeoverWithSharedToken(t *testing.T) {
	td := startDaemon(t, nil)
	shared := &client.MemorySessions{}
	first := td.clientWith(shared)
	if _, err := first.Register(bg, "carol", false); err != nil {
		t.Fatal(err)
	}
	second := td.clientWith(shared) // offers the saved token
	res, err := second.Register(bg, "carol", true)
	if err != nil || !res.TookOver {
		t.Fatalf("takeover = %+v, %v; want took_over", res, err)
	}
	// The first client's session is gone; registering again it meets the
	// second's.
	_, err = first.Check(bg, protocol.CheckRequest{})
	wantCode(t, err, protocol.CodeNameTaken)
}

func TestPresence(t *testing.T) {
	td := startDaemon(t, func(c *daemon.Config) { c.OnlineWindow = time.Minute })
	a := td.as("a")
	td.as("b")
	send(t, a, "ghost", "hi")
	td.clock.Advance(2 * time.Minute)
	l, err := a.List(bg)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]protocol.Identity{}
	for _, id := range l.Identities {
		got[id.Name] = id
	}
	if !got["a"].Online || got["b"].Online || got["ghost"].Registered || got["ghost"].Unread != 1 {
		t.Fatalf("list = %+v", l.Identities)
	}
	if got["b"].LastSeen == nil || !got["b"].LastSeen.Equal(t0) {
		t.Fatalf("b last seen = %v", got["b"].LastSeen)
	}
}

func TestRetentionSweep(t *testing.T) {
	td := startDaemon(t, nil)
	a, b := td.as("a"), td.as("b")
	r := send(t, a, "b", pattern(20<<10))
	got := check(t, b, protocol.CheckRequest{})
	b.Ack(bg, got.Through)
	send(t, a, "ghost", "never read")
	td.clock.Advance(8 * 24 * time.Hour)
	td.d.Sweep()
	if _, err := os.Stat(r.File); !os.IsNotExist(err) {
		t.Fatalf("large file of swept mail still there: %v", err)
	}
	h, _ := b.History(bg, protocol.HistoryRequest{})
	if len(h.Messages) != 0 {
		t.Fatalf("history after retention: %d messages", len(h.Messages))
	}
	note := check(t, a, protocol.CheckRequest{})
	if len(note.Messages) != 1 || !strings.Contains(note.Messages[0].Content, "expired unread") {
		t.Fatalf("sender note = %+v", texts(note.Messages))
	}
}

// A sender blocked in wait wakes for the note that its mail expired
// unread, as for any other mail.
func TestWaitWakesForExpiryNote(t *testing.T) {
	td := startDaemon(t, nil)
	a := td.as("a")
	send(t, a, "ghost", "never read")
	td.clock.Advance(8 * 24 * time.Hour)
	got := make(chan protocol.CheckResponse, 1)
	start := time.Now()
	go func() {
		// Were it not woken, it would answer only at its timeout, then
		// with the note read afresh: the time it took tells them apart.
		res, err := a.Wait(bg, protocol.WaitRequest{TimeoutMS: 60_000})
		if err != nil {
			t.Error(err)
		}
		got <- res
	}()
	other := td.as("b")
	waitFor(t, func() bool { return waiting(t, other, "a") })
	td.d.Sweep()
	res := <-got
	if res.TimedOut || len(res.Messages) != 1 || !strings.Contains(res.Messages[0].Content, "expired unread") {
		t.Fatalf("wait = %+v", res)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Fatalf("the wait was not woken: it answered after %s", took)
	}
}

func TestAutoCheck(t *testing.T) {
	td := startDaemon(t, nil)
	a, b := td.as("a"), td.as("b")
	send(t, a, "b", "hello")
	run := func() protocol.AutoCheckRunResponse {
		r, err := b.RunAutoCheck(bg, protocol.AutoCheckRunRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := run(); r.Due || len(r.Messages) != 0 || r.Unread != 1 {
		t.Fatalf("off: %+v", r)
	}
	if _, err := b.SetAutoCheck(bg, protocol.AutoCheckRequest{Enabled: true, IntervalMinutes: 61}); err == nil {
		t.Fatal("61 minutes accepted")
	}
	ac, err := b.SetAutoCheck(bg, protocol.AutoCheckRequest{Enabled: true})
	if err != nil || ac.IntervalMinutes != 5 {
		t.Fatalf("on: %+v %v", ac, err)
	}
	td.clock.Advance(5 * time.Minute)
	if r := run(); !r.Due || len(r.Messages) != 1 {
		t.Fatalf("due: %+v", r)
	}
	if r := run(); r.Due {
		t.Fatal("due twice in a row")
	}
}

func TestGracefulStopLosesNothing(t *testing.T) {
	td := startDaemon(t, nil)
	senders := []*client.Client{td.as("s1"), td.as("s2"), td.as("s3")}
	td.as("sink")
	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, c := range senders {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				content := fmt.Sprintf("%s-%d", c.Name(), i)
				if _, err := c.Send(bg, protocol.SendRequest{To: "sink", Content: content}); err == nil {
					mu.Lock()
					acked[content] = true
					mu.Unlock()
				} else {
					return
				}
			}
		})
	}
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(acked) > 50 })
	td.shutdown() // graceful stop while sends are in flight
	close(stop)
	wg.Wait()
	td.start()
	sink := td.client()
	sink.As("sink")
	got := check(t, sink, protocol.CheckRequest{Limit: 1000})
	have := map[string]bool{}
	for _, m := range got.Messages {
		have[m.Content] = true
	}
	for c := range acked {
		if !have[c] {
			t.Fatalf("acknowledged %q lost", c)
		}
	}
}

func TestOpenModeRefusedWithTCP(t *testing.T) {
	_, err := daemon.New(daemon.Config{DataDir: t.TempDir(), Open: true, Listen: "127.0.0.1:0"})
	if !errors.Is(err, daemon.ErrOpenWithTCP) {
		t.Fatalf("err = %v", err)
	}
	if _, err := daemon.New(daemon.Config{DataDir: t.TempDir()}); err == nil {
		t.Fatal("no secret and no --open accepted")
	}
}

func TestSecondDaemonFailsFast(t *testing.T) {
	td := startDaemon(t, nil)
	start := time.Now()
	cfg := td.cfg
	cfg.Socket = filepath.Join(shortDir(t), "other.sock")
	_, err := daemon.New(cfg)
	if err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("second daemon: %v after %s", err, time.Since(start))
	}
	if _, err := daemon.ListenUnix(td.socket); !errors.Is(err, daemon.ErrAlreadyRunning) {
		t.Fatalf("listen on a live socket: %v", err)
	}
}

// A file at the socket path is someone's: the daemon refuses to listen
// there and leaves it; a stale socket a dead daemon left is replaced.
func TestListenLeavesAFileAlone(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "s.sock")
	if err := os.WriteFile(path, []byte("precious notes"), 0o600); err != nil {
		t.Fatal(err)
	}
	if ln, err := daemon.ListenUnix(path); err == nil {
		ln.Close()
		t.Fatal("listened over a regular file")
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "precious notes" {
		t.Fatalf("the file is %q, %v", b, err)
	}
	stale := filepath.Join(dir, "stale.sock")
	ln, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close() // a socket file nobody answers on
	ln, err = daemon.ListenUnix(stale)
	if err != nil {
		t.Fatalf("a stale socket was not replaced: %v", err)
	}
	ln.Close()
}

// A send whose body is over the daemon's limit gets body_too_large through
// the client, even though the daemon answers before it has read the whole
// body and closes the connection; the client works on afterwards.
func TestOversizedSendThroughClient(t *testing.T) {
	td := startDaemon(t, func(c *daemon.Config) { c.Limits.MaxMessageBytes = 1000 })
	a := td.as("a")
	td.as("b")
	_, err := a.Send(bg, protocol.SendRequest{To: "b", Content: strings.Repeat("x", 8<<20)})
	wantCode(t, err, protocol.CodeBodyTooLarge)
	send(t, a, "b", "and this one goes")
}

// A large broadcast writes a file per copy; the copy a full inbox skips
// leaves no file behind, and every delivered copy keeps its own.
func TestLargeBroadcastFiles(t *testing.T) {
	td := startDaemon(t, func(c *daemon.Config) { c.Limits.MaxInbox = 1 })
	ann := td.as("ann")
	td.as("bob")
	td.as("cat")
	send(t, ann, "bob", "fills bob's inbox")
	res, err := ann.Broadcast(bg, protocol.BroadcastRequest{Content: pattern(20 << 10)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Deliveries) != 1 || res.Deliveries[0].To != "cat" || len(res.Skipped) != 1 {
		t.Fatalf("broadcast = %+v", res)
	}
	files, _ := os.ReadDir(filepath.Join(td.cfg.DataDir, "large-messages"))
	if len(files) != 1 || !strings.Contains(files[0].Name(), "_ann_cat_") {
		t.Fatalf("large-message files: %v", files)
	}
}

// An operator's shutdown request is answered, then stops the daemon as
// SIGTERM does: Serve returns by itself and a waiting reader gets its
// answer. Only an admin session may ask.
func TestShutdownRequest(t *testing.T) {
	td := startDaemon(t, nil)
	alice := td.as("alice")
	_, err := alice.Send(bg, protocol.SendRequest{To: "bob", Content: "before the stop"})
	if err != nil {
		t.Fatal(err)
	}
	// (An identity's token may not ask: TestEachBadInputHasItsCode.)
	bob := td.as("bob")
	waited := make(chan error, 1)
	go func() {
		_, err := bob.Wait(bg, protocol.WaitRequest{TimeoutMS: 60_000, After: 1 << 40})
		waited <- err
	}()
	waitFor(t, func() bool { return waiting(t, alice, "bob") })

	admin := td.client()
	res, err := admin.Shutdown(bg)
	if err != nil || !res.Stopping || res.PID != os.Getpid() {
		t.Fatalf("shutdown: %+v, %v", res, err)
	}
	select {
	case <-td.stopped:
	case <-time.After(time.Minute):
		t.Fatal("Serve did not return after a shutdown request")
	}
	select {
	case <-waited:
	case <-time.After(time.Minute):
		t.Fatal("a waiting reader was not answered")
	}
	td.d.Close()
	td.stop = nil
	td.start()
	got := check(t, td.as("bob"), protocol.CheckRequest{})
	if len(got.Messages) != 1 || got.Messages[0].Content != "before the stop" {
		t.Errorf("after the restart bob has %q", texts(got.Messages))
	}
}
