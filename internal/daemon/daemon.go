// Package daemon is the ipcd server: the HTTP/1.1+JSON API of
// docs/protocol.md with its one route table and one error writer, the
// long-poll waiters that wake on a send, presence, the watch event stream,
// the retention sweeper and status. It sits on internal/store and
// internal/auth and serves whatever listeners it is handed.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipcd/ipcd/internal/auth"
	"github.com/ipcd/ipcd/internal/paths"
	"github.com/ipcd/ipcd/internal/store"
)

// Daemon is a running ipcd.
type Daemon struct {
	cfg      Config
	log      *slog.Logger
	store    *store.Store
	nonces   *auth.Nonces
	sessions *auth.Sessions
	sends    *auth.RateLimiter
	badProof *auth.RateLimiter
	waiters  *waiters
	presence *presence
	events   *events
	uid      int
	started  time.Time
	handler  http.Handler

	sent, delivered, rejected atomic.Uint64

	stopOnce sync.Once
	stopping chan struct{} // closed when shutdown begins: waits return

	askOnce sync.Once
	asked   chan struct{} // closed when an operator asks the daemon to stop
}

// ErrOpenWithTCP refuses open mode together with a TCP listener.
var ErrOpenWithTCP = errors.New("open mode (no secret) cannot be combined with a TCP listener: anyone who can reach the port could read all mail")

// New opens the store in cfg.DataDir (compacting it first if it is mostly
// free space) and returns a daemon ready to Serve.
func New(cfg Config) (*Daemon, error) {
	cfg.setDefaults()
	if cfg.Secret == nil && !cfg.Open {
		return nil, errors.New("start daemon: no secret given and open mode not asked for")
	}
	if cfg.Open && cfg.Listen != "" {
		return nil, ErrOpenWithTCP
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	dbPath := filepath.Join(cfg.DataDir, paths.DBFile)
	if compacted, err := store.CompactIfSparse(dbPath, store.CompactPolicy{}); err != nil {
		return nil, err
	} else if compacted {
		cfg.Logger.Info("compacted the database", "path", dbPath)
	}
	st, err := store.Open(dbPath, store.Options{
		MaxBytes:            cfg.Limits.MaxDBBytes,
		Clock:               cfg.Clock,
		NoSync:              cfg.NoSync,
		MaxInbox:            cfg.Limits.MaxInbox,
		MaxPendingPerSender: cfg.Limits.MaxPendingPerSender,
	})
	if err != nil {
		return nil, err
	}
	if n := st.Stats().Replayed; n > 0 {
		cfg.Logger.Warn("the daemon did not stop cleanly: replayed acknowledged writes from the write-ahead log", "records", n, "path", store.WALPath(dbPath))
	}
	d := &Daemon{
		cfg:      cfg,
		log:      cfg.Logger,
		store:    st,
		nonces:   auth.NewNonces(cfg.Clock, cfg.NonceTTL, 1024),
		sessions: auth.NewSessions(cfg.Clock, cfg.Limits.SessionIdle),
		sends:    auth.NewRateLimiter(cfg.Clock, cfg.Limits.SendRate, cfg.Limits.SendBurst),
		badProof: auth.NewRateLimiter(cfg.Clock, 5, 20),
		waiters:  newWaiters(),
		presence: newPresence(),
		events:   newEvents(),
		uid:      os.Getuid(),
		started:  cfg.Clock.Now(),
		stopping: make(chan struct{}),
		asked:    make(chan struct{}),
	}
	d.handler = d.routes()
	return d, nil
}

// Handler is the daemon's HTTP API, for tests that bring their own server.
func (d *Daemon) Handler() http.Handler { return d.handler }

// Serve answers on every listener until ctx is done, then shuts down
// gracefully: waits return at once, requests in flight finish (a send in
// flight is committed and answered), and last-seen times are written.
// It does not close the store; Close does.
func (d *Daemon) Serve(ctx context.Context, lns ...net.Listener) error {
	cl := d.cfg.Conns.withDefaults()
	gates := newConnGates(cl.MaxConns, d.log, d.cfg.Clock)
	srv := &http.Server{
		Handler:           d.handler,
		ReadHeaderTimeout: cl.HeaderTimeout,
		ReadTimeout:       cl.RequestTimeout, // bounds a body that never ends
		IdleTimeout:       cl.IdleTimeout,
		MaxHeaderBytes:    16 << 10,
		// "OPTIONS *" goes to the handler too, and meets the browser check.
		DisableGeneralOptionsHandler: true,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, peerKey{}, auth.PeerOf(c))
		},
		ConnState: gates.track,
		ErrorLog:  slog.NewLogLogger(d.log.Handler(), slog.LevelDebug),
	}
	var bg sync.WaitGroup
	bgCtx, stopBG := context.WithCancel(context.Background())
	bg.Go(func() { d.sweepLoop(bgCtx) })
	bg.Go(func() { d.flushLoop(bgCtx) })

	errc := make(chan error, len(lns))
	for _, ln := range lns {
		go func() { errc <- srv.Serve(gates.wrap(ln)) }()
	}
	var err error
	select {
	case <-ctx.Done():
	case <-d.asked:
		d.log.Info("stopping: an operator asked (ipcd stop)")
	case err = <-errc:
	}
	d.beginStop()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if serr := srv.Shutdown(shutdownCtx); serr != nil {
		// A request still running (a slow backup reader, say) would hold
		// its read transaction, and with it the store's close, for ever.
		d.log.Warn("shutdown did not finish in time; closing the connections left", "err", serr)
		srv.Close()
	}
	stopBG()
	bg.Wait()
	d.flushPresence()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func (d *Daemon) beginStop() { d.stopOnce.Do(func() { close(d.stopping) }) }

// Close writes last-seen times and closes the store.
func (d *Daemon) Close() error {
	d.beginStop()
	d.flushPresence()
	return d.store.Close()
}

func (d *Daemon) sweepLoop(ctx context.Context) {
	t := time.NewTicker(d.cfg.SweepInterval)
	defer t.Stop()
	for {
		d.Sweep()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep runs retention once: read mail and mail for never-registered names
// past their retention, forwarding that has ended, expired sessions.
func (d *Daemon) Sweep() {
	d.sessions.Sweep()
	for {
		res, err := d.store.Sweep(store.SweepPolicy{
			ReadRetention:    d.cfg.Limits.ReadRetention,
			PendingRetention: d.cfg.Limits.PendingRetention,
		})
		if err != nil {
			d.log.Error("retention sweep", "err", err)
			return
		}
		for _, f := range res.Files {
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				d.log.Warn("remove large-message file", "path", f, "err", err)
			}
		}
		for _, name := range res.Notified {
			d.waiters.notify(name) // a wait wakes for the expiry note
		}
		if n := res.ReadDeleted + res.PendingExpired + res.AliasesEnded; n > 0 {
			d.log.Info("retention sweep", "read_deleted", res.ReadDeleted, "pending_expired", res.PendingExpired,
				"names_removed", res.NamesRemoved, "forwarding_ended", res.AliasesEnded)
		}
		if !res.More {
			return
		}
	}
}

func (d *Daemon) flushLoop(ctx context.Context) {
	t := time.NewTicker(d.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.flushPresence()
		}
	}
}

func (d *Daemon) flushPresence() {
	if err := d.store.Touch(d.presence.takeDirty()); err != nil && !errors.Is(err, store.ErrClosed) {
		d.log.Warn("write last-seen times", "err", err)
	}
}
