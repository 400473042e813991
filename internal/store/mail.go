package store

import (
	"encoding/json"
	"errors"
	"runtime"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// stored is a message as it lies in an inbox. FromID lets a sender fetch
// its own message after it has renamed.
type stored struct {
	protocol.Message
	FromID uint64 `json:"from_id,omitempty"`
}

// SendParams describe one message.
type SendParams struct {
	From    string
	To      string
	Content string
	ReplyTo uint64
	Data    json.RawMessage
	// File is where the daemon already wrote a large message's content.
	File string
}

// SendResult is an accepted message.
type SendResult struct {
	Message protocol.Message
	// Pending is true when nobody has registered the name yet.
	Pending bool
	// SenderUnread is the sender's own unread mail count.
	SenderUnread int
}

// Send stores one message and returns once it is on disk. Mail to a name
// nobody has registered waits for them; mail to an old name within its
// forwarding window reaches the new one.
func (s *Store) Send(p SendParams) (SendResult, error) {
	if err := protocol.ValidateName(p.To); err != nil {
		return SendResult{}, err
	}
	now := s.clock.Now()
	var res SendResult
	err := s.logged(func(tx *bolt.Tx, w *redo) error {
		// Every check comes before the first write (see update).
		from, err := mustResolve(tx, p.From, now)
		if err != nil {
			return err
		}
		if err := checkReplyTo(tx, p.ReplyTo); err != nil {
			return err
		}
		r, ok, err := resolve(tx, p.To, now)
		if err != nil {
			return err
		}
		if !ok && pendingCount(tx, from.ID) >= s.limits.MaxPendingPerSender {
			return protocol.Errorf(protocol.CodeTooManyPending,
				"you have sent mail to %d names nobody has registered yet, the most allowed; check the spelling of %q",
				s.limits.MaxPendingPerSender, p.To)
		}
		if ok {
			if n := unread(tx, r.rec.ID); n >= s.limits.MaxInbox {
				return inboxFull(r.rec.Name, n)
			}
		}
		to := r.rec
		if !ok {
			w.markUnlogged()
			if to, err = createIdentity(tx, p.To, false, from.ID, now); err != nil {
				return err
			}
		}
		m := stored{Message: protocol.Message{
			Kind: protocol.KindMessage, From: from.Name, Content: p.Content, SentAt: now,
			ReplyTo: p.ReplyTo, Data: p.Data, Size: len(p.Content), File: p.File,
		}, FromID: from.ID}
		if r.viaAlias {
			m.SentTo = p.To
		}
		res.Message, err = deliver(tx, to, m, w)
		res.Pending = !to.Registered
		res.SenderUnread = unread(tx, from.ID)
		return err
	})
	return res, err
}

func inboxFull(name string, n int) *protocol.Error {
	return protocol.Errorf(protocol.CodeInboxFull,
		"%s has %d unread messages, the most an inbox holds; try again once they have read some", name, n).
		WithDetail("recipient", name).WithDetail("unread", n)
}

func checkReplyTo(tx *bolt.Tx, id uint64) error {
	if id != 0 && id > tx.Bucket(bMeta).Sequence() {
		return protocol.Errorf(protocol.CodeInvalidArgument, "reply_to names message %d, which does not exist", id)
	}
	return nil
}

// appendFill is how full bbolt packs a page it splits in a bucket that
// only grows at its end (bbolt.MaxFillPercent).
const appendFill = 1.0

// deliver appends m to to's inbox, giving it a message id and a seq, and
// records the write in w.
func deliver(tx *bolt.Tx, to identityRecord, m stored, w *redo) (protocol.Message, error) {
	id, err := tx.Bucket(bMeta).NextSequence()
	if err != nil {
		return protocol.Message{}, err
	}
	mb := tx.Bucket(bMail).Bucket(key(to.ID))
	seq, err := mb.NextSequence()
	if err != nil {
		return protocol.Message{}, err
	}
	m.ID, m.Seq, m.To = id, seq, to.Name
	// Inboxes and the index only grow at their end: full pages on split
	// (bbolt's default leaves them half empty) halve the file and the
	// pages a commit writes.
	mb.FillPercent = appendFill
	raw, err := json.Marshal(m)
	if err != nil {
		return protocol.Message{}, err
	}
	if err := mb.Put(key(seq), raw); err != nil {
		return protocol.Message{}, err
	}
	idx := tx.Bucket(bIndex)
	idx.FillPercent = appendFill
	if err := idx.Put(key(id), append(key(to.ID), key(seq)...)); err != nil {
		return protocol.Message{}, err
	}
	w.deliver(to.ID, seq, id, raw)
	return m.Message, nil
}

// Target is one recipient of a broadcast.
type Target struct {
	ID   uint64
	Name string
	// File is where the daemon wrote this copy's large content, if any.
	File string
}

// BroadcastTargets returns every registered identity except the sender.
func (s *Store) BroadcastTargets(from string) ([]Target, error) {
	now := s.clock.Now()
	var out []Target
	err := s.view(func(tx *bolt.Tx) error {
		sender, err := mustResolve(tx, from, now)
		if err != nil {
			return err
		}
		out, err = targets(tx, sender.ID)
		return err
	})
	return out, err
}

func targets(tx *bolt.Tx, except uint64) ([]Target, error) {
	var out []Target
	err := tx.Bucket(bIdentities).ForEach(func(k, v []byte) error {
		var rec identityRecord
		if err := decode(k, v, &rec); err != nil {
			return err
		}
		if rec.Registered && rec.ID != except {
			out = append(out, Target{ID: rec.ID, Name: rec.Name})
		}
		return nil
	})
	return out, err
}

// BroadcastParams describe a broadcast. With Targets nil, every registered
// identity but the sender gets a copy.
type BroadcastParams struct {
	From    string
	Content string
	Data    json.RawMessage
	Targets []Target
}

// Broadcast puts a copy, each its own message, in every target's inbox. A
// target whose inbox is full is reported in skipped, not dropped silently.
func (s *Store) Broadcast(p BroadcastParams) (sent []protocol.Message, skipped []protocol.Skipped, err error) {
	now := s.clock.Now()
	err = s.logged(func(tx *bolt.Tx, w *redo) error {
		sent, skipped = nil, nil
		from, err := mustResolve(tx, p.From, now)
		if err != nil {
			return err
		}
		tgs := p.Targets
		if tgs == nil {
			if tgs, err = targets(tx, from.ID); err != nil {
				return err
			}
		}
		for _, t := range tgs {
			rec, err := loadIdentity(tx, t.ID)
			if err != nil {
				return err
			}
			if n := unread(tx, rec.ID); n >= s.limits.MaxInbox {
				e := inboxFull(rec.Name, n)
				skipped = append(skipped, protocol.Skipped{To: rec.Name, Code: e.Code, Message: e.Message})
				continue
			}
			m, err := deliver(tx, rec, stored{Message: protocol.Message{
				Kind: protocol.KindMessage, From: from.Name, Content: p.Content, SentAt: now,
				Broadcast: true, Data: p.Data, Size: len(p.Content), File: t.File,
			}, FromID: from.ID}, w)
			if err != nil {
				return err
			}
			sent = append(sent, m)
		}
		return nil
	})
	return sent, skipped, err
}

// Batch is a slice of an inbox.
type Batch struct {
	Messages []protocol.Message
	// Through is the seq of the last message returned.
	Through uint64
	// Unread counts unacknowledged mail, the returned messages included.
	Unread int
	// More is true when mail remains beyond this batch.
	More bool
}

// Fetch returns up to limit unacknowledged messages of name's inbox with a
// seq above after, oldest first. It acknowledges nothing.
func (s *Store) Fetch(name string, after uint64, limit int) (Batch, error) {
	now := s.clock.Now()
	var b Batch
	err := s.view(func(tx *bolt.Tx) error {
		var keys, vals [][]byte
		var err error
		b.Unread, b.More, err = scanInbox(tx, name, after, limit, now, func(k, v []byte) {
			keys, vals = append(keys, k), append(vals, v)
		})
		if err != nil {
			return err
		}
		b.Messages, err = decodeMessages(keys, vals)
		if n := len(b.Messages); n > 0 {
			b.Through = b.Messages[n-1].Seq
		}
		return err
	})
	return b, err
}

// scanInbox calls visit with up to limit unacknowledged messages of
// name's inbox with a seq above after, oldest first, and reports the
// unread count and whether more mail remains. k and v are valid only
// within tx.
func scanInbox(tx *bolt.Tx, name string, after uint64, limit int, now time.Time, visit func(k, v []byte)) (unreadN int, more bool, err error) {
	rec, err := mustResolve(tx, name, now)
	if err != nil {
		return 0, false, err
	}
	mb := tx.Bucket(bMail).Bucket(key(rec.ID))
	start := max(cursor(tx, rec.ID), after) + 1
	n := 0
	c := mb.Cursor()
	for k, v := c.Seek(key(start)); k != nil; k, v = c.Next() {
		if n == limit {
			return unread(tx, rec.ID), true, nil
		}
		visit(k, v)
		n++
	}
	return unread(tx, rec.ID), false, nil
}

// decodeMessages decodes stored messages in order. JSON decoding is most
// of what a large check costs, so a long run is split over the CPUs; the
// slices stay within the caller's transaction, which outlives the work.
func decodeMessages(keys, vals [][]byte) ([]protocol.Message, error) {
	out := make([]protocol.Message, len(keys))
	one := func(i int) error {
		var m stored
		if err := decode(keys[i], vals[i], &m); err != nil {
			return err
		}
		out[i] = m.Message
		return nil
	}
	const chunk = 128
	workers := min(runtime.GOMAXPROCS(0), (len(keys)+chunk-1)/chunk)
	if workers <= 1 {
		for i := range keys {
			if err := one(i); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(keys); i += workers {
				if err := one(i); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// Ack acknowledges name's mail up to and including seq through and
// returns the unread count and how many messages this call acknowledged.
// Acknowledging what is already acknowledged writes nothing.
func (s *Store) Ack(name string, through uint64) (left, acked int, err error) {
	now := s.clock.Now()
	var need bool
	err = s.view(func(tx *bolt.Tx) error {
		rec, err := mustResolve(tx, name, now)
		if err != nil {
			return err
		}
		need = through > cursor(tx, rec.ID)
		left = unread(tx, rec.ID)
		return nil
	})
	if err != nil || !need {
		return left, 0, err
	}
	err = s.logged(func(tx *bolt.Tx, w *redo) error {
		rec, err := mustResolve(tx, name, now)
		if err != nil {
			return err
		}
		cur := cursor(tx, rec.ID)
		last := tx.Bucket(bMail).Bucket(key(rec.ID)).Sequence()
		through := min(through, last)
		left, acked = int(last-max(cur, through)), 0
		if through <= cur {
			return nil
		}
		acked = int(through - cur)
		if err := tx.Bucket(bCursors).Put(key(rec.ID), key(through)); err != nil {
			return err
		}
		w.cursor(rec.ID, through)
		return nil
	})
	return left, acked, err
}

// History returns name's acknowledged mail, newest first: up to limit
// messages with a seq below before (0: from the newest).
func (s *Store) History(name string, before uint64, limit int) ([]protocol.Message, error) {
	now := s.clock.Now()
	var out []protocol.Message
	err := s.view(func(tx *bolt.Tx) error {
		rec, err := mustResolve(tx, name, now)
		if err != nil {
			return err
		}
		top := cursor(tx, rec.ID)
		if before != 0 && before-1 < top {
			top = before - 1
		}
		c := tx.Bucket(bMail).Bucket(key(rec.ID)).Cursor()
		k, v := c.Seek(key(top))
		if k == nil || u64(k) > top {
			k, v = c.Prev()
		}
		for ; k != nil && len(out) < limit; k, v = c.Prev() {
			var m stored
			if err := decode(k, v, &m); err != nil {
				return err
			}
			out = append(out, m.Message)
		}
		return nil
	})
	return out, err
}

// Message returns one message by id, to its recipient or its sender.
func (s *Store) Message(name string, id uint64) (protocol.Message, error) {
	now := s.clock.Now()
	var out protocol.Message
	err := s.view(func(tx *bolt.Tx) error {
		rec, err := mustResolve(tx, name, now)
		if err != nil {
			return err
		}
		notFound := protocol.Errorf(protocol.CodeNotFound, "no message %d in your inbox or among what you sent", id)
		loc := tx.Bucket(bIndex).Get(key(id))
		if len(loc) != 16 {
			return notFound
		}
		owner := u64(loc[:8])
		mb := tx.Bucket(bMail).Bucket(loc[:8])
		if mb == nil {
			return notFound
		}
		var m stored
		ok, err := getJSON(mb, loc[8:], &m)
		if err != nil {
			return err
		}
		if !ok || (owner != rec.ID && m.FromID != rec.ID) {
			return notFound
		}
		out = m.Message
		return nil
	})
	return out, err
}

// Unread returns name's unread count and the seq of its newest message.
func (s *Store) Unread(name string) (n int, last uint64, err error) {
	now := s.clock.Now()
	err = s.view(func(tx *bolt.Tx) error {
		rec, err := mustResolve(tx, name, now)
		if err != nil {
			return err
		}
		n = unread(tx, rec.ID)
		last = tx.Bucket(bMail).Bucket(key(rec.ID)).Sequence()
		return nil
	})
	return n, last, err
}
