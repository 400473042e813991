package store

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// resolved is a name looked up at a moment in time.
type resolved struct {
	rec identityRecord
	// viaAlias is true when the name is an old one forwarding to rec.Name.
	viaAlias     bool
	forwardUntil time.Time
}

// resolve looks a name up. An old name whose forwarding has ended counts
// as unknown (the sweeper deletes it later).
func resolve(tx *bolt.Tx, name string, now time.Time) (resolved, bool, error) {
	var nr nameRecord
	raw := tx.Bucket(bNames).Get([]byte(name))
	if raw == nil {
		return resolved{}, false, nil
	}
	if err := nameCache.decode([]byte(name), raw, &nr); err != nil {
		return resolved{}, false, err
	}
	if !nr.ForwardUntil.IsZero() && !now.Before(nr.ForwardUntil) {
		return resolved{}, false, nil
	}
	rec, err := loadIdentity(tx, nr.ID)
	if err != nil {
		return resolved{}, false, err
	}
	return resolved{rec: rec, viaAlias: !nr.ForwardUntil.IsZero(), forwardUntil: nr.ForwardUntil}, true, nil
}

func loadIdentity(tx *bolt.Tx, id uint64) (identityRecord, error) {
	var rec identityRecord
	k := key(id)
	raw := tx.Bucket(bIdentities).Get(k)
	if raw == nil {
		return rec, fmt.Errorf("identity %d: missing record", id)
	}
	return rec, identityCache.decode(k, raw, &rec)
}

func saveIdentity(tx *bolt.Tx, rec identityRecord) error {
	return putJSON(tx.Bucket(bIdentities), key(rec.ID), rec)
}

// createIdentity makes a new identity holding name, with an empty inbox.
func createIdentity(tx *bolt.Tx, name string, registered bool, createdBy uint64, now time.Time) (identityRecord, error) {
	ids := tx.Bucket(bIdentities)
	id, err := ids.NextSequence()
	if err != nil {
		return identityRecord{}, err
	}
	rec := identityRecord{ID: id, Name: name, Registered: registered, CreatedAt: now}
	if registered {
		rec.RegisteredAt = now
		rec.LastSeen = now
	} else {
		rec.CreatedBy = createdBy
		if createdBy != 0 {
			if err := addPending(tx, createdBy, 1); err != nil {
				return rec, err
			}
		}
	}
	if _, err := tx.Bucket(bMail).CreateBucket(key(id)); err != nil {
		return rec, err
	}
	if err := putJSON(tx.Bucket(bNames), []byte(name), nameRecord{ID: id}); err != nil {
		return rec, err
	}
	return rec, saveIdentity(tx, rec)
}

// addPending adjusts how many unregistered names a sender has created.
func addPending(tx *bolt.Tx, sender uint64, delta int64) error {
	b := tx.Bucket(bPendingBy)
	n := int64(u64(b.Get(key(sender)))) + delta
	if n <= 0 {
		return b.Delete(key(sender))
	}
	return b.Put(key(sender), key(uint64(n)))
}

func pendingCount(tx *bolt.Tx, sender uint64) int {
	return int(u64(tx.Bucket(bPendingBy).Get(key(sender))))
}

// unread is the number of unacknowledged messages in an inbox: seqs are
// dense and unread mail is never deleted, so it is last seq minus cursor.
func unread(tx *bolt.Tx, id uint64) int {
	mb := tx.Bucket(bMail).Bucket(key(id))
	if mb == nil {
		return 0
	}
	return int(mb.Sequence() - cursor(tx, id))
}

func cursor(tx *bolt.Tx, id uint64) uint64 {
	return u64(tx.Bucket(bCursors).Get(key(id)))
}

// RegisterResult describes a registration.
type RegisterResult struct {
	Name string
	// Unread counts the waiting mail, including mail that arrived before
	// the name was ever registered.
	Unread int
	// New is true when the name had never been registered before.
	New bool
}

