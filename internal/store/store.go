// Package store owns the bbolt database: identities, names and their
// forwarding, per-recipient inboxes with read cursors, and the schema
// version. It is the only package that touches the database file.
//
// Writes go through one writer goroutine that commits every write waiting
// at that moment in a single transaction (group commit): each caller is
// answered only after the shared fsync, so concurrent senders share the cost
// of durability without any being acknowledged early. When the writers of
// the last commit are likely on their way back, the writer waits for them
// briefly (never longer than a commit takes) so that batches do not split. Reads run in their
// own read transactions and never hold one across a wait.
package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/ipcd/ipcd/internal/clock"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// ErrLocked means another process holds the database: a second daemon on
// the same data dir.
var ErrLocked = errors.New("the database is locked by another process (is another ipcd running on this data dir?)")

// ErrClosed is returned by calls made after Close.
var ErrClosed = errors.New("the store is closed")

// ErrNewerSchema means the file was written by a newer ipcd.
var ErrNewerSchema = errors.New("the database was written by a newer ipcd")

// Options configure a Store. Zero values take the defaults.
type Options struct {
	// LockTimeout bounds the wait for the file lock (default 1s).
	LockTimeout time.Duration
	// MaxBytes caps the database file; writes past it fail with
	// storage_full. Zero means no cap.
	MaxBytes int64
	// MaxBatch caps how many writes share one transaction (default 512).
	MaxBatch int
	// Clock is the source of now (default the wall clock).
	Clock clock.Clock
	// NoSync skips fsync; only for benchmarks that measure everything else.
	NoSync bool
	// MaxInbox is the most unread messages an inbox holds (default 10,000).
	MaxInbox int
	// MaxPendingPerSender is how many names nobody has registered one
	// sender may have mail waiting for (default 100).
	MaxPendingPerSender int
}

// Defaults of Options.
const (
	DefaultMaxInbox            = 10000
	DefaultMaxPendingPerSender = 100
)

// Store is an open database.
type Store struct {
	db     *bolt.DB
	path   string
	clock  clock.Clock
	limits Options

	ops      chan *op
	maxBatch int

	closeOnce sync.Once
	closing   chan struct{}
	done      chan struct{}
	mu        sync.RWMutex // held for reading while enqueueing, for writing to close
	closed    bool

	commits, writes    atomic.Uint64
	commitNS, lingerNS atomic.Int64
}

// Stats count the group commit's work since Open.
type Stats struct {
	// Commits is how many write transactions reached the disk.
	Commits uint64
	// Writes is how many writes (sends, acks, ...) they carried.
	Writes uint64
	// CommitTime is the time spent committing (writing and fsync).
	CommitTime time.Duration
	// LingerTime is the time spent waiting for a batch's stragglers.
	LingerTime time.Duration
}

// Stats returns the group commit's counters: Writes/Commits is how many
// writes shared each fsync.
func (s *Store) Stats() Stats {
	return Stats{
		Commits: s.commits.Load(), Writes: s.writes.Load(),
		CommitTime: time.Duration(s.commitNS.Load()), LingerTime: time.Duration(s.lingerNS.Load()),
	}
}

// op is one write waiting for the writer goroutine.
type op struct {
	fn   func(tx *bolt.Tx) error
	done chan error
}

// Open opens or creates the database at path (mode 0600), migrating its
// schema to the current version.
func Open(path string, opts Options) (*Store, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 512
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.MaxInbox <= 0 {
		opts.MaxInbox = DefaultMaxInbox
	}
	if opts.MaxPendingPerSender <= 0 {
		opts.MaxPendingPerSender = DefaultMaxPendingPerSender
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        opts.LockTimeout,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		MaxSize:        int(opts.MaxBytes),
		NoSync:         opts.NoSync,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.Update(migrate); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	s := &Store{
		db:       db,
		path:     path,
		clock:    opts.Clock,
		limits:   opts,
		ops:      make(chan *op, 4096),
		maxBatch: opts.MaxBatch,
		closing:  make(chan struct{}),
		done:     make(chan struct{}),
	}
	go s.writer()
	return s, nil
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Size returns the database file's size in bytes.
func (s *Store) Size() int64 {
	var n int64
	_ = s.db.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n
}

// Close waits for queued writes to commit and closes the file.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.closing)
		<-s.done
	})
	return s.db.Close()
}

