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
	created, _, _, err := s.Import(names, nil)
	return created, err
}

// Import registers names that are not known yet and delivers messages in
// order, skipping keys imported before, all in one transaction: a refused
// import changes nothing. It returns how many names and messages were new,
// and the files of messages it skipped (a key imported before, or twice in
// msgs), for the caller to remove. The depth limit does not apply: this is
// mail the user already had.
func (s *Store) Import(names []ImportName, msgs []ImportMessage) (created, imported int, skippedFiles []string, err error) {
	for _, n := range names {
		if err := protocol.ValidateName(n.Name); err != nil {
			return 0, 0, nil, err
		}
	}
	for _, m := range msgs {
		if err := protocol.ValidateName(m.To); err != nil {
			return 0, 0, nil, err
		}
		if m.Key == "" {
			return 0, 0, nil, protocol.Errorf(protocol.CodeInvalidArgument, "an imported message needs a key")
		}
	}
	now := s.clock.Now()
	err = s.update(func(tx *bolt.Tx) error {
		created, imported, skippedFiles = 0, 0, nil
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
		var err error
		imported, err = importMessages(tx, msgs, now, &skippedFiles)
		return err
	})
	if err != nil {
		return 0, 0, nil, err
	}
	return created, imported, skippedFiles, nil
}

// ImportMessages delivers messages in order, skipping keys imported
// before, and returns how many were new.
func (s *Store) ImportMessages(msgs []ImportMessage) (int, error) {
	_, imported, _, err := s.Import(nil, msgs)
	return imported, err
}

func importMessages(tx *bolt.Tx, msgs []ImportMessage, now time.Time, skippedFiles *[]string) (int, error) {
	imported := 0
	seen := tx.Bucket(bImports)
	for _, m := range msgs {
		if seen.Get([]byte(m.Key)) != nil {
			if m.File != "" {
				*skippedFiles = append(*skippedFiles, m.File)
			}
			continue
		}
		r, ok, err := resolve(tx, m.To, now)
		if err != nil {
			return 0, err
		}
		to := r.rec
		if !ok {
			if to, err = createIdentity(tx, m.To, false, 0, now); err != nil {
				return 0, err
			}
		}
		var fromID uint64
		if f, ok, err := resolve(tx, m.From, now); err != nil {
			return 0, err
		} else if ok {
			fromID = f.rec.ID
		}
		out, err := deliver(tx, to, stored{Message: protocol.Message{
			Kind: protocol.KindMessage, From: m.From, Content: m.Content, SentAt: m.SentAt,
			Data: m.Data, Size: len(m.Content), File: m.File,
		}, FromID: fromID}, nil)
		if err != nil {
			return 0, err
		}
		if err := seen.Put([]byte(m.Key), key(out.ID)); err != nil {
			return 0, err
		}
		imported++
	}
	return imported, nil
}

// KnownNames reports which of names the store knows (what Import would
// not create).
func (s *Store) KnownNames(names []string) (map[string]bool, error) {
	known := map[string]bool{}
	now := s.clock.Now()
	err := s.view(func(tx *bolt.Tx) error {
		for _, n := range names {
			_, ok, err := resolve(tx, n, now)
			if err != nil {
				return err
			}
			if ok {
				known[n] = true
			}
		}
		return nil
	})
	return known, err
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
