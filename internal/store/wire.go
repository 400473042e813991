package store

import (
	"bytes"
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

// RawBatch is a slice of an inbox with each message as the JSON object
// an answer carries, cut from the stored record without decoding it.
type RawBatch struct {
	Messages []json.RawMessage
	// Through is the seq of the last message returned.
	Through uint64
	// Unread counts unacknowledged mail, the returned messages included.
	Unread int
	// More is true when mail remains beyond this batch.
	More bool
}

// FetchJSON is Fetch for callers that only pass messages on (check and
// wait): decoding a stored record and encoding it again is most of what a
// large check costs, so the record is handed over as it is, less the
// internal from_id. Each object decodes to the protocol.Message Fetch
// would return; only its escaping may differ (json.Marshal escapes <, >
// and &), which JSON readers do not see.
func (s *Store) FetchJSON(name string, after uint64, limit int) (RawBatch, error) {
	now := s.clock.Now()
	var b RawBatch
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		b.Unread, b.More, err = scanInbox(tx, name, after, limit, now, func(k, v []byte) {
			b.Messages = append(b.Messages, wireJSON(v))
			b.Through = u64(k)
		})
		return err
	})
	return b, err
}

var fromIDKey = []byte(`,"from_id":`)

// wireJSON copies a stored message record (it must not outlive its
// transaction) without its from_id, which json.Marshal writes last when it
// is set. A "from_id" inside data is never last: size always follows data.
func wireJSON(raw []byte) json.RawMessage {
	out := bytes.Clone(raw)
	i := bytes.LastIndex(out, fromIDKey)
	if i < 0 {
		return out
	}
	rest := out[i+len(fromIDKey):]
	if len(rest) < 2 || rest[len(rest)-1] != '}' {
		return out
	}
	for _, c := range rest[:len(rest)-1] {
		if c < '0' || c > '9' {
			return out
		}
	}
	return append(out[:i], '}')
}