// update runs fn in a write transaction shared with other writes waiting at
// the same moment, and returns once that transaction is on disk. fn must
// not write anything before it has decided to succeed: an fn that returns a
// *protocol.Error is answered with it while the others still commit. Any
// other error from fn aborts the shared transaction, after which each fn is
// run again in a transaction of its own, so fn must also be safe to run twice.
func (s *Store) update(fn func(tx *bolt.Tx) error) error {
	o := &op{fn: fn, done: make(chan error, 1)}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	s.ops <- o
	s.mu.RUnlock()
	return <-o.done
}

func (s *Store) writer() {
	defer close(s.done)
	batch := make([]*op, 0, s.maxBatch)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	expect, lastCommit := 1, time.Duration(0)
	for {
		var first *op
		select {
		case first = <-s.ops:
		case <-s.closing:
			// Close holds no more enqueuers; finish what is queued.
			for {
				select {
				case o := <-s.ops:
					s.commit([]*op{o})
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	drain:
		for len(batch) < s.maxBatch {
			select {
			case o := <-s.ops:
				batch = append(batch, o)
			default:
				break drain
			}
		}
		if len(batch) < expect {
			// The writers answered by the last commit are likely on their
			// way back with their next write. Without a short wait for them
			// the batch splits in two that take turns, each writer waits
			// for two fsyncs instead of one, and throughput halves. A lone
			// writer (expect 1) never waits.
			waitStart := time.Now()
			linger.Reset(lingerFor(lastCommit))
		wait:
			for len(batch) < expect {
				select {
				case o := <-s.ops:
					batch = append(batch, o)
				case <-linger.C:
					break wait
				case <-s.closing:
					break wait
				}
			}
			linger.Stop()
			s.lingerNS.Add(int64(time.Since(waitStart)))
		}
		start := time.Now()
		s.commit(batch)
		lastCommit = time.Since(start)
		s.commitNS.Add(int64(lastCommit))
		// Expect the writers just answered back, plus those that queued
		// up during the commit: each writer has one write in flight, so
		// these are different writers.
		expect = min(len(batch)+len(s.ops), s.maxBatch)
	}
}

// lingerFor bounds the wait for a batch's stragglers by what a commit
// costs: waiting never costs more than the extra commit it saves them.
func lingerFor(commit time.Duration) time.Duration {
	return min(max(commit, 100*time.Microsecond), 5*time.Millisecond)
}

// errAbort marks a batch that must be retried op by op.
var errAbort = errors.New("abort batch")

func (s *Store) commit(batch []*op) {
	results := make([]error, len(batch))
	err := s.db.Update(func(tx *bolt.Tx) error {
		for i, o := range batch {
			results[i] = o.fn(tx)
			var perr *protocol.Error
			if results[i] != nil && !errors.As(results[i], &perr) {
				if len(batch) == 1 {
					return results[i]
				}
				return errAbort
			}
		}
		return nil
	})
	switch {
	case err == nil:
		s.commits.Add(1)
		s.writes.Add(uint64(len(batch)))
		for i, o := range batch {
			o.done <- results[i]
		}
	case errors.Is(err, errAbort):
		for _, o := range batch {
			o.done <- wrapStorage(s.db.Update(o.fn))
		}
	default:
		err = wrapStorage(err)
		for _, o := range batch {
			o.done <- err
		}
	}
}

// wrapStorage turns the size cap into its error code.
func wrapStorage(err error) error {
	if errors.Is(err, berrors.ErrMaxSizeReached) {
		return protocol.Errorf(protocol.CodeStorageFull,
			"the message store is full (its size cap is reached); read and acknowledge mail or raise --max-db-size")
	}
	return err
}
