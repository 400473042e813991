package store

import (
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// RenameParams describe a rename.
type RenameParams struct {
	Name    string
	NewName string
	// Cooldown is how long after a rename the identity may rename again.
	Cooldown time.Duration
	// Forward is how long the old name keeps forwarding.
	Forward time.Duration
}

// RenameResult describes a done rename.
type RenameResult struct {
	OldName      string
	NewName      string
	ForwardUntil time.Time
	// Notified lists the identities that got a system message about it.
	Notified []string
}

// Rename gives an identity a new name. The old name forwards to the new
// one for p.Forward; mail already waiting for the new name (sent before
// anyone registered it) moves into the identity's inbox; every other
// registered identity gets a system message.
func (s *Store) Rename(p RenameParams) (RenameResult, error) {
	if err := protocol.ValidateName(p.NewName); err != nil {
		return RenameResult{}, err
	}
	now := s.clock.Now()
	var res RenameResult
	err := s.update(func(tx *bolt.Tx) error {
		me, err := mustResolve(tx, p.Name, now)
		if err != nil {
			return err
		}
		if p.NewName == me.Name {
			return protocol.Errorf(protocol.CodeInvalidArgument, "you are already named %q", me.Name)
		}
		if next := me.RenamedAt.Add(p.Cooldown); !me.RenamedAt.IsZero() && now.Before(next) {
			// Rounded up: a client that waits as told is never early.
			wait := next.Sub(now)
			return protocol.Errorf(protocol.CodeRenameCooldown,
				"an identity may rename once an hour; you can rename again in %s", waitText(wait)).
				WithDetail("retry_after_ms", (wait + time.Millisecond - 1).Milliseconds())
		}
		other, taken, err := resolve(tx, p.NewName, now)
		if err != nil {
			return err
		}
		var absorb *identityRecord
		switch {
		case !taken, other.rec.ID == me.ID:
		case !other.rec.Registered && !other.viaAlias:
			absorb = &other.rec
		case other.viaAlias:
			return protocol.Errorf(protocol.CodeNameTaken,
				"%q is an old name of %q and forwards there until %s", p.NewName, other.rec.Name,
				other.forwardUntil.Format(time.RFC3339))
		default:
			return protocol.Errorf(protocol.CodeNameTaken, "%q is registered by another identity", p.NewName)
		}

		res = RenameResult{OldName: me.Name, NewName: p.NewName, ForwardUntil: now.Add(p.Forward)}
		if absorb != nil {
			if err := absorbPending(tx, *absorb, me); err != nil {
				return err
			}
		}
		names := tx.Bucket(bNames)
		if err := putJSON(names, []byte(me.Name), nameRecord{ID: me.ID, ForwardUntil: res.ForwardUntil}); err != nil {
			return err
		}
		if err := putJSON(names, []byte(p.NewName), nameRecord{ID: me.ID}); err != nil {
			return err
		}
		me.Name, me.RenamedAt = p.NewName, now
		if err := saveIdentity(tx, me); err != nil {
			return err
		}
		tgs, err := targets(tx, me.ID)
		if err != nil {
			return err
		}
		note := fmt.Sprintf("%s is now named %s. Mail to %s is forwarded to %s until %s.",
			res.OldName, res.NewName, res.OldName, res.NewName, res.ForwardUntil.Format(time.RFC3339))
		for _, t := range tgs {
			rec, err := loadIdentity(tx, t.ID)
			if err != nil {
				return err
			}
			// System notes ignore the depth limit: they are rare (a rename an
			// hour at most) and dropping one would hide where mail goes.
			if _, err := deliver(tx, rec, stored{Message: protocol.Message{
				Kind: protocol.KindSystem, From: protocol.SystemName, Content: note,
				SentAt: now, Size: len(note),
			}}, nil); err != nil {
				return err
			}
			res.Notified = append(res.Notified, rec.Name)
		}
		return nil
	})
	return res, err
}

// absorbPending moves the mail waiting for an unregistered name into me's
// inbox, in order, and deletes the pending identity.
func absorbPending(tx *bolt.Tx, pending, me identityRecord) error {
	src := tx.Bucket(bMail).Bucket(key(pending.ID))
	var msgs []stored
	err := src.ForEach(func(k, v []byte) error {
		var m stored
		if err := decode(k, v, &m); err != nil {
			return err
		}
		msgs = append(msgs, m)
		return nil
	})
	if err != nil {
		return err
	}
	for _, m := range msgs {
		// Not deliver: it would give a new id, and reply_to names the old.
		mb := tx.Bucket(bMail).Bucket(key(me.ID))
		seq, err := mb.NextSequence()
		if err != nil {
			return err
		}
		m.Seq, m.To = seq, pending.Name
		if err := putJSON(mb, key(seq), m); err != nil {
			return err
		}
		if err := tx.Bucket(bIndex).Put(key(m.ID), append(key(me.ID), key(seq)...)); err != nil {
			return err
		}
	}
	return deleteIdentity(tx, pending)
}

// deleteIdentity removes an identity, its inbox, cursor and current name.
func deleteIdentity(tx *bolt.Tx, rec identityRecord) error {
	if !rec.Registered && rec.CreatedBy != 0 {
		if err := addPending(tx, rec.CreatedBy, -1); err != nil {
			return err
		}
	}
	if err := tx.Bucket(bMail).DeleteBucket(key(rec.ID)); err != nil {
		return err
	}
	if err := tx.Bucket(bCursors).Delete(key(rec.ID)); err != nil {
		return err
	}
	var nr nameRecord
	if ok, err := getJSON(tx.Bucket(bNames), []byte(rec.Name), &nr); err != nil {
		return err
	} else if ok && nr.ID == rec.ID {
		if err := tx.Bucket(bNames).Delete([]byte(rec.Name)); err != nil {
			return err
		}
	}
	return tx.Bucket(bIdentities).Delete(key(rec.ID))
}

// waitText says a wait as people do, rounded up to the second: "1h",
// "59m 30s", "45s".
func waitText(d time.Duration) string {
	d = (d + time.Second - 1).Truncate(time.Second)
	h, m, sec := d/time.Hour, d%time.Hour/time.Minute, d%time.Minute/time.Second
	var parts []string
	if h > 0 {
		parts = append(parts, fmt.Sprintf("%dh", h))
	}
	if m > 0 {
		parts = append(parts, fmt.Sprintf("%dm", m))
	}
	if sec > 0 || len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%ds", sec))
	}
	return strings.Join(parts, " ")
}
