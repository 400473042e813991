package store

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// The writer goroutine owns the open transaction. It takes the calls
// waiting at a moment, applies them to the open transaction, writes their
// redo entries to the log as one record (pwrite, no fsync) and goes on
// with the next calls at once; the calls wait in the pending queue. The
// syncer goroutine makes the log durable: it syncs everything written when
// it starts (fdatasync writes out all of the file's dirty pages) and then
// answers every call up to the last record that sync covered, in order.
// While it waits for the disk, the writer applies and writes what arrives
// meanwhile, which the next sync takes as one group: the groups form by
// themselves, and no call waits for stragglers. Nobody is answered before
// what their call wrote, or read, is on disk: a read that saw writes not
// yet synced waits with them.
//
// Writes the log cannot carry (register, rename, sweep, ...) and
// checkpoints first wait until everything written is synced (quiesce),
// then commit the open transaction with a synced bbolt commit.

// syncers is how many fdatasyncs of the log may be under way at once. The
// code allows more than one (each sync covers what was written before it
// began, so overlapping syncs stay correct), but on the development VM two
// made the groups smaller and the fsyncs, at about 60 us of kernel CPU
// each, more numerous: less throughput than one (docs/performance.md).
const syncers = 1

// When the open transaction is checkpointed: after this long, when its log
// records pass walCheckpointBytes, or when no write came for checkpointIdle.
const (
	checkpointAge  = 250 * time.Millisecond
	checkpointIdle = 10 * time.Millisecond
)

// group is calls answered together once the log is on disk up to lsn.
type group struct {
	lsn     uint64
	ops     []*op
	results []error
	writes  int
}

func (g *group) add(o *op, err error) {
	g.ops = append(g.ops, o)
	g.results = append(g.results, err)
}

func (g *group) answer() {
	for i, o := range g.ops {
		o.done <- g.results[i]
	}
}

func answer(ops []*op, err error) {
	err = wrapStorage(err)
	for _, o := range ops {
		o.done <- err
	}
}

func (s *Store) writer() {
	defer close(s.done)
	s.syncWG.Add(syncers)
	for range syncers {
		go s.syncer()
	}
	idle := time.NewTimer(time.Hour)
	idle.Stop()
	for {
		var idleC <-chan time.Time
		if s.tx != nil && !s.limits.manualCheckpoints {
			idle.Reset(checkpointIdle)
			idleC = idle.C
		}
		select {
		case o := <-s.ops:
			s.handle(o)
		drain:
			for range s.maxBatch {
				select {
				case o := <-s.ops:
					s.handle(o)
				default:
					break drain
				}
			}
			s.flush()
		case <-s.failed:
			s.syncFailed()
		case <-idleC:
			s.timed(s.checkpoint)
		case <-s.closing:
			s.shutdown()
			return
		}
		idle.Stop()
		if s.checkpointDue() {
			s.timed(s.checkpoint)
		}
	}
}

// syncer makes the log durable, as the writer writes it.
func (s *Store) syncer() {
	defer s.syncWG.Done()
	for {
		select {
		case <-s.kick:
		case <-s.stopSync:
			return
		}
		for {
			s.pmu.Lock()
			upTo := s.written
			if upTo <= s.claimed || s.syncErr != nil {
				s.pmu.Unlock()
				break
			}
			s.claimed = upTo
			s.syncing++
			s.pmu.Unlock()
			// Another syncer may start on what is written meanwhile.
			s.kickSync()

			start := time.Now()
			err := s.wal.sync()
			s.commitNS.Add(int64(time.Since(start)))

			s.pmu.Lock()
			s.syncing--
			if err != nil {
				if s.syncErr == nil {
					s.syncErr = err
					select {
					case s.failed <- struct{}{}:
					default:
					}
				}
				s.pcond.Broadcast()
				s.pmu.Unlock()
				break
			}
			s.durable = max(s.durable, upTo)
			n := 0
			for n < len(s.pending) && s.pending[n].lsn <= s.durable {
				n++
			}
			done := append([]*group(nil), s.pending[:n]...)
			s.pending = s.pending[n:]
			s.pcond.Broadcast()
			s.pmu.Unlock()
			if len(done) > 0 {
				s.commits.Add(1)
			}
			for _, g := range done {
				s.writes.Add(uint64(g.writes))
				g.answer()
			}
		}
	}
}

func (s *Store) kickSync() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// quiesce waits until everything written to the log is on disk, and no
// syncer is inside fdatasync. It returns a sync's error.
func (s *Store) quiesce() error {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	for (s.durable < s.written || s.syncing > 0) && s.syncErr == nil {
		s.kickSync()
		s.pcond.Wait()
	}
	for s.syncing > 0 {
		s.pcond.Wait()
	}
	return s.syncErr
}

