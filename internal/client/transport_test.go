package client

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testServer is a plain HTTP server on a real Unix socket that counts the
// connections it accepts and the requests it serves, and can close its
// side of every idle connection (as a daemon restart or idle timeout does).
type testServer struct {
	socket   string
	conns    atomic.Int64
	requests atomic.Int64

	mu   sync.Mutex
	idle map[net.Conn]bool
}

func startServer(t *testing.T, h http.HandlerFunc) *testServer {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "ipct-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ts := &testServer{socket: filepath.Join(dir, "s.sock"), idle: map[net.Conn]bool{}}
	l, err := net.Listen("unix", ts.socket)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ts.requests.Add(1)
			h(w, r)
		}),
		ConnState: func(c net.Conn, s http.ConnState) {
			ts.mu.Lock()
			defer ts.mu.Unlock()
			switch s {
			case http.StateNew:
				ts.conns.Add(1)
			case http.StateIdle:
				ts.idle[c] = true
			default:
				delete(ts.idle, c)
			}
		},
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return ts
}

// closeIdle closes the server's side of every idle connection.
func (ts *testServer) closeIdle() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for c := range ts.idle {
		c.Close()
		delete(ts.idle, c)
	}
}

func newTestClient(socket string) *transport {
	d := &net.Dialer{}
	return &transport{
		dial:    func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "unix", socket) },
		maxIdle: 4,
		idleFor: time.Minute,
	}
}

// get posts {"x":1} to path and returns the answer's body.
func get(t *testing.T, c *transport, ctx context.Context, path string) (string, error) {
	t.Helper()
	return call(c, ctx, http.MethodPost, path, []byte(`{"x":1}`))
}

func call(c *transport, ctx context.Context, method, path string, body []byte) (string, error) {
	a, err := c.do(ctx, &request{method: method, path: path, header: []string{"Content-Type: application/json"}, body: body})
	if err != nil {
		return "", err
	}
	defer a.body.Close()
	b, err := io.ReadAll(a.body)
	if err == nil && a.status != http.StatusOK {
		err = fmt.Errorf("status %d", a.status)
	}
	return string(b), err
}

// Calls one after another share one connection, and each answer arrives
// whole.
func TestTransportReusesConnection(t *testing.T) {
	ts := startServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "echo %s %s", r.URL.Path, b)
	})
	c := newTestClient(ts.socket)
	for i := range 20 {
		got, err := get(t, c, context.Background(), fmt.Sprint("/", i))
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf(`echo /%d {"x":1}`, i); got != want {
			t.Fatalf("answer %q, want %q", got, want)
		}
	}
	if n := ts.conns.Load(); n != 1 {
		t.Fatalf("20 calls opened %d connections, want 1", n)
	}
}

// A kept connection the server has closed is noticed before it is used:
// the next call goes out once, on a new connection, and succeeds.
func TestTransportSkipsClosedConnection(t *testing.T) {
	ts := startServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	c := newTestClient(ts.socket)
	if _, err := get(t, c, context.Background(), "/a"); err != nil {
		t.Fatal(err)
	}
	// Wait until the server sees the connection idle, then close it there.
	deadline := time.Now().Add(5 * time.Second)
	for {
		ts.mu.Lock()
		n := len(ts.idle)
		ts.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the connection never went idle")
		}
		time.Sleep(time.Millisecond)
	}
	ts.closeIdle()
	time.Sleep(10 * time.Millisecond) // let the close reach the client's side
	got, err := get(t, c, context.Background(), "/b")
	if err != nil || got != "ok" {
		t.Fatalf("call after the server closed the kept connection: %q, %v", got, err)
	}
	if r, n := ts.requests.Load(), ts.conns.Load(); r != 2 || n != 2 {
		t.Fatalf("%d requests on %d connections, want 2 on 2", r, n)
	}
}

// Cancelling a call's context ends it at once, even while the server is
// still working; the connection is not kept, and the next call works.
func TestTransportCancel(t *testing.T) {
	release := make(chan struct{})
	ts := startServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		io.WriteString(w, "ok")
	})
	defer close(release)
	c := newTestClient(ts.socket)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := get(t, c, ctx, "/slow")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the cancelled call took %v", d)
	}
	if got, err := get(t, c, context.Background(), "/fast"); err != nil || got != "ok" {
		t.Fatalf("call after a cancel: %q, %v", got, err)
	}
}

// streamServer streams n lines, flushed one by one (so chunked), at
// /stream, and answers "ok" anywhere else.
func streamServer(t *testing.T, n int) *testServer {
	return startServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stream" {
			for i := range n {
				fmt.Fprintf(w, "line %d\n", i)
				w.(http.Flusher).Flush()
			}
			return
		}
		io.WriteString(w, "ok")
	})
}

// An answer abandoned before its end closes its connection instead of
// handing a half-read stream to the next call.
func TestTransportAbandonedAnswer(t *testing.T) {
	ts := streamServer(t, 1000)
	c := newTestClient(ts.socket)
	a, err := c.do(context.Background(), &request{method: http.MethodGet, path: "/stream"})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if _, err := io.ReadFull(a.body, buf); err != nil || string(buf) != "line 0\nlin" {
		t.Fatalf("start of the stream: %q, %v", buf, err)
	}
	a.body.Close()
	if got, err := get(t, c, context.Background(), "/after"); err != nil || got != "ok" {
		t.Fatalf("call after an abandoned answer: %q, %v", got, err)
	}
	if n := ts.conns.Load(); n != 2 {
		t.Fatalf("%d connections, want 2 (the abandoned one not reused)", n)
	}
}

