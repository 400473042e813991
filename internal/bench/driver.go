package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// driver holds the bench's clients: one per name, each with its own
// kept-alive connections, as separate AI clients would have.
type driver struct {
	socket string
	secret func() ([]byte, error)
	prefix string
	// retryLimited makes a rate-limited send wait as told and try again
	// (a running daemon keeps its limits); the retries are counted.
	retryLimited bool
	limited      atomic.Int64
	// meterCPU has throughput runs take the CPU time of this process and,
	// if daemonPID is set, of the daemon process.
	meterCPU  bool
	daemonPID int

	mu      sync.Mutex
	clients map[string]*client.Client
}

func newDriver(socket string, secret func() ([]byte, error), retryLimited bool) *driver {
	b := make([]byte, 3)
	rand.Read(b)
	return &driver{
		socket: socket, secret: secret, retryLimited: retryLimited,
		prefix:  "bench-" + hex.EncodeToString(b) + "-",
		clients: map[string]*client.Client{},
	}
}

// as returns the client registered as prefix+short, registering it first.
func (dr *driver) as(ctx context.Context, short string) (*client.Client, error) {
	name := dr.prefix + short
	dr.mu.Lock()
	c, ok := dr.clients[name]
	dr.mu.Unlock()
	if ok {
		return c, nil
	}
	c = client.New(client.Options{Socket: dr.socket, Secret: dr.secret})
	if _, err := c.Register(ctx, name, false); err != nil {
		c.Close()
		return nil, fmt.Errorf("register %s: %w", name, err)
	}
	dr.mu.Lock()
	dr.clients[name] = c
	dr.mu.Unlock()
	return c, nil
}

func (dr *driver) name(short string) string { return dr.prefix + short }

// close acknowledges whatever the bench left unread (on a running daemon
// nothing should linger as unread mail), ends the sessions and drops the
// connections.
func (dr *driver) close(ctx context.Context, drain bool) {
	dr.mu.Lock()
	defer dr.mu.Unlock()
	for _, c := range dr.clients {
		if drain {
			if u, err := c.Whoami(ctx); err == nil && u.Unread > 0 {
				for {
					r, err := c.Check(ctx, protocol.CheckRequest{Limit: 1000, Peek: true})
					if err != nil || r.Through == 0 {
						break
					}
					if _, err := c.Ack(ctx, r.Through); err != nil || !r.More {
						break
					}
				}
			}
			_ = c.Logout(ctx)
		}
		c.Close()
	}
	dr.clients = map[string]*client.Client{}
}

// send sends one message, waiting out rate limits when told to. took is
// how long the attempt that succeeded took: a rate-limited wait is not
// the daemon's latency.
func (dr *driver) send(ctx context.Context, c *client.Client, to, content string) (r protocol.SendResponse, took time.Duration, err error) {
	for {
		t := time.Now()
		r, err = c.Send(ctx, protocol.SendRequest{To: to, Content: content})
		took = time.Since(t)
		var pe *protocol.Error
		if err == nil || !dr.retryLimited || !errors.As(err, &pe) || pe.Code != protocol.CodeRateLimited {
			return r, took, err
		}
		dr.limited.Add(1)
		wait := 10 * time.Millisecond
		if v, ok := pe.Details["retry_after_ms"].(float64); ok && v > 0 {
			wait = time.Duration(v) * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return r, took, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// content is a message body of size bytes.
func content(size int) string {
	const line = "the quick brown fox jumps over the lazy dog; "
	return strings.Repeat(line, size/len(line)+1)[:max(size, 1)]
}
