package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
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
// Where that cannot be seen beforehand (Windows cannot peek at a socket,
// and a close can land between the peek and the request), a call that
// fails on a kept connection goes out once more on a new one when it
// cannot have been carried out: the request could not be written, or it
// only reads (GET). Otherwise it fails with errClosedUnanswered.
// Cancelling a request's context aborts it at once.
type transport struct {
	dial    func(ctx context.Context) (net.Conn, error)
	maxIdle int
	idleFor time.Duration
	// alive reports whether a kept connection is still open (default
	// alive; a test plays a platform that cannot tell).
	alive func(net.Conn) bool

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

// errClosedUnanswered is a call whose kept connection was closed after
// the request went out and before any answer came back.
var errClosedUnanswered = errors.New("the daemon closed the connection without answering (did it restart?); the call may or may not have been carried out")

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		closeBody(req)
		return nil, err
	}
	pc, kept, err := t.get(ctx, true)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, again, err := t.roundTrip(ctx, pc, kept, req)
	if !again {
		return resp, err
	}
	// Once more, on a new connection, with the body read anew (on a copy
	// of the request: a RoundTripper leaves its request as it is).
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		second := *req
		second.Body = body
		req = &second
	}
	if pc, _, err = t.get(ctx, false); err != nil {
		closeBody(req)
		return nil, err
	}
	resp, _, err = t.roundTrip(ctx, pc, false, req)
	return resp, err
}

// roundTrip makes one attempt on pc. again says that it failed on a kept
// connection in a way that leaves the call safe to make once more.
func (t *transport) roundTrip(ctx context.Context, pc *persistConn, kept bool, req *http.Request) (resp *http.Response, again bool, err error) {
	stop := context.AfterFunc(ctx, func() { _ = pc.conn.SetDeadline(aLongTimeAgo) })
	fail := func(err error, retry bool) (*http.Response, bool, error) {
		stop()
		pc.conn.Close()
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		return nil, retry, err
	}
	// A body that cannot be read anew cannot be sent again.
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	if err := req.Write(pc.bw); err != nil {
		return fail(err, kept && replayable && isConnError(err))
	}
	if err := pc.bw.Flush(); err != nil {
		// Nothing was answered, and the daemon takes a request only
		// whole: whatever part of it went out was not carried out.
		return fail(err, kept && replayable)
	}
	if _, err := pc.br.Peek(1); err != nil && kept && ctx.Err() == nil {
		// Closed after the request went out, before a byte of answer.
		if req.Method == http.MethodGet && replayable {
			return fail(err, true)
		}
		return fail(fmt.Errorf("%w: %v", errClosedUnanswered, err), false)
	}
	resp, err = http.ReadResponse(pc.br, req)
	if err != nil {
		return fail(err, false)
	}
	resp.Body = &body{rc: resp.Body, t: t, pc: pc, stop: stop, keep: !resp.Close && req.Method != http.MethodHead}
	return resp, false, nil
}

// isConnError tells a write that failed on the connection from a body
// that failed to be read.
func isConnError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op)
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// get returns a kept connection that is still open (kept true), or dials
// a new one; reuse false always dials.
func (t *transport) get(ctx context.Context, reuse bool) (pc *persistConn, kept bool, err error) {
	isAlive := t.alive
	if isAlive == nil {
		isAlive = alive
	}
	now := time.Now()
	for reuse {
		t.mu.Lock()
		n := len(t.idle)
		if n == 0 {
			t.mu.Unlock()
			break
		}
		idle := t.idle[n-1]
		t.idle = t.idle[:n-1]
		t.mu.Unlock()
		if now.Sub(idle.idleFrom) < t.idleFor && idle.br.Buffered() == 0 && isAlive(idle.conn) {
			return idle, true, nil
		}
		idle.conn.Close()
	}
	c, err := t.dial(ctx)
	if err != nil {
		return nil, false, err
	}
	return &persistConn{conn: c, br: bufio.NewReaderSize(c, 16<<10), bw: bufio.NewWriterSize(c, 4<<10)}, false, nil
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