// A socket nobody listens on is a dial error, which the client reports as
// the daemon being down.
func TestTransportDaemonDown(t *testing.T) {
	c := New(Options{Socket: filepath.Join(t.TempDir(), "none.sock")})
	_, err := c.Health(context.Background())
	if !IsDown(err) {
		t.Fatalf("call to a missing socket: %v, want the daemon-down error", err)
	}
}

// A context cancelled after the answer arrived, while its body is read,
// poisons the connection's deadline: it is not kept, and the next call
// works on a new one.
func TestTransportCancelDuringBody(t *testing.T) {
	ts := startServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	c := newTestClient(ts.socket)
	ctx, cancel := context.WithCancel(context.Background())
	a, err := c.do(ctx, &request{method: http.MethodGet, path: "/x"})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	time.Sleep(20 * time.Millisecond) // the cancel's deadline lands on the connection
	io.ReadAll(a.body)
	a.body.Close()
	if got, err := get(t, c, context.Background(), "/after"); err != nil || got != "ok" {
		t.Fatalf("call after a cancel during the body: %q, %v", got, err)
	}
	if n := ts.conns.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
}

// A call whose answer nobody decodes still leaves its connection for the
// next call: the client reads a short answer to its end.
func TestUndecodedAnswerKeepsConnection(t *testing.T) {
	ts := startServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ok":true}`)
	})
	c := New(Options{Socket: ts.socket})
	for range 5 {
		if err := c.do(context.Background(), http.MethodPost, "/v1/x", noAuth, map[string]int{"a": 1}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := ts.conns.Load(); n != 1 {
		t.Fatalf("5 calls with nothing decoded opened %d connections, want 1", n)
	}
}

// newBlindClient is newTestClient on a platform that cannot peek at a
// kept connection (as on Windows): a close is seen only when it is used.
func newBlindClient(socket string) *transport {
	c := newTestClient(socket)
	c.alive = func(net.Conn) bool { return true }
	return c
}

// waitIdle waits until the server sees n connections idle.
func (ts *testServer) waitIdle(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ts.mu.Lock()
		idle := len(ts.idle)
		ts.mu.Unlock()
		if idle == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections idle, want %d", idle, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// Where a closed kept connection cannot be seen beforehand, the request
// fails to be written on it; nothing reached the server, so the call goes
// out once more on a new connection and succeeds.
func TestTransportUnseenCloseRetriesUnsentCall(t *testing.T) {
	ts := startServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, "got "+string(b))
	})
	c := newBlindClient(ts.socket)
	if _, err := get(t, c, context.Background(), "/a"); err != nil {
		t.Fatal(err)
	}
	ts.waitIdle(t, 1)
	ts.closeIdle()
	time.Sleep(10 * time.Millisecond) // let the close reach the client's side
	got, err := get(t, c, context.Background(), "/b")
	if err != nil || got != `got {"x":1}` {
		t.Fatalf("call after an unseen close: %q, %v", got, err)
	}
	if r, n := ts.requests.Load(), ts.conns.Load(); r != 2 || n != 2 {
		t.Fatalf("%d requests on %d connections, want 2 on 2", r, n)
	}
}

// dropServer answers every request on a connection except the second,
// which it reads whole and then closes the connection on without an
// answer: a daemon that went away while a request was in its hands.
func dropServer(t *testing.T) (socket string, requests *atomic.Int64) {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "ipct-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	socket = filepath.Join(dir, "s.sock")
	l, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	requests = new(atomic.Int64)
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				for i := 1; ; i++ {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					requests.Add(1)
					if i == 2 {
						return
					}
					io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				}
			}()
		}
	}()
	return socket, requests
}

// A request that reached the server before the connection closed is not
// sent again unless it only reads: a second send could deliver twice. The
// error says what happened.
func TestTransportUnansweredCall(t *testing.T) {
	socket, requests := dropServer(t)
	c := newBlindClient(socket)
	if _, err := get(t, c, context.Background(), "/a"); err != nil {
		t.Fatal(err)
	}
	_, err := get(t, c, context.Background(), "/send")
	if !errors.Is(err, errClosedUnanswered) {
		t.Fatalf("POST left unanswered: %v, want errClosedUnanswered", err)
	}
	if n := requests.Load(); n != 2 {
		t.Fatalf("the server saw %d requests, want 2 (no second try)", n)
	}

	// A GET is safe to repeat: it goes out again on a new connection.
	if _, err := get(t, c, context.Background(), "/a"); err != nil {
		t.Fatal(err)
	}
	b, err := call(c, context.Background(), http.MethodGet, "/status", nil)
	if err != nil {
		t.Fatalf("GET left unanswered once: %v, want it answered on a new connection", err)
	}
	if b != "ok" {
		t.Fatalf("GET answer %q", b)
	}
	if n := requests.Load(); n != 5 {
		t.Fatalf("the server saw %d requests, want 5", n)
	}
}

// A call cancelled while its body is still being written (the daemon has
// stopped reading) ends at once, without waiting for an early answer
// that will not come.
func TestTransportCancelDuringWrite(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "s")
	if len(sock) > 100 {
		d, err := os.MkdirTemp("/tmp", "ipt")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(d) })
		sock = filepath.Join(d, "s")
	}
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := l.Accept(); err == nil {
			accepted <- c // holds it open and never reads
		}
	}()
	c := newTestClient(sock)
	body := bytes.Repeat([]byte("x"), 8<<20)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err = call(c, ctx, http.MethodPost, "/v1/send", body)
	took := time.Since(start)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: %v, want context.Canceled", err)
	}
	// Cancelled at 100 ms; waiting for an early answer would add 1 s.
	if took > 900*time.Millisecond {
		t.Fatalf("the cancelled call took %v", took)
	}
	select {
	case conn := <-accepted:
		conn.Close()
	default:
	}
}
