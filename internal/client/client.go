// Package client is the typed Go client of the ipcd API. It answers the
// registration challenge with the shared secret, saves session tokens per
// name, and renews a session transparently when the daemon has forgotten
// it (after a restart or idle expiry) before retrying the call once.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// ErrDaemonDown means nothing answers at the daemon's address.
var ErrDaemonDown = errors.New("the ipcd daemon is not running")

// ErrNoName means an identity call was made before choosing a name.
var ErrNoName = errors.New("no name: register first, pass --as NAME, or set IPC_NAME")

// Options configure a Client.
type Options struct {
	// Socket is the daemon's Unix socket path, or "tcp://HOST:PORT".
	Socket string
	// Secret returns the shared secret; it is called only when a
	// registration needs it. Nil means open mode.
	Secret func() ([]byte, error)
	// Sessions keeps tokens between runs; nil keeps them in memory.
	Sessions SessionStore
	// Timeout bounds each call but wait and watch (default 60s).
	Timeout time.Duration
	// Claim, if set, reserves a name for this process among the MCP
	// servers of this OS user before it is registered or renamed to (see
	// Client.Register). mine is false when another live server holds it;
	// commit is called with the registration's outcome. A token got
	// while another server holds the name (a takeover) is kept from
	// Sessions until Holds says the name is this process's: until then
	// the other server, or one started in its place, would find it there.
	Claim func(name string) (commit func(err error), mine bool)
	// Holds reports whether this process holds the claim of name, the
	// name it acts as, taking it if the other server has let go.
	Holds func(name string) bool
	// Revive, if set, is called when nothing answers at the socket during
	// a call: it starts the daemon again (a long-lived MCP server outlives
	// a daemon that stopped). If it succeeds, the call is made once more.
	Revive func(ctx context.Context) error
}

// Client talks to one daemon as at most one name at a time.
type Client struct {
	opts    Options
	tr      *transport
	network string
	addr    string

	mu    sync.Mutex
	name  string
	token string
	admin string
	// withheld holds the tokens kept from Sessions while another process
	// holds their name's claim (see Options.Claim).
	withheld map[string]string
	// saveMu orders the saving of a withheld token after a rename.
	saveMu sync.Mutex
	// regMu makes calls that find their session gone register again one
	// at a time; regGen counts successful registrations (under mu).
	regMu  sync.Mutex
	regGen uint64
}

// New returns a client; it does not connect until the first call.
func New(o Options) *Client {
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	if o.Sessions == nil {
		o.Sessions = &MemorySessions{}
	}
	c := &Client{opts: o, network: "unix", addr: o.Socket}
	if hostport, ok := strings.CutPrefix(o.Socket, "tcp://"); ok {
		c.network, c.addr = "tcp", hostport
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	c.tr = &transport{
		dial: func(ctx context.Context) (net.Conn, error) {
			return dialer.DialContext(ctx, c.network, c.addr)
		},
		maxIdle: 64,
		// Below the daemon's keep-alive idle timeout (2 min): the daemon
		// never closes a connection the client still keeps for reuse.
		idleFor: 90 * time.Second,
	}
	return c
}

// Close ends the client's admin session, if it made one (each operator
// command makes its own, so none is left to idle out in the daemon), and
// drops idle connections. Identity sessions are kept: their tokens are
// saved for the next run.
func (c *Client) Close() {
	c.mu.Lock()
	admin := c.admin != ""
	c.mu.Unlock()
	if admin {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = c.do(ctx, "POST", "/v1/auth/logout", asAdmin, struct{}{}, nil)
		cancel()
		c.mu.Lock()
		c.admin = ""
		c.mu.Unlock()
	}
	c.tr.CloseIdleConnections()
}

// Name is the name the client acts as, or "".
func (c *Client) Name() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.name
}

