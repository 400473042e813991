//go:build unix

package daemon_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipcd/ipcd/internal/daemon"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// Connection-level attacks on a real daemon over its real socket: many
// connections, busy connections, slow headers, endless bodies.

// TestThousandIdleConnections: 1,000 connections that never send a byte
// leave the daemon serving others. Under the default cap (1,024) they all
// stay open; under a cap of 100 the daemon closes the idlest to make room,
// so the process never holds more than its cap however many are opened.
func TestThousandIdleConnections(t *testing.T) {
	// Both ends of every connection live in this process.
	needFDs(t, 2*1000+256)
	for _, tc := range []struct {
		name     string
		maxConns int
	}{
		{"under the default cap", 0},
		{"over a cap of 100", 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			td := startDaemon(t, func(c *daemon.Config) {
				c.Conns.MaxConns = tc.maxConns
				c.Conns.HeaderTimeout = time.Minute // not what this test is about
			})
			idle := make([]net.Conn, 1000)
			for i := range idle {
				idle[i] = dialRaw(t, td)
			}
			start := time.Now()
			stillServes(t, td, "alice", "bob")
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("serving took %s among 1,000 idle connections", d)
			}
			// Probed in parallel: an open one costs the whole wait.
			var closed int
			var mu sync.Mutex
			var wg sync.WaitGroup
			for _, c := range idle {
				wg.Go(func() {
					if closedByServer(c, 200*time.Millisecond) {
						mu.Lock()
						closed++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if tc.maxConns == 0 && closed != 0 {
				t.Fatalf("%d idle connections closed under the default cap", closed)
			}
			// alice and bob hold a connection or two of their own.
			if open := len(idle) - closed; tc.maxConns > 0 && (open > tc.maxConns || open < tc.maxConns-4) {
				t.Fatalf("%d of the idle connections still open; the cap is %d", open, tc.maxConns)
			}
			// The oldest went first.
			if tc.maxConns > 0 && !closedByServer(idle[0], 200*time.Millisecond) {
				t.Fatal("the oldest idle connection is still open")
			}
		})
	}
}

// TestBusyConnectionsAtTheCap: when every connection is in a request, a
// new one is refused (closed) rather than breaking a request in flight,
// and is accepted again once one of them is idle.
func TestBusyConnectionsAtTheCap(t *testing.T) {
	td := startDaemon(t, func(c *daemon.Config) { c.Conns.MaxConns = 3 })
	r := rawClient(td)
	tokens := map[string]string{}
	for _, name := range []string{"w0", "w1", "w2", "sender"} {
		tokens[name] = registerRaw(t, td, r, name)
	}
	r.hc.CloseIdleConnections()
	var waits []*rawWait
	for _, name := range []string{"w0", "w1", "w2"} {
		w := startRawWait(t, td, tokens[name])
		// Confirmed in-process, which needs no connection: the wait is
		// being served, so its connection is busy.
		waitFor(t, func() bool { return isWaiting(t, td, tokens["sender"], name) })
		waits = append(waits, w)
	}
	if c := dialRaw(t, td); !closedByServer(c, 5*time.Second) {
		t.Fatal("a fourth connection was kept while three requests were in flight")
	}
	for _, name := range []string{"w0", "w1", "w2"} {
		if !isWaiting(t, td, tokens["sender"], name) {
			t.Fatalf("%s's wait was cut to make room", name)
		}
	}
	// Mail ends the first wait; its connection goes idle and makes room.
	if rec := inProc(td, "POST", "/v1/send", `{"to":"w0","content":"wake up"}`, tokens["sender"]); rec.Code != 200 {
		t.Fatalf("send: %d %s", rec.Code, rec.Body)
	}
	if got := waits[0].result(t); got.TimedOut || len(got.Messages) != 1 {
		t.Fatalf("wait answered %+v", got)
	}
	// The server marks the connection idle just after it has answered.
	waitFor(t, func() bool {
		c := dialRaw(t, td)
		io.WriteString(c, "GET /v1/health HTTP/1.1\r\nHost: ipcd\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	for _, name := range []string{"w1", "w2"} {
		if !isWaiting(t, td, tokens["sender"], name) {
			t.Fatalf("%s's wait was cut to make room", name)
		}
	}
}

// inProc calls the daemon's handler in-process, past the connection cap.
func inProc(td *testDaemon, method, path, body, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://ipcd"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	td.d.Handler().ServeHTTP(rec, req)
	return rec
}

func isWaiting(t *testing.T, td *testDaemon, token, name string) bool {
	t.Helper()
	var l protocol.ListResponse
	rec := inProc(td, "GET", "/v1/identities", "", token)
	if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil {
		t.Fatalf("list: %d %s", rec.Code, rec.Body)
	}
	for _, id := range l.Identities {
		if id.Name == name {
			return id.Waiting
		}
	}
	return false
}

// rawWait is a long poll held open on a connection of its own.
type rawWait struct {
	conn net.Conn
	resp chan protocol.CheckResponse
	errc chan error
}

func startRawWait(t *testing.T, td *testDaemon, token string) *rawWait {
	t.Helper()
	w := &rawWait{conn: dialRaw(t, td), resp: make(chan protocol.CheckResponse, 1), errc: make(chan error, 1)}
	body := `{"timeout_ms":60000}`
	fmt.Fprintf(w.conn, "POST /v1/wait HTTP/1.1\r\nHost: ipcd\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s",
		token, len(body), body)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(w.conn), nil)
		if err != nil {
			w.errc <- err
			return
		}
		defer resp.Body.Close()
		var cr protocol.CheckResponse
		if err := json.NewDecoder(resp.Body).Decode(&cr); err != nil {
			w.errc <- err
			return
		}
		w.resp <- cr
	}()
	return w
}

func (w *rawWait) result(t *testing.T) protocol.CheckResponse {
	t.Helper()
	select {
	case r := <-w.resp:
		return r
	case err := <-w.errc:
		t.Fatalf("wait: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("wait not answered in 10s")
	}
	return protocol.CheckResponse{}
}

// TestSlowHeaders: a client that sends its headers a byte at a time
// (slowloris) is cut off at the header timeout, while others are served.
func TestSlowHeaders(t *testing.T) {
	const timeout = 300 * time.Millisecond
	td := startDaemon(t, func(c *daemon.Config) { c.Conns.HeaderTimeout = timeout })
	start := time.Now() // the server's clock starts at accept, after this
	c := dialRaw(t, td)
	var wrote atomic.Int64
	go func() {
		req := "POST /v1/send HTTP/1.1\r\nHost: ipcd\r\nX-Slow: " + strings.Repeat("a", 10000)
		for i := 0; i < len(req); i++ {
			if _, err := c.Write([]byte{req[i]}); err != nil {
				return
			}
			wrote.Add(1)
			time.Sleep(20 * time.Millisecond)
		}
	}()
	stillServes(t, td, "alice", "bob")
	if !closedByServer(c, 10*time.Second) {
		t.Fatal("a slow-header connection was still open after 10s")
	}
	if d := time.Since(start); d < timeout {
		t.Fatalf("cut after %s, before the %s header timeout", d, timeout)
	}
	if wrote.Load() < 2 {
		t.Fatal("the slow client never got going")
	}
}

// TestEndlessBody: a request whose body never ends is answered at the
// request timeout with a code that says the body did not arrive, and the
// connection is closed; others are served meanwhile and afterwards.
func TestEndlessBody(t *testing.T) {
	const timeout = 400 * time.Millisecond
	td := startDaemon(t, func(c *daemon.Config) { c.Conns.RequestTimeout = timeout })
	for i, framing := range []string{"Content-Length: 100000000", "Transfer-Encoding: chunked"} {
		t.Run(framing, func(t *testing.T) {
			tok := registerRaw(t, td, rawClient(td), fmt.Sprintf("endless%d", i))
			c := dialRaw(t, td)
			fmt.Fprintf(c, "POST /v1/send HTTP/1.1\r\nHost: ipcd\r\nAuthorization: Bearer %s\r\n%s\r\n\r\n", tok, framing)
			chunked := strings.HasPrefix(framing, "Transfer")
			if chunked {
				fmt.Fprintf(c, "100000\r\n")
			}
			io.WriteString(c, `{"to":"bob","content":"`)
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				for {
					select {
					case <-stop:
						return
					case <-time.After(10 * time.Millisecond):
					}
					if _, err := io.WriteString(c, "x"); err != nil {
						return
					}
				}
			}()
			start := time.Now()
			stillServes(t, td, "alice", "bob")
			c.SetReadDeadline(time.Now().Add(15 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("no answer to an endless body: %v", err)
			}
			var er protocol.ErrorResponse
			if err := json.NewDecoder(resp.Body).Decode(&er); err != nil || er.Error == nil {
				t.Fatalf("answer %d is not the error shape: %v", resp.StatusCode, err)
			}
			if er.Error.Code != protocol.CodeMalformedJSON || resp.StatusCode != 400 || !strings.Contains(er.Error.Message, "request timeout") {
				t.Fatalf("answer %d %s: %s", resp.StatusCode, er.Error.Code, er.Error.Message)
			}
			t.Logf("answer: %d %s: %s", resp.StatusCode, er.Error.Code, er.Error.Message)
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("answered after %s", d)
			}
			if !closedByServer(c, 5*time.Second) {
				t.Fatal("the connection stayed open after the answer")
			}
			stillServes(t, td, "alice", "bob")
		})
	}
}

// TestLongWaitOutlivesRequestTimeout: the request timeout bounds reading
// a request, not answering it; a wait longer than it is answered normally.
func TestLongWaitOutlivesRequestTimeout(t *testing.T) {
	td := startDaemon(t, func(c *daemon.Config) { c.Conns.RequestTimeout = 200 * time.Millisecond })
	b := td.as("bob")
	r, err := b.Wait(bg, protocol.WaitRequest{TimeoutMS: 800})
	if err != nil || !r.TimedOut {
		t.Fatalf("wait = %+v, %v", r, err)
	}
}
