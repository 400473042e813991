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

// op is one call waiting for the writer goroutine: exactly one of fn, lfn
// and view is set, or none for a checkpoint request.
type op struct {
	// fn is a write made durable by a bbolt commit.
	fn func(tx *bolt.Tx) error
	// lfn is a write that records itself in r, made durable by the log
	// (r is nil when it runs in a transaction committed the normal way).
	lfn func(tx *bolt.Tx, r *redo) error
	// view is a read of the open transaction.
	view func(tx *bolt.Tx) error
	done chan error
}

func (o *op) isWrite() bool { return o.fn != nil || o.lfn != nil }

// apply runs a write in tx.
func (o *op) apply(tx *bolt.Tx, r *redo) error {
	if o.fn != nil {
		return o.fn(tx)
	}
	return o.lfn(tx, r)
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

// update runs fn in a write transaction shared with other writes waiting at
// the same moment, and returns once that transaction is on disk. fn must
// not write anything before it has decided to succeed: an fn that returns a
// *protocol.Error is answered with it while the others still commit. Any
// other error from fn aborts the shared transaction, after which each fn is
// run again in a transaction of its own, so fn must also be safe to run twice.
func (s *Store) update(fn func(tx *bolt.Tx) error) error {
	return s.enqueue(&op{fn: fn, done: make(chan error, 1)})
}

// logged is update for writes that the write-ahead log can carry: fn
// records each write it makes in r (which may be nil: then it runs in a
// transaction committed the normal way), or calls r.markUnlogged before
// writing anything else. The same rules as update's apply.
func (s *Store) logged(fn func(tx *bolt.Tx, r *redo) error) error {
	return s.enqueue(&op{lfn: fn, done: make(chan error, 1)})
}

// errViewDirect tells a reader that nothing is waiting in the log: it
// reads in a transaction of its own.
var errViewDirect = errors.New("store: read the database directly")

// view runs fn in a read transaction that sees every acknowledged write.
func (s *Store) view(fn func(tx *bolt.Tx) error) error {
	if s.dirty.Load() {
		err := s.enqueue(&op{view: fn, done: make(chan error, 1)})
		if !errors.Is(err, errViewDirect) {
			return err
		}
	}
	return s.db.View(fn)
}

func (s *Store) enqueue(o *op) error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	s.ops <- o
	s.mu.RUnlock()
	return <-o.done
}

// When the open transaction is checkpointed: after this long, when its log
// records pass walCheckpointBytes, or when no write came for checkpointIdle.
const (
	checkpointAge  = 250 * time.Millisecond
	checkpointIdle = 10 * time.Millisecond
)

func (s *Store) writer() {
	defer close(s.done)
	batch := make([]*op, 0, s.maxBatch)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	idle := time.NewTimer(time.Hour)
	idle.Stop()
	expect, lastCommit := 1, time.Duration(0)
	for {
		var first *op
		var idleC <-chan time.Time
		if s.tx != nil && !s.limits.manualCheckpoints {
			idle.Reset(checkpointIdle)
			idleC = idle.C
		}
		select {
		case first = <-s.ops:
		case <-idleC:
			s.timed(s.checkpoint)
			continue
		case <-s.closing:
			s.shutdown()
			return
		}
		idle.Stop()
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
		s.process(batch)
		lastCommit = time.Since(start)
		s.commitNS.Add(int64(lastCommit))
		if s.checkpointDue() {
			s.timed(s.checkpoint)
		}
		// Expect the writers just answered back, plus those that queued
		// up during the commit: each writer has one write in flight, so
		// these are different writers.
		expect = min(len(batch)+len(s.ops), s.maxBatch)
	}
}

// shutdown finishes what is queued (Close holds no more enqueuers) and
// checkpoints.
func (s *Store) shutdown() {
	if s.abandon {
		if s.tx != nil {
			_ = s.tx.Rollback()
			s.tx = nil
		}
		return
	}
	for {
		select {
		case o := <-s.ops:
			s.process([]*op{o})
			continue
		default:
		}
		break
	}
	if err := s.checkpoint(); err != nil {
		s.closeErr = err
		return
	}
	s.closeErr = s.wal.clear()
}

