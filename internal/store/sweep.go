package store

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// SweepPolicy says what the retention sweeper removes.
type SweepPolicy struct {
	// ReadRetention is how long acknowledged mail is kept, counted from
	// when it was sent.
	ReadRetention time.Duration
	// PendingRetention is how long mail for a name nobody has registered
	// is kept; its senders are told when it expires.
	PendingRetention time.Duration
	// MaxDeletes bounds one call's transaction (default 2000); the result
	// says whether more is left.
	MaxDeletes int
}

// SweepResult says what a sweep removed.
type SweepResult struct {
	ReadDeleted    int
	PendingExpired int
	NamesRemoved   int // unregistered names whose mail all expired
	AliasesEnded   int // old names whose forwarding ended
	// Files are large-message files of deleted mail, for the caller to
	// remove once the deletion is on disk.
	Files []string
	// Notified are the names that got a system note (mail they sent
	// expired unread), for the caller to wake their waits.
	Notified []string
	More     bool
}

// Sweep removes mail past its retention and forwarding that has ended.
func (s *Store) Sweep(p SweepPolicy) (SweepResult, error) {
	if p.MaxDeletes <= 0 {
		p.MaxDeletes = 2000
	}
	now := s.clock.Now()
	var res SweepResult
	err := s.update(func(tx *bolt.Tx) error {
		res = SweepResult{}
		var recs []identityRecord
		err := tx.Bucket(bIdentities).ForEach(func(k, v []byte) error {
			var rec identityRecord
			err := decode(k, v, &rec)
			recs = append(recs, rec)
			return err
		})
		if err != nil {
			return err
		}
		budget := p.MaxDeletes
		for _, rec := range recs {
			if budget <= 0 {
				res.More = true
				break
			}
			var n int
			if rec.Registered {
				n, err = sweepRead(tx, rec, now.Add(-p.ReadRetention), budget, &res)
				res.ReadDeleted += n
			} else {
				n, err = sweepPending(tx, rec, now, now.Add(-p.PendingRetention), budget, &res)
				res.PendingExpired += n
			}
			if err != nil {
				return err
			}
			budget -= n
		}
		return endAliases(tx, now, &res)
	})
	return res, err
}

// sweepRead deletes acknowledged mail sent before cutoff, oldest first.
func sweepRead(tx *bolt.Tx, rec identityRecord, cutoff time.Time, budget int, res *SweepResult) (int, error) {
	cur := cursor(tx, rec.ID)
	old, err := oldMail(tx, rec.ID, cutoff, cur, budget)
	if err != nil {
		return 0, err
	}
	for _, m := range old {
		if err := deleteMessage(tx, rec.ID, m, res); err != nil {
			return 0, err
		}
	}
	return len(old), nil
}

// sweepPending expires mail for an unregistered name. The cursor moves
// past what expires so the unread count stays true, each sender gets a
// system note, and a name left with no mail is removed.
func sweepPending(tx *bolt.Tx, rec identityRecord, now, cutoff time.Time, budget int, res *SweepResult) (int, error) {
	mb := tx.Bucket(bMail).Bucket(key(rec.ID))
	old, err := oldMail(tx, rec.ID, cutoff, mb.Sequence(), budget)
	if err != nil || len(old) == 0 {
		return 0, err
	}
	perSender := map[uint64]int{}
	for _, m := range old {
		if err := deleteMessage(tx, rec.ID, m, res); err != nil {
			return 0, err
		}
		perSender[m.FromID]++
	}
	if err := tx.Bucket(bCursors).Put(key(rec.ID), key(old[len(old)-1].Seq)); err != nil {
		return 0, err
	}
	for sender, n := range perSender {
		name, err := noteExpiry(tx, sender, rec.Name, n, now)
		if err != nil {
			return 0, err
		}
		if name != "" {
			res.Notified = append(res.Notified, name)
		}
	}
	if k, _ := mb.Cursor().First(); k == nil {
		res.NamesRemoved++
		if err := deleteIdentity(tx, rec); err != nil {
			return 0, err
		}
	}
	return len(old), nil
}

// oldMail lists up to budget messages sent before cutoff with a seq at
// most upTo, oldest first. Seqs grow with time, so it stops at the first
// message new enough to keep.
func oldMail(tx *bolt.Tx, id uint64, cutoff time.Time, upTo uint64, budget int) ([]stored, error) {
	var out []stored
	c := tx.Bucket(bMail).Bucket(key(id)).Cursor()
	for k, v := c.First(); k != nil && u64(k) <= upTo && len(out) < budget; k, v = c.Next() {
		var m stored
		if err := decode(k, v, &m); err != nil {
			return nil, err
		}
		if !m.SentAt.Before(cutoff) {
			break
		}
		out = append(out, m)
	}
	return out, nil
}

func deleteMessage(tx *bolt.Tx, owner uint64, m stored, res *SweepResult) error {
	if err := tx.Bucket(bMail).Bucket(key(owner)).Delete(key(m.Seq)); err != nil {
		return err
	}
	if m.File != "" {
		res.Files = append(res.Files, m.File)
	}
	return tx.Bucket(bIndex).Delete(key(m.ID))
}

// noteExpiry tells a sender that mail it sent expired unread, and returns
// the sender's name ("" if there was nobody to tell).
func noteExpiry(tx *bolt.Tx, sender uint64, to string, n int, now time.Time) (string, error) {
	if sender == 0 {
		return "", nil
	}
	rec, err := loadIdentity(tx, sender)
	if err != nil {
		return "", nil // the sender is gone; nobody to tell
	}
	note := fmt.Sprintf("%d message(s) you sent to %s expired unread: nobody registered that name in time.", n, to)
	_, err = deliver(tx, rec, stored{Message: protocol.Message{
		Kind: protocol.KindSystem, From: protocol.SystemName, Content: note, SentAt: now, Size: len(note),
	}}, nil)
	return rec.Name, err
}

// endAliases removes old names whose forwarding window has passed.
func endAliases(tx *bolt.Tx, now time.Time, res *SweepResult) error {
	var ended [][]byte
	err := tx.Bucket(bNames).ForEach(func(k, v []byte) error {
		var nr nameRecord
		if err := decode(k, v, &nr); err != nil {
			return err
		}
		if !nr.ForwardUntil.IsZero() && !now.Before(nr.ForwardUntil) {
			ended = append(ended, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range ended {
		if err := tx.Bucket(bNames).Delete(k); err != nil {
			return err
		}
	}
	res.AliasesEnded = len(ended)
	return nil
}
