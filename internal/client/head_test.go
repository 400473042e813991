package client

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestReadHead(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		status   int
		length   int64
		keep     bool
		err      string
	}{
		{name: "ok", in: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n", status: 200, length: 12, keep: true},
		{name: "lower-case names, no reason", in: "HTTP/1.1 404\r\ncontent-length:  3 \r\n\r\n", status: 404, length: 3, keep: true},
		{name: "bare LF", in: "HTTP/1.1 200 OK\nContent-Length: 0\n\n", status: 200, length: 0, keep: true},
		{name: "close", in: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n", status: 200, length: 2},
		{name: "HTTP/1.0", in: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n", status: 200, length: 2},
		{name: "chunked", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", status: 200, length: lengthChunked, keep: true},
		{name: "chunked wins over a length", in: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", status: 200, length: lengthChunked, keep: true},
		{name: "to the close", in: "HTTP/1.1 200 OK\r\n\r\n", status: 200, length: lengthToClose, keep: true},
		{name: "no content", in: "HTTP/1.1 204 No Content\r\n\r\n", status: 204, length: 0, keep: true},
		{name: "interim answer skipped", in: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n", status: 200, length: 1, keep: true},
		{name: "same length twice", in: "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\n", status: 200, length: 4, keep: true},
		{name: "two lengths", in: "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n", err: "Content-Length"},
		{name: "negative length", in: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", err: "Content-Length"},
		{name: "gzip", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", err: "Transfer-Encoding"},
		{name: "not HTTP", in: "SSH-2.0-OpenSSH\r\n\r\n", err: "not an HTTP/1.x answer"},
		{name: "bad status", in: "HTTP/1.1 2x0 OK\r\n\r\n", err: "bad status"},
		{name: "status too long", in: "HTTP/1.1 2000 OK\r\n\r\n", err: "not an HTTP/1.x answer"},
		{name: "header without colon", in: "HTTP/1.1 200 OK\r\nnonsense\r\n\r\n", err: "bad header line"},
		{name: "cut short", in: "HTTP/1.1 200 OK\r\nContent-Len", err: io.ErrUnexpectedEOF.Error()},
		{name: "nothing", in: "", err: io.ErrUnexpectedEOF.Error()},
		{name: "header too long", in: "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", maxHeaderBytes) + "\r\n\r\n", err: "too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, length, keep, err := readHead(bufio.NewReader(strings.NewReader(tc.in)))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil || status != tc.status || length != tc.length || keep != tc.keep {
				t.Fatalf("got %d %d %v %v, want %d %d %v", status, length, keep, err, tc.status, tc.length, tc.keep)
			}
		})
	}
}

// A streamed (chunked) answer is read whole, and its connection is not
// kept: the next call gets a new one.
func TestTransportChunkedAnswer(t *testing.T) {
	ts := streamServer(t, 100)
	c := newTestClient(ts.socket)
	got, err := call(c, context.Background(), http.MethodGet, "/stream", nil)
	if err != nil || !strings.HasPrefix(got, "line 0\n") || !strings.HasSuffix(got, "line 99\n") || strings.Count(got, "\n") != 100 {
		t.Fatalf("stream: %d bytes, %v", len(got), err)
	}
	if got, err := get(t, c, context.Background(), "/after"); err != nil || got != "ok" {
		t.Fatalf("call after a stream: %q, %v", got, err)
	}
	if n := ts.conns.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
}

// A name or token with a line break in it cannot add header lines.
func TestRequestRefusesBrokenFraming(t *testing.T) {
	for _, r := range []request{
		{method: "GET", path: "/v1/x\r\nX-Evil: 1"},
		{method: "GET", path: "v1/x"},
		{method: "GET", path: "/v1/x y"},
		{method: "GET", path: "/v1/x", header: []string{"X-Ipc-Name: bob\r\nX-Evil: 1"}},
		{method: "GET", path: "/v1/x", header: []string{"Authorization: Bearer a\nb"}},
	} {
		if err := r.check(); err == nil {
			t.Errorf("%q %q: accepted", r.path, r.header)
		}
	}
	ok := request{method: "POST", path: "/v1/send", header: []string{"Authorization: Bearer ipcd_x", "X-Ipc-Name: bob"}}
	if err := ok.check(); err != nil {
		t.Errorf("a plain request: %v", err)
	}
	c := New(Options{Socket: "/nonexistent/s.sock"})
	c.As("bad\r\nname")
	err := c.do(context.Background(), http.MethodPost, "/v1/check", asName, map[string]int{}, nil)
	if err == nil || errors.Is(err, ErrDaemonDown) || !strings.Contains(err.Error(), "control character") {
		t.Fatalf("call as a name with a line break: %v", err)
	}
}

// FuzzReadHead: whatever a server sends, reading an answer's head ends in
// a status or an error, never a panic.
func FuzzReadHead(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n{\"ok\":true}\n"))
	f.Add([]byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 400 Bad Request\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"))
	f.Add([]byte("HTTP/1.0 204\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		status, length, _, err := readHead(bufio.NewReader(strings.NewReader(string(in))))
		if err != nil {
			return
		}
		if status < 200 && status != http.StatusSwitchingProtocols || status > 999 {
			t.Fatalf("status %d", status)
		}
		if length < lengthToClose {
			t.Fatalf("length %d", length)
		}
	})
}
