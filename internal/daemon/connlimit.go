package daemon

import (
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/ipcd/ipcd/internal/clock"
)

// ConnLimits bound the connections of each listener, so that no client,
// however many connections it opens or however slowly it writes, can use
// up the daemon's file descriptors or keep others from being served.
// Zero values take the defaults.
type ConnLimits struct {
	// MaxConns is the most connections one listener holds open at once
	// (default 1024). At the cap, the connection that has been idle the
	// longest (never sent a request, or between requests) is closed to
	// make room for the new one; when every connection is busy with a
	// request, the new one is closed instead. A TCP flood therefore never
	// crowds out clients of the Unix socket, which has its own cap.
	MaxConns int
	// HeaderTimeout bounds reading a request's headers (default 5s):
	// slow headers (slowloris) are cut off.
	HeaderTimeout time.Duration
	// RequestTimeout bounds reading a whole request, body included
	// (default 60s): a body that never ends is cut off.
	RequestTimeout time.Duration
	// IdleTimeout closes a kept-alive connection with no request for this
	// long (default 2m; clients keep idle connections for less).
	IdleTimeout time.Duration
}

// DefaultMaxConns is the default of ConnLimits.MaxConns.
const DefaultMaxConns = 1024

func (c ConnLimits) withDefaults() ConnLimits {
	if c.MaxConns <= 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.HeaderTimeout <= 0 {
		c.HeaderTimeout = 5 * time.Second
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 60 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 2 * time.Minute
	}
	return c
}

// connGates caps the connections of each listener of one http.Server.
// The server's ConnState hook reports every state change; a connection
// counts against its listener from Accept until it is closed.
type connGates struct {
	max   int
	log   *slog.Logger
	clock clock.Clock

	mu       sync.Mutex
	tick     uint64
	conns    map[net.Conn]*gatedConn
	open     map[*gatedListener]int
	lastWarn time.Time
}

type gatedConn struct {
	ln    *gatedListener
	state http.ConnState
	tick  uint64 // when it entered its state: the oldest idle one goes first
}

type gatedListener struct {
	net.Listener
	gates *connGates
}

func newConnGates(max int, log *slog.Logger, clk clock.Clock) *connGates {
	return &connGates{max: max, log: log, clock: clk,
		conns: map[net.Conn]*gatedConn{}, open: map[*gatedListener]int{}}
}

// wrap returns ln with its connections capped.
func (g *connGates) wrap(ln net.Listener) net.Listener {
	return &gatedListener{Listener: ln, gates: g}
}

// Accept hands the server the raw connection (peer credentials are read
// from its concrete type), after making room for it or closing it.
func (l *gatedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.gates.admit(l, c) {
			return c, nil
		}
		c.Close()
	}
}

func (g *connGates) admit(ln *gatedListener, c net.Conn) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open[ln] >= g.max {
		victim := g.idlest(ln)
		if victim == nil {
			g.warn("a listener is at its connection cap and every connection is busy; refusing a new one",
				"max_conns", g.max, "addr", ln.Addr().String())
			return false
		}
		g.warn("a listener is at its connection cap; closing the connection idle longest",
			"max_conns", g.max, "addr", ln.Addr().String())
		g.forget(victim)
		victim.Close()
	}
	g.tick++
	g.conns[c] = &gatedConn{ln: ln, state: http.StateNew, tick: g.tick}
	g.open[ln]++
	return true
}

// idlest is ln's connection that never sent a request and has waited
// longest, else the one idle longest between requests, else nil.
func (g *connGates) idlest(ln *gatedListener) net.Conn {
	var best net.Conn
	var bestConn *gatedConn
	for c, gc := range g.conns {
		if gc.ln != ln || (gc.state != http.StateNew && gc.state != http.StateIdle) {
			continue
		}
		if bestConn == nil || before(gc, bestConn) {
			best, bestConn = c, gc
		}
	}
	return best
}

// before orders eviction candidates: never-used connections first, then
// the one longest in its state.
func before(a, b *gatedConn) bool {
	if (a.state == http.StateNew) != (b.state == http.StateNew) {
		return a.state == http.StateNew
	}
	return a.tick < b.tick
}

func (g *connGates) forget(c net.Conn) {
	if gc, ok := g.conns[c]; ok {
		delete(g.conns, c)
		g.open[gc.ln]--
	}
}

// track is the server's ConnState hook.
func (g *connGates) track(c net.Conn, s http.ConnState) {
	g.mu.Lock()
	defer g.mu.Unlock()
	gc, ok := g.conns[c]
	if !ok {
		return // evicted already, or not from a gated listener
	}
	switch s {
	case http.StateClosed, http.StateHijacked:
		g.forget(c)
	default:
		g.tick++
		gc.state, gc.tick = s, g.tick
	}
}

// warn logs at most once a minute: a flood must not also flood the log.
func (g *connGates) warn(msg string, args ...any) {
	now := g.clock.Now()
	if now.Sub(g.lastWarn) < time.Minute && !g.lastWarn.IsZero() {
		return
	}
	g.lastWarn = now
	g.log.Warn(msg, args...)
}
