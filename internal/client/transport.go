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
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
	"time"
)

// transport is a small HTTP/1.1 client for the one daemon a client talks
// to. net/http's Transport runs two goroutines per connection and hands
// every request and answer between them, and its Request and Response
// cost more to build and parse than anything else on the client's side.
// Here the calling goroutine writes the request as bytes and reads the
// answer's status line and the few header lines that matter itself.
// Connections are kept alive and reused, newest first; a kept connection
// the daemon has closed in the meantime (a restart, its idle timeout) is
// noticed before it is reused, so a request is never sent on a dead
// connection and then guessed about. Where that cannot be seen beforehand
// (Windows cannot peek at a socket, and a close can land between the peek
// and the request), a call that fails on a kept connection goes out once
// more on a new one when it cannot have been carried out: the request
// could not be written, or it only reads (GET). Otherwise it fails with
// errClosedUnanswered. Cancelling a call's context aborts it at once.
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
	rd   io.Reader
	t    *transport
	pc   *persistConn
	stop func() bool
	keep bool

	once sync.Once
	eof  bool
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.rd.Read(p)
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

// request is one call as the client makes it: a method, a path, header
// lines ("Name: value") and a JSON body (nil for none).
type request struct {
	method, path string
	header       []string
	body         []byte
}

// answer is the daemon's answer to a request: its status and its body,
// which hands the connection back once read to its end (or closes it).
type answer struct {
	status int
	body   io.ReadCloser
}

// maxHeaderBytes bounds an answer's status line and header lines.
const maxHeaderBytes = 64 << 10

// do makes a call.
func (t *transport) do(ctx context.Context, r *request) (*answer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pc, kept, err := t.get(ctx, true)
	if err != nil {
		return nil, err
	}
	a, again, err := t.attempt(ctx, pc, kept, r)
	if !again {
		return a, err
	}
	if pc, _, err = t.get(ctx, false); err != nil {
		return nil, err
	}
	a, _, err = t.attempt(ctx, pc, false, r)
	return a, err
}

// attempt makes one try on pc. again says that it failed on a kept
// connection in a way that leaves the call safe to make once more.
func (t *transport) attempt(ctx context.Context, pc *persistConn, kept bool, r *request) (a *answer, again bool, err error) {
	stop := context.AfterFunc(ctx, func() { _ = pc.conn.SetDeadline(aLongTimeAgo) })
	fail := func(err error, retry bool) (*answer, bool, error) {
		stop()
		pc.conn.Close()
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		return nil, retry, err
	}
	writeRequest(pc.bw, r)
	if err := pc.bw.Flush(); err != nil {
		// The daemon may have answered and closed before taking the
		// whole request (a body over its limit gets body_too_large):
		// that answer is waiting to be read.
		if ctx.Err() == nil {
			if a := early(ctx, pc, stop, t); a != nil {
				return a, false, nil
			}
		}
		// Nothing was answered, and the daemon takes a request only
		// whole: whatever part of it went out was not carried out.
		return fail(err, kept)
	}
	if _, err := pc.br.Peek(1); err != nil && kept && ctx.Err() == nil {
		// Closed after the request went out, before a byte of answer.
		if r.method == http.MethodGet {
			return fail(err, true)
		}
		return fail(fmt.Errorf("%w: %v", errClosedUnanswered, err), false)
	}
	status, length, keep, err := readHead(pc.br)
	if err != nil {
		return fail(err, false)
	}
	var rd io.Reader
	switch {
	case length >= 0:
		rd = io.LimitReader(pc.br, length)
	default:
		// Chunked or up to the close: not kept afterwards.
		keep = false
		rd = readerFor(pc.br, length)
	}
	return &answer{status: status, body: &body{rd: rd, t: t, pc: pc, stop: stop, keep: keep}}, false, nil
}

