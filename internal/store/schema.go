package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the layout this code reads and writes.
const SchemaVersion = 1

// Buckets. Identities have a stable numeric id; names map to ids, so a
// rename moves no mail.
var (
	bMeta       = []byte("meta")       // "schema" -> u64; bucket sequence = last message id
	bNames      = []byte("names")      // name -> nameRecord
	bIdentities = []byte("identities") // u64 id -> identityRecord; bucket sequence = last identity id
	bMail       = []byte("mail")       // u64 id -> bucket{ u64 seq -> protocol.Message }; sub-bucket sequence = last seq
	bCursors    = []byte("cursors")    // u64 id -> u64 seq acknowledged
	bIndex      = []byte("index")      // u64 message id -> u64 identity id + u64 seq
	bPendingBy  = []byte("pending_by") // u64 sender id -> u64 count of names it made that nobody registered yet
	bImports    = []byte("imports")    // import key -> u64 message id
	kSchema     = []byte("schema")
)

// migrations[v] moves a database from version v to v+1. Version 0 is an
// empty file.
var migrations = []func(tx *bolt.Tx) error{
	0: func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bMeta, bNames, bIdentities, bMail, bCursors, bIndex, bPendingBy, bImports} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	},
}

func migrate(tx *bolt.Tx) error {
	v := uint64(0)
	if meta := tx.Bucket(bMeta); meta != nil {
		if raw := meta.Get(kSchema); raw != nil {
			v = u64(raw)
		}
	}
	if v > SchemaVersion {
		return fmt.Errorf("schema %d, this ipcd knows %d: %w", v, SchemaVersion, ErrNewerSchema)
	}
	for ; v < SchemaVersion; v++ {
		if err := migrations[v](tx); err != nil {
			return fmt.Errorf("migrate schema %d to %d: %w", v, v+1, err)
		}
	}
	return tx.Bucket(bMeta).Put(kSchema, key(SchemaVersion))
}

// nameRecord maps a name to its identity. ForwardUntil is zero for the
// identity's current name and set for an old name that forwards.
type nameRecord struct {
	ID           uint64    `json:"id"`
	ForwardUntil time.Time `json:"forward_until,omitzero"`
}

// identityRecord is one identity. Registered is false while mail waits for
// a name nobody has registered.
type identityRecord struct {
	ID           uint64    `json:"id"`
	Name         string    `json:"name"`
	Registered   bool      `json:"registered"`
	CreatedAt    time.Time `json:"created_at"`
	CreatedBy    uint64    `json:"created_by,omitempty"` // sender whose mail created a pending name
	RegisteredAt time.Time `json:"registered_at,omitzero"`
	LastSeen     time.Time `json:"last_seen,omitzero"`
	RenamedAt    time.Time `json:"renamed_at,omitzero"`
	AutoCheck    autoCheck `json:"auto_check"`
}

type autoCheck struct {
	Enabled  bool      `json:"enabled"`
	Interval int       `json:"interval_minutes,omitempty"`
	LastRun  time.Time `json:"last_run,omitzero"`
}

func key(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func u64(b []byte) uint64 {
	if len(b) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// getJSON decodes the value at k into v; it reports whether k was there.
// Decoding copies, so nothing of the transaction's memory escapes.
func getJSON(b *bolt.Bucket, k []byte, v any) (bool, error) {
	raw := b.Get(k)
	if raw == nil {
		return false, nil
	}
	return true, decode(k, raw, v)
}

// decode unmarshals one stored value; k names it in the error.
func decode(k, raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode record %x: %w", k, err)
	}
	return nil
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, raw)
}
