// Package store owns the bbolt database: identities, names and their
// forwarding, per-recipient inboxes with read cursors, and the schema
// version. It is the only package that touches the database file and its
// write-ahead log.
//
// Writes go through one writer goroutine that takes every write waiting at
// that moment as one batch (group commit): each caller is answered only
// after the batch is on disk, so concurrent senders share the cost of
// durability without any being acknowledged early. When the writers of
// the last batch are likely on their way back, the writer waits for them
// briefly (never longer than a commit takes) so that batches do not split.
// Sends, broadcasts and acknowledgements are made durable by one append to
// the write-ahead log; every other write by a synced bbolt commit (see
// wal.go). Reads run in their own read transactions, or in the writer's
// open transaction while it holds logged writes, and never hold one across
// a wait.
package store

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/ipcd/ipcd/internal/clock"
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
	// MaxBatch caps how many writes share one commit (default 512).
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

	// manualCheckpoints (tests) checkpoints only when a write needs it,
	// on Checkpoint and on Close: never by age, size or idleness.
	manualCheckpoints bool
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
	abandon   bool  // tests: stop the writer as a crash would, without a checkpoint
	closeErr  error // the last checkpoint's, set by the writer before done

	// Owned by the writer goroutine.
	wal       *wal
	tx        *bolt.Tx  // holds the logged writes since the last checkpoint; nil if none
	txSince   time.Time // when tx was begun
	txRecords int       // log records in tx
	txBound   int64     // how much checkpointing tx may grow the file, at most
	fileBytes int64     // the file's high-water mark at the last commit
	batchRedo redo
	broken    error // a failed write the store could not recover from

	// dirty is set while tx holds logged writes: reads then go through
	// the writer, the only goroutine that can see them.
	dirty atomic.Bool

	commits, writes, checkpoints atomic.Uint64
	commitNS, lingerNS           atomic.Int64
	replayed                     int
}

// Stats count the group commit's work since Open.
type Stats struct {
	// Commits is how many times a batch of writes reached the disk: an
	// append to the write-ahead log or a synced bbolt commit.
	Commits uint64
	// Writes is how many writes (sends, acks, ...) they carried.
	Writes uint64
	// Checkpoints is how many synced bbolt commits moved logged writes
	// into the database file.
	Checkpoints uint64
	// Replayed is how many log records Open found and applied: writes
	// acknowledged before a crash and not yet checkpointed.
	Replayed int
	// CommitTime is the time spent making batches durable (writes and
	// fsync), checkpoints included.
	CommitTime time.Duration
	// LingerTime is the time spent waiting for a batch's stragglers.
	LingerTime time.Duration
}

// Stats returns the group commit's counters: Writes/Commits is how many
// writes shared each fsync.
func (s *Store) Stats() Stats {
	return Stats{
		Commits: s.commits.Load(), Writes: s.writes.Load(), Checkpoints: s.checkpoints.Load(),
		Replayed:   s.replayed,
		CommitTime: time.Duration(s.commitNS.Load()), LingerTime: time.Duration(s.lingerNS.Load()),
	}
}

// Open opens or creates the database at path (mode 0600), migrating its
// schema to the current version, and replays its write-ahead log.
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
	var walID uint64
	err = db.Update(func(tx *bolt.Tx) error {
		if err := migrate(tx); err != nil {
			return err
		}
		walID, err = ensureWALID(tx)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	// The database file's lock, held from here on, covers the log too.
	w, err := openWAL(WALPath(path), walID, opts.NoSync)
	if err != nil {
		db.Close()
		return nil, err
	}
	replayed, err := w.replay(db, math.MaxUint64)
	if err != nil {
		w.close()
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{
		db:        db,
		path:      path,
		clock:     opts.Clock,
		limits:    opts,
		ops:       make(chan *op, 4096),
		maxBatch:  opts.MaxBatch,
		closing:   make(chan struct{}),
		done:      make(chan struct{}),
		wal:       w,
		replayed:  replayed,
		batchRedo: redo{pageSize: int64(db.Info().PageSize)},
	}
	s.fileBytes = s.Size()
	dropMapped(db, s.fileBytes)
	go s.writer()
	return s, nil
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Size returns the database file's size in bytes as of the last checkpoint.
func (s *Store) Size() int64 {
	var n int64
	_ = s.db.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n
}

// Close waits for queued writes, checkpoints the log into the database and
// closes both files.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.closing)
		<-s.done
		s.closeErr = errors.Join(s.closeErr, s.wal.close(), s.db.Close())
	})
	return s.closeErr
}

// Checkpoint moves every logged write into the database file with a
// synced commit; Backup calls it so that the copy holds everything.
func (s *Store) Checkpoint() error {
	return s.enqueue(&op{done: make(chan error, 1)})
}