// Register makes name a registered identity: a new one, one that mail was
// already waiting for, or an existing one coming back. Whether a live
// session holds the name is the daemon's business, not the store's.
func (s *Store) Register(name string) (RegisterResult, error) {
	if err := protocol.ValidateName(name); err != nil {
		return RegisterResult{}, err
	}
	now := s.clock.Now()
	var res RegisterResult
	err := s.update(func(tx *bolt.Tx) error {
		res = RegisterResult{Name: name}
		r, ok, err := resolve(tx, name, now)
		if err != nil {
			return err
		}
		if ok && r.viaAlias {
			return protocol.Errorf(protocol.CodeNameTaken,
				"%q was renamed to %q; the old name forwards there until %s, and cannot be registered before then",
				name, r.rec.Name, r.forwardUntil.Format(time.RFC3339)).
				WithDetail("renamed_to", r.rec.Name).WithDetail("forward_until", r.forwardUntil)
		}
		if !ok {
			rec, err := createIdentity(tx, name, true, 0, now)
			res.New = true
			res.Unread = unread(tx, rec.ID)
			return err
		}
		rec := r.rec
		if !rec.Registered {
			res.New = true
			if rec.CreatedBy != 0 {
				if err := addPending(tx, rec.CreatedBy, -1); err != nil {
					return err
				}
			}
			rec.Registered, rec.RegisteredAt, rec.CreatedBy = true, now, 0
		}
		rec.LastSeen = now
		res.Unread = unread(tx, rec.ID)
		return saveIdentity(tx, rec)
	})
	return res, err
}

// IdentityInfo is an identity as list shows it, without presence (the
// daemon knows who is waiting right now).
type IdentityInfo struct {
	Name          string
	Registered    bool
	LastSeen      time.Time
	Unread        int
	ForwardedFrom []string
	AutoCheck     protocol.AutoCheck
}

// List returns every identity, registered or waiting to be, by name.
func (s *Store) List() ([]IdentityInfo, error) {
	now := s.clock.Now()
	var out []IdentityInfo
	err := s.view(func(tx *bolt.Tx) error {
		aliases := map[uint64][]string{}
		err := tx.Bucket(bNames).ForEach(func(k, v []byte) error {
			var nr nameRecord
			if err := decode(k, v, &nr); err != nil {
				return err
			}
			if !nr.ForwardUntil.IsZero() && now.Before(nr.ForwardUntil) {
				aliases[nr.ID] = append(aliases[nr.ID], string(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bIdentities).ForEach(func(k, v []byte) error {
			var rec identityRecord
			if err := decode(k, v, &rec); err != nil {
				return err
			}
			out = append(out, IdentityInfo{
				Name:          rec.Name,
				Registered:    rec.Registered,
				LastSeen:      rec.LastSeen,
				Unread:        unread(tx, rec.ID),
				ForwardedFrom: aliases[rec.ID],
				AutoCheck:     rec.AutoCheck.view(),
			})
			return nil
		})
	})
	sortInfos(out)
	return out, err
}

// Touch records when identities were last seen. The daemon keeps presence
// in memory and calls this now and then, so a request costs no write.
func (s *Store) Touch(seen map[string]time.Time) error {
	if len(seen) == 0 {
		return nil
	}
	now := s.clock.Now()
	return s.update(func(tx *bolt.Tx) error {
		for name, at := range seen {
			r, ok, err := resolve(tx, name, now)
			if err != nil {
				return err
			}
			if !ok || !r.rec.LastSeen.Before(at) {
				continue
			}
			r.rec.LastSeen = at
			if err := saveIdentity(tx, r.rec); err != nil {
				return err
			}
		}
		return nil
	})
}

// mustResolve finds the registered identity a session acts as.
func mustResolve(tx *bolt.Tx, name string, now time.Time) (identityRecord, error) {
	r, ok, err := resolve(tx, name, now)
	if err != nil {
		return identityRecord{}, err
	}
	if !ok || !r.rec.Registered {
		return identityRecord{}, protocol.Errorf(protocol.CodeSessionExpired,
			"%q is not a registered identity; register again", name)
	}
	return r.rec, nil
}