func (s *Store) timed(fn func() error) {
	start := time.Now()
	_ = fn()
	s.commitNS.Add(int64(time.Since(start)))
}

// lingerFor bounds the wait for a batch's stragglers by what a commit
// costs: waiting never costs more than the extra commit it saves them.
func lingerFor(commit time.Duration) time.Duration {
	return min(max(commit, 100*time.Microsecond), 5*time.Millisecond)
}

func (s *Store) checkpointDue() bool {
	return s.tx != nil && !s.limits.manualCheckpoints && (s.wal.off >= walCheckpointBytes || time.Since(s.txSince) >= checkpointAge)
}

func answer(batch []*op, err error) {
	err = wrapStorage(err)
	for _, o := range batch {
		o.done <- err
	}
}

// process makes one batch durable and answers its callers.
func (s *Store) process(batch []*op) {
	if s.broken != nil {
		answer(batch, s.broken)
		return
	}
	logging := true
	for _, o := range batch {
		if o.fn != nil || (o.lfn == nil && o.view == nil) {
			logging = false
			break
		}
	}
	if logging {
		s.commitLogged(batch)
		return
	}
	// A write the log cannot carry, or a checkpoint request: the logged
	// writes before it are checkpointed first, so that the log only ever
	// holds what follows the database's state.
	if err := s.checkpoint(); err != nil {
		answer(batch, err)
		return
	}
	s.commit(batch)
}

// commitLogged applies a batch of logged writes and reads to the open
// transaction and appends the writes to the log.
func (s *Store) commitLogged(batch []*op) {
	if s.tx == nil {
		writes := false
		for _, o := range batch {
			writes = writes || o.isWrite()
		}
		if !writes {
			answer(batch, errViewDirect)
			return
		}
		tx, err := s.db.Begin(true)
		if err != nil {
			answer(batch, err)
			return
		}
		s.tx, s.txSince = tx, time.Now()
	}
	r := &s.batchRedo
	r.buf, r.bound, r.unlogged = r.buf[:0], 0, false
	results := make([]error, len(batch))
	writes := 0
	for i, o := range batch {
		if o.view != nil {
			results[i] = o.view(s.tx)
			continue
		}
		writes++
		mark, bound := len(r.buf), r.bound
		err := o.lfn(s.tx, r)
		var perr *protocol.Error
		if err != nil && !errors.As(err, &perr) {
			// The open transaction may hold part of this write. Start it
			// over from the log, then run the batch write by write.
			if err := s.recover(); err != nil {
				answer(batch, err)
				return
			}
			s.commitEach(batch)
			return
		}
		if err != nil {
			r.buf, r.bound = r.buf[:mark], bound
		}
		results[i] = err
	}
	over := s.limits.MaxBytes > 0 && s.fileBytes+s.txBound+r.bound > s.limits.MaxBytes
	switch {
	case r.unlogged || (over && len(r.buf) > 0):
		// Durable by a synced commit instead, under the size cap: near the
		// cap the log would let the file outgrow it by what it holds.
		if err := s.commitTx(s.limits.MaxBytes); err != nil {
			// The failed commit took the acknowledged writes with it;
			// they come back from the log.
			if err := s.recover(); err != nil {
				answer(batch, err)
				return
			}
			s.commitEach(batch)
			return
		}
		s.commits.Add(1)
		s.checkpoints.Add(1)
	case len(r.buf) > 0:
		if err := s.wal.append(r.buf); err != nil {
			if rerr := s.recover(); rerr != nil {
				err = errors.Join(err, rerr)
			}
			answer(batch, err)
			return
		}
		s.txRecords++
		s.txBound += r.bound
		s.dirty.Store(true)
		s.commits.Add(1)
	}
	s.writes.Add(uint64(writes))
	for i, o := range batch {
		o.done <- results[i]
	}
}

// commitEach commits a batch write by write, the normal way.
func (s *Store) commitEach(batch []*op) {
	for _, o := range batch {
		s.commit([]*op{o})
	}
}