// As makes the client act as name, with the token saved for it if any.
func (c *Client) As(name string) {
	c.mu.Lock()
	tok, withheld := c.withheld[name]
	c.mu.Unlock()
	if !withheld {
		tok, _ = c.opts.Sessions.Load(name)
	}
	c.mu.Lock()
	c.name, c.token = name, tok
	c.mu.Unlock()
}

// keepToken saves name's token, or withholds it from Sessions while
// another process holds the name's claim (mine false).
func (c *Client) keepToken(name, tok string, mine bool) error {
	c.saveMu.Lock()
	defer c.saveMu.Unlock()
	return c.keepTokenLocked(name, tok, mine)
}

// keepTokenLocked is keepToken with saveMu held.
func (c *Client) keepTokenLocked(name, tok string, mine bool) error {
	c.mu.Lock()
	if mine {
		delete(c.withheld, name)
	} else {
		if c.withheld == nil {
			c.withheld = map[string]string{}
		}
		c.withheld[name] = tok
	}
	c.mu.Unlock()
	if !mine {
		return nil
	}
	if err := c.opts.Sessions.Save(name, tok); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

type authKind int

const (
	noAuth authKind = iota
	asName
	asAdmin
)

// do makes one call. A non-2xx answer becomes a *protocol.Error; a
// refused or missing socket becomes ErrDaemonDown.
func (c *Client) do(ctx context.Context, method, path string, auth authKind, in, out any) error {
	return c.doRaw(ctx, method, path, auth, in, func(body io.Reader) error {
		if out == nil {
			return nil
		}
		// The whole answer into a pooled buffer, then one Unmarshal, which
		// copies what it keeps: a Decoder would allocate its own buffer.
		buf := getBuf()
		defer putBuf(buf)
		if _, err := buf.ReadFrom(body); err != nil {
			return fmt.Errorf("decode %s answer: %w", path, err)
		}
		if err := json.Unmarshal(buf.Bytes(), out); err != nil {
			return fmt.Errorf("decode %s answer: %w", path, err)
		}
		return nil
	})
}

func (c *Client) doRaw(ctx context.Context, method, path string, auth authKind, in any, read func(io.Reader) error) error {
	err := c.doRawOnce(ctx, method, path, auth, in, read)
	if c.opts.Revive == nil || !errors.Is(err, ErrDaemonDown) {
		return err
	}
	if rerr := c.opts.Revive(ctx); rerr != nil {
		return fmt.Errorf("%w; starting it again failed: %v", err, rerr)
	}
	return c.doRawOnce(ctx, method, path, auth, in, read)
}

func (c *Client) doRawOnce(ctx context.Context, method, path string, auth authKind, in any, read func(io.Reader) error) error {
	r := request{method: method, path: path, header: make([]string, 0, 3)}
	if in != nil {
		// The transport is done with the body when do returns.
		buf := getBuf()
		defer putBuf(buf)
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(in); err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		r.body = buf.Bytes()
		r.header = append(r.header, "Content-Type: application/json")
	}
	c.mu.Lock()
	switch auth {
	case asName:
		if want, ok := ctx.Value(expectNameKey{}).(string); ok && want != c.name {
			c.mu.Unlock()
			return ErrNameChanged
		}
		if c.token != "" {
			r.header = append(r.header, protocol.HeaderAuthorization+": Bearer "+c.token)
		}
		r.header = append(r.header, protocol.HeaderName+": "+c.name)
	case asAdmin:
		r.header = append(r.header, protocol.HeaderAuthorization+": Bearer "+c.admin)
	}
	c.mu.Unlock()
	if err := r.check(); err != nil {
		return fmt.Errorf("call %s: %w", path, err)
	}
	if !longCall(path) {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.Timeout)
		defer cancel()
	}
	a, err := c.tr.do(ctx, &r)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if isDown(err) {
			return fmt.Errorf("%w (nothing answers at %s)", ErrDaemonDown, c.opts.Socket)
		}
		return fmt.Errorf("call %s: %w", path, err)
	}
	defer a.body.Close()
	if a.status/100 != 2 {
		var er protocol.ErrorResponse
		data, _ := io.ReadAll(io.LimitReader(a.body, 64<<10))
		if json.Unmarshal(data, &er) != nil || er.Error == nil {
			return fmt.Errorf("call %s: HTTP %d from something that is not ipcd", path, a.status)
		}
		return er.Error
	}
	if err := read(a.body); err != nil {
		return err
	}
	if !longCall(path) {
		// Read what is left of a short answer (a call with nothing to
		// decode reads none of it): an answer read to its end lets the
		// connection be kept for the next call.
		_, _ = io.Copy(io.Discard, io.LimitReader(a.body, 64<<10))
	}
	return nil
}

