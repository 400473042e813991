package mcpshim

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// InboxURI is the resource that holds the unread mail.
const InboxURI = "ipc://inbox"

// inboxWatch runs one daemon wait loop while anyone subscribes to the
// inbox, and tells subscribers when new mail arrives.
type inboxWatch struct {
	mu     sync.Mutex
	ctx    context.Context // the server's; set by Run
	subs   int
	cancel context.CancelFunc
	done   chan struct{}
}

// InboxContents is the JSON body of ipc://inbox.
type InboxContents struct {
	Name     string    `json:"name"`
	Unread   int       `json:"unread"`
	Messages []Message `json:"messages"`
}

func (s *Server) addInbox() {
	s.mcp.AddResource(&mcp.Resource{
		URI:         InboxURI,
		Name:        "inbox",
		Title:       "Unread ipc messages",
		Description: "The unread messages of this instance (not marked read by reading this). Subscribe to hear of new mail.",
		MIMEType:    "application/json",
	}, s.readInbox)
}

func (s *Server) readInbox(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	c, err := s.me(ctx)
	if err != nil {
		return nil, rpcError(jsonrpc.CodeInternalError, toolError(err))
	}
	res, err := c.Check(ctx, protocol.CheckRequest{Peek: true})
	if err != nil {
		return nil, rpcError(jsonrpc.CodeInternalError, toolError(err))
	}
	body, err := json.MarshalIndent(InboxContents{Name: c.Name(), Unread: res.Unread, Messages: messagesOut(res.Messages)}, "", "  ")
	if err != nil {
		return nil, err
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: InboxURI, MIMEType: "application/json", Text: string(body)}}}, nil
}

func (s *Server) subscribe(_ context.Context, req *mcp.SubscribeRequest) error {
	if req.Params.URI != InboxURI {
		return rpcError(jsonrpc.CodeInvalidParams, fmt.Errorf("no resource %q to subscribe to; there is only %s", req.Params.URI, InboxURI))
	}
	w := &s.inbox
	w.mu.Lock()
	defer w.mu.Unlock()
	w.subs++
	if w.cancel == nil && w.ctx != nil {
		ctx, cancel := context.WithCancel(w.ctx)
		w.cancel, w.done = cancel, make(chan struct{})
		go func(done chan struct{}) {
			defer close(done)
			s.watchInbox(ctx)
		}(w.done)
	}
	return nil
}

func (s *Server) unsubscribe(_ context.Context, req *mcp.UnsubscribeRequest) error {
	if req.Params.URI != InboxURI {
		return nil
	}
	w := &s.inbox
	w.mu.Lock()
	if w.subs > 0 {
		w.subs--
	}
	var cancel context.CancelFunc
	var done chan struct{}
	if w.subs == 0 && w.cancel != nil {
		cancel, done = w.cancel, w.done
		w.cancel, w.done = nil, nil
	}
	w.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	return nil
}

// stopAll ends the watcher when the server stops.
func (w *inboxWatch) stopAll() {
	w.mu.Lock()
	cancel, done := w.cancel, w.done
	w.cancel, w.done, w.subs = nil, nil, 0
	w.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// rpcError gives a resource request's failure a JSON-RPC error code
// (a plain error would go out with code 0).
func rpcError(code int64, err error) error {
	return &jsonrpc.Error{Code: code, Message: err.Error()}
}

// watchInbox peeks at the inbox with long daemon waits, each returning
// only mail newer than what it has already announced.
func (s *Server) watchInbox(ctx context.Context) {
	select {
	case <-s.named:
	case <-ctx.Done():
		return
	}
	c, err := s.me(ctx)
	if err != nil {
		return
	}
	// seen is what is already announced: the inbox's cursor of the name
	// the server acts as, read again whenever that name changes.
	seen := func() uint64 {
		if res, err := c.Check(ctx, protocol.CheckRequest{Peek: true, Limit: 1000}); err == nil {
			return res.Through
		}
		return 0
	}
	changes := s.nameChanges()
	after := seen()
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		wctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-changes:
				cancel() // the wait in flight is the old name's
			case <-wctx.Done():
			}
		}()
		res, err := c.Wait(wctx, protocol.WaitRequest{
			CheckRequest: protocol.CheckRequest{Peek: true, Limit: 100},
			TimeoutMS:    protocol.MaxWaitMS,
			After:        after,
		})
		cancel()
		if ctx.Err() != nil {
			return
		}
		select {
		case <-changes:
			// Another name: its own inbox, its own cursor.
			changes = s.nameChanges()
			after = seen()
			continue
		default:
		}
		if err != nil {
			s.log.Debug("inbox watch", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-changes:
				// Registered again (the name taken back, say): watch
				// at once, not after the back-off.
				changes = s.nameChanges()
				after = seen()
				backoff = 100 * time.Millisecond
				continue
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 30*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		if len(res.Messages) == 0 {
			continue
		}
		after = res.Through
		if err := s.mcp.ResourceUpdated(ctx, &mcp.ResourceUpdatedNotificationParams{URI: InboxURI}); err != nil {
			s.log.Debug("resource updated notification", "err", err)
		}
	}
}
