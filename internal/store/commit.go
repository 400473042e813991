package store

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/ipcd/ipcd/pkg/protocol"
)

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
