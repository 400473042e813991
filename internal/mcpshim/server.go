// Package mcpshim is the MCP server that AI clients launch as ipc-mcp: a
// small set of tools, each one daemon call through internal/client, and an
// ipc://inbox resource whose subscribers hear of new mail. It connects to
// the daemon lazily, so a client's tools/list is answered at once.
package mcpshim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// Options configure a Server.
type Options struct {
	// Name is registered at start-up when set (IPC_NAME).
	Name string
	// Connect returns a client for the daemon, starting the daemon if
	// need be. It is called on first use, not at start-up.
	Connect func(ctx context.Context) (*client.Client, error)
	// Logger gets diagnostics (stderr in ipc-mcp); nil discards them.
	Logger *slog.Logger
	// ProgressEvery is how often a long wait reports progress (default 15s).
	ProgressEvery time.Duration
	// MaxWait caps wait_for_messages (default 600s).
	MaxWait time.Duration
	// Version is reported to clients.
	Version string
}

// Server is one MCP server: one identity, one daemon connection.
type Server struct {
	o   Options
	mcp *mcp.Server
	log *slog.Logger

	connMu sync.Mutex
	c      *client.Client

	// started is closed once start-up registration (if any) has ended;
	// tool calls wait for it so they never race it.
	started chan struct{}
	// named is closed the first time this server acts as a name.
	named     chan struct{}
	namedOnce sync.Once
	// renamed is closed, and replaced, each time the register tool moves
	// the server to another name or takes its own back: the inbox watcher
	// starts over.
	renameMu sync.Mutex
	renamed  chan struct{}

	inbox inboxWatch

	// infer is filled by addTool (see schemas.go).
	infer map[string]inferSchemas
}

// ErrNotRegistered means a tool needs a name and none is chosen.
var ErrNotRegistered = errors.New("not registered yet: call the register tool with a name first (or set IPC_NAME in the MCP server's env)")

// Default wait bounds.
const (
	defaultWait     = 120 * time.Second
	defaultMaxWait  = time.Duration(protocol.MaxWaitMS) * time.Millisecond
	defaultProgress = 15 * time.Second
)

// New builds the server and its tools. Nothing touches the daemon yet.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = defaultProgress
	}
	if o.MaxWait <= 0 || o.MaxWait > defaultMaxWait {
		o.MaxWait = defaultMaxWait
	}
	if o.Version == "" {
		o.Version = protocol.Version
	}
	s := &Server{o: o, log: o.Logger, started: make(chan struct{}), named: make(chan struct{})}
	if o.Name == "" {
		close(s.started)
	}
	s.mcp = mcp.NewServer(&mcp.Implementation{Name: "ipc", Title: "ipcd messaging", Version: o.Version}, &mcp.ServerOptions{
		Instructions:       instructions(o.Name),
		Logger:             o.Logger,
		SubscribeHandler:   s.subscribe,
		UnsubscribeHandler: s.unsubscribe,
		Capabilities: &mcp.ServerCapabilities{
			Tools:     &mcp.ToolCapabilities{},
			Resources: &mcp.ResourceCapabilities{Subscribe: true},
		},
	})
	s.infer = map[string]inferSchemas{}
	s.addTools()
	s.addInbox()
	return s
}

// MCP is the underlying SDK server.
func (s *Server) MCP() *mcp.Server { return s.mcp }

// Run serves MCP on t until the client goes away or ctx ends, then stops
// the inbox watcher and drops the daemon connection.
func (s *Server) Run(ctx context.Context, t mcp.Transport) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.inbox.ctx = ctx
	var wg sync.WaitGroup
	if s.o.Name != "" {
		wg.Go(func() { s.registerAtStart(ctx) })
	}
	err := s.mcp.Run(ctx, t)
	cancel()
	wg.Wait()
	s.inbox.stopAll()
	s.connMu.Lock()
	if s.c != nil {
		s.c.Close()
	}
	s.connMu.Unlock()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// registerAtStart registers IPC_NAME. A failure is logged, and the tools
// then answer with the daemon's sentence (name_taken, say).
func (s *Server) registerAtStart(ctx context.Context) {
	defer close(s.started)
	// A server that stops before it got that far (its client closed
	// stdin at once) has nothing to warn about.
	c, err := s.conn(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("cannot reach the daemon at start-up", "err", err)
		}
		return
	}
	res, err := c.Register(ctx, s.o.Name, false)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("cannot register at start-up", "name", s.o.Name, "err", err)
		}
		return
	}
	s.markNamed()
	s.log.Info("registered", "name", res.Name, "unread", res.Unread)
}

func (s *Server) markNamed() { s.namedOnce.Do(func() { close(s.named) }) }

// nameChanges returns a channel closed at the next change of name.
func (s *Server) nameChanges() <-chan struct{} {
	s.renameMu.Lock()
	defer s.renameMu.Unlock()
	if s.renamed == nil {
		s.renamed = make(chan struct{})
	}
	return s.renamed
}

// nameChanged tells the inbox watcher that the server acts as another name.
func (s *Server) nameChanged() {
	s.renameMu.Lock()
	defer s.renameMu.Unlock()
	if s.renamed != nil {
		close(s.renamed)
	}
	s.renamed = make(chan struct{})
}

// conn returns the daemon client, connecting (and starting the daemon)
// on first use; a failed attempt is tried again on the next call.
func (s *Server) conn(ctx context.Context) (*client.Client, error) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if s.c != nil {
		return s.c, nil
	}
	c, err := s.o.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if s.o.Name != "" && c.Name() == "" {
		c.As(s.o.Name)
	}
	s.c = c
	return c, nil
}

// me returns the client once it acts as a name.
func (s *Server) me(ctx context.Context) (*client.Client, error) {
	select {
	case <-s.started:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	c, err := s.conn(ctx)
	if err != nil {
		return nil, err
	}
	if c.Name() == "" {
		return nil, ErrNotRegistered
	}
	s.markNamed()
	return c, nil
}

// unread counts the caller's unread mail for the hint; a failure counts
// as none, since the tool itself has already succeeded.
func (s *Server) unread(ctx context.Context, c *client.Client) int {
	w, err := c.Whoami(ctx)
	if err != nil {
		return 0
	}
	return w.Unread
}

// toolError turns a failure into the sentence the AI reads: the daemon's
// own sentence and code, or what to do when it is not running.
func toolError(err error) error {
	var pe *protocol.Error
	switch {
	case errors.As(err, &pe):
		return fmt.Errorf("%s (%s)", pe.Message, pe.Code)
	case errors.Is(err, client.ErrDaemonDown):
		return fmt.Errorf("%v (see ipcd.log in the data dir, or run: ipcd run)", err)
	}
	return err
}
