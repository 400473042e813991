package client

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// transport is a small HTTP/1.1 round tripper for the one daemon a client
// talks to. net/http's Transport runs two goroutines per connection and
// hands every request and answer between them; here the calling goroutine
// writes the request and reads the answer itself, which takes a fifth of
// the CPU a send costs off the client's side. Connections are kept alive
// and reused, newest first; a kept connection the daemon has closed in the
// meantime (a restart, its idle timeout) is noticed before it is reused,
// so a request is never sent on a dead connection and then guessed about.
// Cancelling a request's context aborts it at once.
type transport struct {
	dial    func(ctx context.Context) (net.Conn, error)
	maxIdle int
	idleFor time.Duration

	mu     sync.Mutex
	idle   []*persistConn
	closed bool
}

type persistConn struct {
	conn     net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	idleFrom time.Time
}

// aLongTimeAgo is a deadline that makes any pending I/O fail at once.
var aLongTimeAgo = time.Unix(1, 0)

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		closeBody(req)
		return nil, err
	}
	pc, err := t.get(ctx)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { _ = pc.conn.SetDeadline(aLongTimeAgo) })
	fail := func(err error) (*http.Response, error) {
		stop()
		pc.conn.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if err := req.Write(pc.bw); err != nil {
		return fail(err)
	}
	if err := pc.bw.Flush(); err != nil {
		return fail(err)
	}
	resp, err := http.ReadResponse(pc.br, req)
	if err != nil {
		return fail(err)
	}
	resp.Body = &body{rc: resp.Body, t: t, pc: pc, stop: stop, keep: !resp.Close && req.Method != http.MethodHead}
	return resp, nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// get returns a kept connection that is still open, or dials a new one.
func (t *transport) get(ctx context.Context) (*persistConn, error) {
	now := time.Now()
	for {
		t.mu.Lock()
		n := len(t.idle)
		if n == 0 {
			t.mu.Unlock()
			break
		}
		pc := t.idle[n-1]
		t.idle = t.idle[:n-1]
		t.mu.Unlock()
		if now.Sub(pc.idleFrom) < t.idleFor && pc.br.Buffered() == 0 && alive(pc.conn) {
			return pc, nil
		}
		pc.conn.Close()
	}
	c, err := t.dial(ctx)
	if err != nil {
		return nil, err
	}
	return &persistConn{conn: c, br: bufio.NewReaderSize(c, 16<<10), bw: bufio.NewWriterSize(c, 4<<10)}, nil
}

// put keeps a connection whose last answer was read to its end.
func (t *transport) put(pc *persistConn) {
	pc.idleFrom = time.Now()
	t.mu.Lock()
	if t.closed || len(t.idle) >= t.maxIdle {
		t.mu.Unlock()
		pc.conn.Close()
		return
	}
	t.idle = append(t.idle, pc)
	t.mu.Unlock()
}

// CloseIdleConnections closes the kept connections.
func (t *transport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = nil
	t.mu.Unlock()
	for _, pc := range idle {
		pc.conn.Close()
	}
}

// body hands the connection back once the answer has been read to its end,
// and closes it if the answer is abandoned before that.
type body struct {
	rc   io.ReadCloser
	t    *transport
	pc   *persistConn
	stop func() bool
	keep bool

	once sync.Once
	eof  bool
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if errors.Is(err, io.EOF) {
		b.eof = true
		b.release()
	}
	return n, err
}

func (b *body) Close() error {
	b.release()
	return nil
}

func (b *body) release() {
	b.once.Do(func() {
		// A context that fired has poisoned the connection's deadline.
		fired := !b.stop()
		if b.eof && b.keep && !fired {
			b.t.put(b.pc)
			return
		}
		b.pc.conn.Close()
	})
}
