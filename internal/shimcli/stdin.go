package shimcli

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log/slog"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// maxFrame is the longest line of JSON-RPC that ipc-mcp takes: the MCP
// SDK's own limit, past which it would end the session.
const maxFrame = 16 << 20

// frameFilter stands between stdin and the MCP SDK. The SDK ends the whole
// session on one line that is not a JSON-RPC message or is too long; the
// filter answers such a line with a JSON-RPC parse error (id null, as the
// id cannot be known) and keeps serving. Lines are handed on unchanged;
// batches (a line starting with '[') are left to the SDK.
type frameFilter struct {
	in      *bufio.Reader
	out     *lockedWriter
	log     *slog.Logger
	pending []byte
}

func newFrameFilter(in io.Reader, out *lockedWriter, log *slog.Logger) *frameFilter {
	return &frameFilter{in: bufio.NewReaderSize(in, 64<<10), out: out, log: log}
}

func (f *frameFilter) Read(p []byte) (int, error) {
	for len(f.pending) == 0 {
		line, tooLong, err := f.readLine()
		if len(line) > 0 || tooLong {
			f.check(line, tooLong)
		}
		if err != nil && len(f.pending) == 0 {
			return 0, err
		}
	}
	n := copy(p, f.pending)
	f.pending = f.pending[n:]
	return n, nil
}

// readLine reads one line with its newline; a line over maxFrame is
// skipped to its end and reported as tooLong.
func (f *frameFilter) readLine() (line []byte, tooLong bool, err error) {
	for {
		chunk, err := f.in.ReadSlice('\n')
		if !tooLong {
			line = append(line, chunk...)
			if len(line) > maxFrame {
				line, tooLong = nil, true
			}
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return line, tooLong, err
		}
	}
}

// check passes a line on, or answers it with a parse error.
func (f *frameFilter) check(line []byte, tooLong bool) {
	trimmed := bytes.TrimSpace(line)
	switch {
	case tooLong:
		f.refuse("the message is longer than 16 MiB")
	case len(trimmed) == 0:
		// A blank line: nothing to pass on.
	case trimmed[0] == '[':
		f.pending = line
	default:
		if _, err := jsonrpc.DecodeMessage(trimmed); err != nil {
			f.refuse("the line is not a JSON-RPC message")
			return
		}
		f.pending = line
	}
}

func (f *frameFilter) refuse(why string) {
	f.log.Warn("a line on stdin was not taken", "why", why)
	msg := `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error: ` + why + `"}}` + "\n"
	if _, err := f.out.Write([]byte(msg)); err != nil {
		f.log.Warn("answer a line that was not taken", "err", err)
	}
}

// lockedWriter lets the filter's answers and the SDK's messages share
// stdout without interleaving: the SDK writes each message in one Write.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) Close() error { return nil }
