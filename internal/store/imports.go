package store

import (
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// ImportName is a name known to an earlier tool.
type ImportName struct {
	Name     string
	LastSeen time.Time
}

// ImportMessage is unread mail from an earlier tool. Key identifies it so
// importing twice changes nothing.
type ImportMessage struct {
	Key     string
	From    string
	To      string
	Content string
	SentAt  time.Time
	Data    json.RawMessage
	File    string
}

// ImportNames registers names that are not known yet and returns how many
// were new.
func (s *Store) ImportNames(names []ImportName) (int, error) {
	for _, n := range names {
		if err := protocol.ValidateName(n.Name); err != nil {
			return 0, err
		}
	}
	now := s.clock.Now()
	var created int
	err := s.update(func(tx *bolt.Tx) error {
		created = 0
		for _, n := range names {
			if _, ok, err := resolve(tx, n.Name, now); err != nil || ok {
				if err != nil {
					return err
				}
				continue
			}
			rec, err := createIdentity(tx, n.Name, true, 0, now)
			if err != nil {
				return err
			}
			rec.LastSeen = n.LastSeen
			if err := saveIdentity(tx, rec); err != nil {
				return err
			}
			created++
		}
		return nil
	})
	return created, err
}

// ImportMessages delivers messages in order, skipping keys imported
// before, and returns how many were new. The depth limit does not apply:
// this is mail the user already had.
func (s *Store) ImportMessages(msgs []ImportMessage) (int, error) {
	for _, m := range msgs {
		if err := protocol.ValidateName(m.To); err != nil {
			return 0, err
		}
		if m.Key == "" {
			return 0, protocol.Errorf(protocol.CodeInvalidArgument, "an imported message needs a key")
		}
	}
	now := s.clock.Now()
	var imported int
	err := s.update(func(tx *bolt.Tx) error {
		imported = 0
		seen := tx.Bucket(bImports)
		for _, m := range msgs {
			if seen.Get([]byte(m.Key)) != nil {
				continue
			}
			r, ok, err := resolve(tx, m.To, now)
			if err != nil {
				return err
			}
			to := r.rec
			if !ok {
				if to, err = createIdentity(tx, m.To, false, 0, now); err != nil {
					return err
				}
			}
			var fromID uint64
			if f, ok, err := resolve(tx, m.From, now); err != nil {
				return err
			} else if ok {
				fromID = f.rec.ID
			}
			out, err := deliver(tx, to, stored{Message: protocol.Message{
				Kind: protocol.KindMessage, From: m.From, Content: m.Content, SentAt: m.SentAt,
				Data: m.Data, Size: len(m.Content), File: m.File,
			}, FromID: fromID}, nil)
			if err != nil {
				return err
			}
			if err := seen.Put([]byte(m.Key), key(out.ID)); err != nil {
				return err
			}
			imported++
		}
		return nil
	})
	return imported, err
}

// ImportedKeys reports which of keys were imported before.
func (s *Store) ImportedKeys(keys []string) (map[string]bool, error) {
	seen := map[string]bool{}
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bImports)
		for _, k := range keys {
			if b.Get([]byte(k)) != nil {
				seen[k] = true
			}
		}
		return nil
	})
	return seen, err
}