// commitTx commits the open transaction with a synced commit under
// maxSize (0: no cap), recording that it holds the log up to its last
// record, and starts a new log cycle.
func (s *Store) commitTx(maxSize int64) error {
	tx := s.tx
	s.tx = nil
	if err := tx.Bucket(bMeta).Put(kWALLSN, key(s.wal.lsn)); err != nil {
		_ = tx.Rollback()
		return err
	}
	saved := s.db.MaxSize
	s.db.MaxSize = int(maxSize)
	err := tx.Commit()
	s.db.MaxSize = saved
	if err != nil {
		return err
	}
	s.checkpointed()
	return nil
}

// checkpointed resets the log cycle after a commit that holds all of it.
func (s *Store) checkpointed() {
	s.wal.restart()
	s.txRecords, s.txBound = 0, 0
	s.dirty.Store(false)
	s.fileBytes = s.Size()
	dropMapped(s.db, s.fileBytes)
}

// checkpoint commits the open transaction, if any, with a synced commit:
// what it holds was acknowledged, so the size cap does not apply.
func (s *Store) checkpoint() error {
	if s.tx == nil {
		return nil
	}
	if s.txRecords == 0 {
		// Only refused writes ran in it: nothing to keep.
		_ = s.tx.Rollback()
		s.tx = nil
		s.dirty.Store(false)
		return nil
	}
	if err := s.commitTx(0); err != nil {
		return s.recover()
	}
	s.commits.Add(1)
	s.checkpoints.Add(1)
	return nil
}

// recover drops the open transaction and rebuilds the database's state
// from the log: every record written and synced is applied and
// checkpointed. If that fails too, the store answers every later call with
// the error; a restart replays the log.
func (s *Store) recover() error {
	if s.tx != nil {
		_ = s.tx.Rollback()
		s.tx = nil
	}
	if _, err := s.wal.replay(s.db, s.wal.lsn); err != nil {
		s.broken = fmt.Errorf("the message store failed to write and could not recover (restart the daemon; nothing acknowledged is lost): %w", err)
		return s.broken
	}
	s.checkpoints.Add(1)
	s.checkpointed()
	return nil
}

// errAbort marks a batch that must be retried op by op.
var errAbort = errors.New("abort batch")

// commit runs a batch's writes in one synced bbolt commit. Reads are sent
// to read on their own, checkpoint requests answered (the checkpoint came
// first).
func (s *Store) commit(batch []*op) {
	results := make([]error, len(batch))
	writes := 0
	for i, o := range batch {
		switch {
		case o.view != nil:
			results[i] = errViewDirect
		case o.isWrite():
			writes++
		}
	}
	var err error
	if writes > 0 {
		err = s.db.Update(func(tx *bolt.Tx) error {
			for i, o := range batch {
				if !o.isWrite() {
					continue
				}
				results[i] = o.apply(tx, nil)
				var perr *protocol.Error
				if results[i] != nil && !errors.As(results[i], &perr) {
					if writes == 1 {
						return results[i]
					}
					return errAbort
				}
			}
			return nil
		})
	}
	switch {
	case err == nil:
		if writes > 0 {
			s.commits.Add(1)
			s.writes.Add(uint64(writes))
			s.fileBytes = s.Size()
		}
		for i, o := range batch {
			o.done <- results[i]
		}
	case errors.Is(err, errAbort):
		for i, o := range batch {
			if !o.isWrite() {
				o.done <- results[i]
				continue
			}
			o.done <- wrapStorage(s.db.Update(func(tx *bolt.Tx) error { return o.apply(tx, nil) }))
		}
	default:
		err = wrapStorage(err)
		for i, o := range batch {
			if !o.isWrite() {
				o.done <- results[i]
				continue
			}
			o.done <- err
		}
	}
}

// wrapStorage turns the size cap, and a full disk, into their error code.
func wrapStorage(err error) error {
	switch {
	case errors.Is(err, berrors.ErrMaxSizeReached):
		return protocol.Errorf(protocol.CodeStorageFull,
			"the message store is full (its size cap is reached); read and acknowledge mail or raise --max-db-size")
	case IsDiskFull(err):
		return protocol.Errorf(protocol.CodeStorageFull,
			"the disk that holds the message store is full; free space there (read and acknowledge mail, let old read mail expire, or delete other files)")
	}
	return err
}