// shutdown finishes what is queued (Close holds no more enqueuers),
// checkpoints and stops the syncers.
func (s *Store) shutdown() {
	stopSyncers := func() {
		close(s.stopSync)
		s.syncWG.Wait()
	}
	if s.abandon {
		// As a crash would: nothing more is synced or checkpointed.
		stopSyncers()
		s.pmu.Lock()
		pending := s.pending
		s.pending = nil
		s.pmu.Unlock()
		for _, g := range pending {
			answer(g.ops, ErrClosed)
		}
		answer(s.cur.ops, ErrClosed)
		if s.tx != nil {
			_ = s.tx.Rollback()
			s.tx = nil
		}
		return
	}
	defer stopSyncers()
	for {
		select {
		case o := <-s.ops:
			s.handle(o)
			continue
		default:
		}
		break
	}
	s.flush()
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

func (s *Store) checkpointDue() bool {
	return s.tx != nil && !s.limits.manualCheckpoints &&
		(s.wal.off >= walCheckpointBytes || time.Since(s.txSince) >= checkpointAge)
}

// handle applies one call: a logged write or a read to the open
// transaction, joining the current group; anything else is held for
// flushSlow.
func (s *Store) handle(o *op) {
	if s.broken != nil {
		o.done <- s.broken
		return
	}
	if o.view == nil && o.lfn == nil {
		s.slow = append(s.slow, o)
		return
	}
	if len(s.slow) > 0 {
		s.flush() // in order
	}
	if o.view != nil {
		if s.tx == nil {
			o.done <- errViewDirect
			return
		}
		s.cur.add(o, o.view(s.tx))
		return
	}
	if s.tx == nil {
		tx, err := s.db.Begin(true)
		if err != nil {
			o.done <- err
			return
		}
		s.tx, s.txSince = tx, time.Now()
	}
	r := &s.redo
	mark, bound := len(r.buf), r.bound
	r.unlogged = false
	err := o.lfn(s.tx, r)
	var perr *protocol.Error
	if err != nil && !errors.As(err, &perr) {
		// The open transaction may hold part of this write. Start it over
		// from the log, then run the current calls again one by one.
		s.cur.add(o, err)
		s.retryCurrent()
		return
	}
	if err != nil {
		r.buf, r.bound = r.buf[:mark], bound
	}
	s.cur.add(o, err)
	s.cur.writes++
	if r.unlogged {
		s.needCommit = true
	}
}

// flush makes the current group durable: as one record in the log, or,
// when it wrote what the log cannot carry or the file is near its size
// cap, by a synced commit. Then it commits the held writes the log cannot
// carry.
func (s *Store) flush() {
	over := s.limits.MaxBytes > 0 && len(s.redo.buf) > 0 &&
		s.fileBytes+s.txBound+s.redo.bound > s.limits.MaxBytes
	switch {
	case len(s.cur.ops) == 0:
	case s.needCommit || over:
		// Near the cap the log would let the file outgrow it by what it
		// holds; the commit is made under the cap.
		s.commitCurrent(s.limits.MaxBytes)
	default:
		s.writeCurrent()
	}
	if len(s.slow) > 0 {
		ops := s.slow
		s.slow = nil
		if err := s.checkpoint(); err != nil {
			answer(ops, err)
			return
		}
		s.commit(ops)
	}
}

// writeCurrent writes the current group's entries to the log and hands
// the group to the syncers.
func (s *Store) writeCurrent() {
	g := &group{ops: s.cur.ops, results: s.cur.results, writes: s.cur.writes}
	buf, bound := s.redo.buf, s.redo.bound
	s.cur = group{}
	s.redo.buf, s.redo.bound = s.redo.buf[:0], 0
	if len(buf) > 0 {
		if err := s.wal.write(buf); err != nil {
			// Nothing of g counts as written; the open transaction holds
			// its writes, so it is rebuilt from the log.
			if rerr := s.recoverAfterQuiesce(); rerr != nil {
				err = errors.Join(err, rerr)
			}
			answer(g.ops, err)
			return
		}
		s.txRecords++
		s.txBound += bound
		s.dirty.Store(true)
	}
	g.lsn = s.wal.lsn
	s.pmu.Lock()
	s.written = g.lsn
	if g.lsn <= s.durable && s.syncing == 0 && len(s.pending) == 0 {
		// Only reads and refusals of what is on disk already.
		s.pmu.Unlock()
		s.writes.Add(uint64(g.writes))
		g.answer()
		return
	}
	s.pending = append(s.pending, g)
	s.pmu.Unlock()
	s.kickSync()
}

// commitCurrent commits the open transaction, with the current group in
// it, under maxSize, once the log is synced, and answers the group.
func (s *Store) commitCurrent(maxSize int64) {
	s.needCommit = false
	s.redo.buf, s.redo.bound = s.redo.buf[:0], 0
	if err := s.quiesce(); err != nil {
		s.syncFailed()
		return
	}
	if err := s.commitTx(maxSize); err != nil {
		s.retryCurrent()
		return
	}
	s.commits.Add(1)
	s.checkpoints.Add(1)
	s.writes.Add(uint64(s.cur.writes))
	s.cur.answer()
	s.cur = group{}
}

// syncFailed answers everything not yet on disk with the sync's error and
// rebuilds the open transaction from what the log holds on disk.
func (s *Store) syncFailed() {
	s.pmu.Lock()
	for s.syncing > 0 {
		s.pcond.Wait()
	}
	err := s.syncErr
	pending := s.pending
	s.pending = nil
	s.pmu.Unlock()
	if err == nil {
		return
	}
	for _, g := range pending {
		answer(g.ops, err)
	}
	answer(s.cur.ops, err)
	s.cur = group{}
	s.redo.buf, s.redo.bound, s.needCommit = s.redo.buf[:0], 0, false
	s.pmu.Lock()
	s.syncErr = nil
	s.written = s.durable
	s.claimed = s.durable
	s.pmu.Unlock()
	_ = s.recover()
}

// retryCurrent drops the open transaction, which may hold part of a
// failed write, rebuilds it from the log, and runs the current group's
// calls again one by one, committed the normal way.
func (s *Store) retryCurrent() {
	ops := s.cur.ops
	s.cur = group{}
	s.redo.buf, s.redo.bound, s.needCommit = s.redo.buf[:0], 0, false
	if err := s.recoverAfterQuiesce(); err != nil {
		answer(ops, err)
		return
	}
	for _, o := range ops {
		if o.view != nil {
			o.done <- errViewDirect
			continue
		}
		s.commit([]*op{o})
	}
}

// recoverAfterQuiesce waits for the syncers, then recovers.
func (s *Store) recoverAfterQuiesce() error {
	if err := s.quiesce(); err != nil {
		s.syncFailed()
		if s.broken != nil {
			return s.broken
		}
		return err
	}
	return s.recover()
}

// checkpoint commits the open transaction, if any, with a synced commit
// once the log is synced: what it holds was acknowledged, so the size cap
// does not apply. The current group must be empty (flush first).
func (s *Store) checkpoint() error {
	if s.tx == nil {
		return nil
	}
	if err := s.quiesce(); err != nil {
		s.syncFailed()
		return s.broken
	}
	if s.txRecords == 0 && len(s.cur.ops) == 0 {
		// Only refused writes ran in it: nothing to keep.
		_ = s.tx.Rollback()
		s.tx = nil
		s.dirty.Store(false)
		return nil
	}
	if err := s.commitTx(0); err != nil {
		s.retryCurrent()
		return s.broken
	}
	s.commits.Add(1)
	s.checkpoints.Add(1)
	s.writes.Add(uint64(s.cur.writes))
	s.cur.answer()
	s.cur = group{}
	return nil
}

// commitTx commits the open transaction with a synced commit under
// maxSize (0: no cap), recording that it holds the log up to its last
// record, and starts a new log cycle. The log must be quiesced.
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

// recover drops the open transaction and rebuilds the database's state
// from the log: every record synced is applied and checkpointed. If that
// fails too, the store answers every later call with the error; a restart
// replays the log. The log must be quiesced.
func (s *Store) recover() error {
	if s.tx != nil {
		_ = s.tx.Rollback()
		s.tx = nil
	}
	s.pmu.Lock()
	upTo := s.durable
	s.pmu.Unlock()
	if _, err := s.wal.replay(s.db, upTo); err != nil {
		s.broken = fmt.Errorf("the message store failed to write and could not recover (restart the daemon; nothing acknowledged is lost): %w", err)
		return s.broken
	}
	s.pmu.Lock()
	s.written, s.durable, s.claimed = s.wal.lsn, s.wal.lsn, s.wal.lsn
	s.pmu.Unlock()
	s.checkpoints.Add(1)
	s.checkpointed()
	return nil
}

// errAbort marks a batch that must be retried op by op.
var errAbort = errors.New("abort batch")

// commit runs writes in one synced bbolt commit, as update describes, and
// answers checkpoint requests. There must be no open transaction.
func (s *Store) commit(batch []*op) {
	results := make([]error, len(batch))
	writes := 0
	for _, o := range batch {
		if o.isWrite() {
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
	case errors.Is(err, syscall.ENOSPC):
		return protocol.Errorf(protocol.CodeStorageFull,
			"the disk that holds the message store is full; free space there (read and acknowledge mail, let old read mail expire, or delete other files)")
	}
	return err
}
