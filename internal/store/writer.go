package store

import (
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

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