// early reads an answer the daemon sent before it stopped reading the
// request, if there is one; the connection is not kept after it.
func early(ctx context.Context, pc *persistConn, stop func() bool, t *transport) *answer {
	deadline := time.Now().Add(time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = pc.conn.SetReadDeadline(deadline)
	status, length, _, err := readHead(pc.br)
	if err != nil {
		return nil
	}
	_ = pc.conn.SetReadDeadline(time.Time{})
	rd := readerFor(pc.br, length)
	if length >= 0 {
		rd = io.LimitReader(pc.br, length)
	}
	return &answer{status: status, body: &body{rd: rd, t: t, pc: pc, stop: stop, keep: false}}
}

// check refuses a path or header line that would break the request's
// framing (a name or token with a line break in it, say).
func (r *request) check() error {
	if !strings.HasPrefix(r.path, "/") || strings.ContainsFunc(r.path, func(c rune) bool { return c <= ' ' || c == 0x7f }) {
		return fmt.Errorf("bad path %q", r.path)
	}
	for _, h := range r.header {
		if strings.ContainsFunc(h, func(c rune) bool { return (c < ' ' && c != '\t') || c == 0x7f }) {
			return errors.New("a header value holds a control character")
		}
	}
	return nil
}

// writeRequest writes r as an HTTP/1.1 request.
func writeRequest(w *bufio.Writer, r *request) {
	w.WriteString(r.method)
	w.WriteByte(' ')
	w.WriteString(r.path)
	w.WriteString(" HTTP/1.1\r\nHost: ipcd\r\n")
	for _, h := range r.header {
		w.WriteString(h)
		w.WriteString("\r\n")
	}
	if r.body != nil {
		w.WriteString("Content-Length: ")
		w.Write(strconv.AppendInt(w.AvailableBuffer(), int64(len(r.body)), 10))
		w.WriteString("\r\n\r\n")
		w.Write(r.body)
		return
	}
	w.WriteString("\r\n")
}

const (
	lengthChunked = -1 // Transfer-Encoding: chunked
	lengthToClose = -2 // the body runs to the end of the connection
)

// readHead reads an answer's status line and header lines: the status,
// the body's length (or lengthChunked, lengthToClose), and whether the
// connection may be kept. Interim 1xx answers are skipped.
func readHead(br *bufio.Reader) (status int, length int64, keep bool, err error) {
	for {
		status, length, keep, err = readOneHead(br)
		if err != nil || status >= 200 || status == http.StatusSwitchingProtocols {
			return status, length, keep, err
		}
	}
}

func readOneHead(br *bufio.Reader) (status int, length int64, keep bool, err error) {
	read := 0
	line := func() ([]byte, error) {
		l, err := br.ReadSlice('\n')
		read += len(l)
		if err == bufio.ErrBufferFull || read > maxHeaderBytes {
			return nil, errors.New("the answer's header is too long")
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		return bytes.TrimRight(l, "\r\n"), nil
	}
	l, err := line()
	if err != nil {
		return 0, 0, false, err
	}
	// "HTTP/1.1 200 OK"
	if len(l) < 12 || !bytes.HasPrefix(l, []byte("HTTP/1.")) || l[8] != ' ' || (len(l) > 12 && l[12] != ' ') {
		return 0, 0, false, fmt.Errorf("not an HTTP/1.x answer: %q", truncate(l))
	}
	status, err = strconv.Atoi(string(l[9:12]))
	if err != nil || status < 100 {
		return 0, 0, false, fmt.Errorf("bad status in %q", truncate(l))
	}
	keep = l[7] == '1' // HTTP/1.1 keeps connections unless told not to
	length = lengthToClose
	for {
		l, err := line()
		if err != nil {
			return 0, 0, false, err
		}
		if len(l) == 0 {
			break
		}
		name, value, ok := bytes.Cut(l, []byte(":"))
		if !ok {
			return 0, 0, false, fmt.Errorf("bad header line %q", truncate(l))
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || n < 0 || (length >= 0 && n != length) {
				return 0, 0, false, fmt.Errorf("bad Content-Length %q", truncate(value))
			}
			if length != lengthChunked {
				length = n
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			if !bytes.EqualFold(value, []byte("chunked")) {
				return 0, 0, false, fmt.Errorf("unsupported Transfer-Encoding %q", truncate(value))
			}
			length = lengthChunked
		case bytes.EqualFold(name, []byte("Connection")):
			if bytes.EqualFold(value, []byte("close")) {
				keep = false
			}
		}
	}
	if status == http.StatusNoContent || status == http.StatusNotModified || (status >= 100 && status < 200) {
		length = 0
	}
	return status, length, keep, nil
}

func readerFor(br *bufio.Reader, length int64) io.Reader {
	if length == lengthChunked {
		return httputil.NewChunkedReader(br)
	}
	return br
}

func truncate(b []byte) []byte {
	if len(b) > 80 {
		return b[:80]
	}
	return b
}
