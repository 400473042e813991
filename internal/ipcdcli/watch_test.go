package ipcdcli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/syncbuf"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// line is one line of watch output and when the test read it.
type line struct {
	text string
	at   time.Time
}

// startWatch runs "ipcd watch args..." in this process and returns its
// lines as they come, and a function that waits for its exit status.
func startWatch(t *testing.T, ctx context.Context, w *world, args ...string) (<-chan line, func() int) {
	t.Helper()
	pr, pw := io.Pipe()
	errb := &syncbuf.Buffer{}
	app := w.app(nil, errb)
	app.Env.Stdout = pw
	codec := make(chan int, 1)
	go func() {
		codec <- cli.Run(ctx, newRootCmd(app), append([]string{"watch"}, args...), app.Env)
		pw.Close()
	}()
	lines := make(chan line, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- line{sc.Text(), time.Now()}
		}
	}()
	return lines, func() int {
		select {
		case code := <-codec:
			return code
		case <-time.After(10 * time.Second):
			t.Fatalf("watch did not end; stderr: %s", errb.String())
			return -1
		}
	}
}

// until returns the first line containing want, failing after limit.
func until(t *testing.T, lines <-chan line, want string, limit time.Duration) line {
	t.Helper()
	deadline := time.After(limit)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("watch ended before %q", want)
			}
			if strings.Contains(l.text, want) {
				return l
			}
		case <-deadline:
			t.Fatalf("no line with %q within %s", want, limit)
		}
	}
}

// subscribed registers a probe name until the watcher shows it, so the
// test knows the watch stream is live.
func subscribed(t *testing.T, w *world, lines <-chan line) {
	t.Helper()
	probe := w.client()
	for i := 0; ; i++ {
		if _, err := probe.Register(context.Background(), "probe", true); err != nil {
			t.Fatal(err)
		}
		select {
		case l := <-lines:
			if strings.Contains(l.text, "probe") {
				return
			}
		case <-time.After(200 * time.Millisecond):
		}
		if i > 50 {
			t.Fatal("the watcher never showed a registration")
		}
	}
}

func TestWatchShowsEventsLive(t *testing.T) {
	w := newWorld(t)
	w.start()
	alice, bob := w.as("alice"), w.as("bob")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lines, wait := startWatch(t, ctx, w)
	subscribed(t, w, lines)

	sent := time.Now()
	w.send(alice, "bob", "latency check\nsecond line is not shown")
	l := until(t, lines, "alice -> bob  latency check  (", 2*time.Second)
	t.Logf("watch showed the message %s after the send began", l.at.Sub(sent))
	if strings.Contains(l.text, "second line") {
		t.Errorf("watch showed more than the first line: %q", l.text)
	}
	if _, err := alice.Broadcast(ctx, protocol.BroadcastRequest{Content: "hello all"}); err != nil {
		t.Fatal(err)
	}
	until(t, lines, "alice -> all (2 copies)  hello all", 2*time.Second)
	if _, err := bob.Rename(ctx, "robert"); err != nil {
		t.Fatal(err)
	}
	until(t, lines, "bob renamed itself to robert", 2*time.Second)
	w.send(alice, "eve", "\x1b[31mred\x1b[0m")
	until(t, lines, "alice -> eve  ?[31mred?[0m", 2*time.Second)

	cancel()
	if code := wait(); code != 0 {
		t.Errorf("watch ended with %d after Ctrl-C", code)
	}
}

func TestWatchJSONAndDaemonStop(t *testing.T) {
	w := newWorld(t)
	w.start()
	alice := w.as("alice")
	lines, wait := startWatch(t, context.Background(), w, "--json")
	subscribed(t, w, lines)
	sent := time.Now()
	w.send(alice, "bob", "in json")
	l := until(t, lines, `"type":"message"`, 2*time.Second)
	t.Logf("watch --json showed the message %s after the send began", l.at.Sub(sent))
	var ev protocol.Event
	if err := json.Unmarshal([]byte(l.text), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.From != "alice" || ev.To != "bob" || ev.FirstLine != "in json" || ev.Size != 7 || ev.ID == 0 {
		t.Errorf("event: %+v", ev)
	}
	w.shutdown()
	if code := wait(); code != cli.ExitDown {
		t.Errorf("watch ended with %d when the daemon stopped, want %d", code, cli.ExitDown)
	}
}

func TestWatchNeedsTheSecret(t *testing.T) {
	w := newWorld(t)
	w.start()
	w.env["IPC_SHARED_SECRET"] = "wrong"
	_, errOut, code := w.run("watch")
	if code == 0 || !strings.Contains(errOut, "bad_proof") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// With no daemon to watch, watch exits 3 like status and doctor.
func TestWatchWithNoDaemon(t *testing.T) {
	w := newWorld(t)
	_, errOut, code := w.run("watch")
	if code != cli.ExitDown || !strings.Contains(errOut, "not running") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}