// longCall reports whether a call may rightly outlast Options.Timeout:
// waits and streams bound themselves.
func longCall(path string) bool {
	switch path {
	case "/v1/wait", "/v1/admin/watch", "/v1/admin/backup":
		return true
	}
	return false
}

// isDown tells a daemon that is not there from other failures.
func isDown(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// identityCall makes a call as the current name, registering again once
// if the daemon no longer knows the session.
func (c *Client) identityCall(ctx context.Context, method, path string, in, out any) error {
	if c.Name() == "" {
		return ErrNoName
	}
	if c.tokenEmpty() {
		if err := c.registerAgain(ctx, c.generation()); err != nil {
			return err
		}
	}
	if err := c.saveWhenClaimed(); err != nil {
		return err
	}
	gen := c.generation()
	err := c.do(ctx, method, path, asName, in, out)
	if isCode(err, protocol.CodeSessionExpired) || isCode(err, protocol.CodeUnauthorized) {
		if rerr := c.registerAgain(ctx, gen); rerr != nil {
			return rerr
		}
		err = c.do(ctx, method, path, asName, in, out)
	}
	return err
}

// generation counts the client's registrations, so that calls that fail
// together (the daemon restarted and forgot every session) register
// again once, not each on its own: the second registration would offer
// the dead token, find the first one's live session and be refused.
func (c *Client) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.regGen
}

// registerAgain registers the current name again, unless another call has
// done so since gen.
func (c *Client) registerAgain(ctx context.Context, gen uint64) error {
	c.regMu.Lock()
	defer c.regMu.Unlock()
	if c.generation() != gen && !c.tokenEmpty() {
		return nil
	}
	_, err := c.Register(ctx, c.Name(), false)
	return err
}

// saveWhenClaimed saves the token of the current name that was withheld
// from Sessions while another process held the name's claim, once the
// claim is this process's.
func (c *Client) saveWhenClaimed() error {
	c.mu.Lock()
	name := c.name
	tok, withheld := c.withheld[name]
	c.mu.Unlock()
	if !withheld || c.opts.Holds == nil || !c.opts.Holds(name) {
		return nil
	}
	c.saveMu.Lock()
	defer c.saveMu.Unlock()
	c.mu.Lock()
	current := c.name == name && c.withheld[name] == tok
	c.mu.Unlock()
	if !current {
		return nil // renamed, or registered again, meanwhile
	}
	return c.keepTokenLocked(name, tok, true)
}

func (c *Client) tokenEmpty() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token == ""
}

func isCode(err error, code protocol.Code) bool {
	var pe *protocol.Error
	return errors.As(err, &pe) && pe.Code == code
}

// IsCode reports whether err carries the API error code.
func IsCode(err error, code protocol.Code) bool { return isCode(err, code) }

// IsDown reports whether err means the daemon is not running.
func IsDown(err error) bool { return errors.Is(err, ErrDaemonDown) }

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuf() *bytes.Buffer { return bufPool.Get().(*bytes.Buffer) }

// putBuf returns a buffer to the pool unless it grew too large to keep.
func putBuf(b *bytes.Buffer) {
	if b.Cap() > 1<<20 {
		return
	}
	b.Reset()
	bufPool.Put(b)
}
