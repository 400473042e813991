package importer

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"time"
)

// Name is a name the earlier tool knew: a registered instance or the
// recipient of waiting mail.
type Name struct {
	Name string
	// LastSeen is when the earlier tool last saw the instance; zero when it
	// never registered (a recipient only) or the time was unreadable.
	LastSeen time.Time
}

// Message is one unread message of the earlier tool, ready for ipcd.
type Message struct {
	// Key identifies the message across imports; see messageKey.
	Key      string
	From, To string
	Content  string
	SentAt   time.Time
	Data     json.RawMessage // nil when absent or invalid
}

// Target is where imported names and messages go: the daemon's store.
type Target interface {
	// ImportNames records names as registered identities if not known yet;
	// returns how many were new.
	ImportNames(ctx context.Context, names []Name) (created int, err error)
	// ImportMessages delivers messages in order, skipping keys imported
	// before; returns how many were new.
	ImportMessages(ctx context.Context, msgs []Message) (imported int, err error)
}

// Defaults of Options.
const (
	DefaultMaxMessageBytes = 1 << 20 // the daemon's default message size limit
	DefaultBatchSize       = 500
	DefaultBusyTimeout     = 2 * time.Second
)

// Options says what to read and by which rules.
type Options struct {
	// Path is the database of the earlier tool; see DefaultPath.
	Path string
	// Location is the zone of the earlier tool's naive local timestamps;
	// nil means time.Local.
	Location *time.Location
	// MaxMessageBytes is the daemon's message size limit; 0 means
	// DefaultMaxMessageBytes. Longer messages are skipped.
	MaxMessageBytes int
	// BatchSize is how many messages go to the Target at once; 0 means
	// DefaultBatchSize.
	BatchSize int
	// BusyTimeout is how long to wait while the earlier tool, if still
	// running, holds a write lock; 0 means DefaultBusyTimeout.
	BusyTimeout time.Duration
	// Now is the import time, used for unreadable timestamps; nil means
	// time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// DefaultPath is where the earlier tool keeps its database under home.
func DefaultPath(home string) string {
	return filepath.Join(home, ".claude-ipc-data", "messages.db")
}

var (
	// ErrNoDatabase means there is no file at the path: nothing to import.
	ErrNoDatabase = errors.New("nothing to import")
	// ErrNotLegacyDatabase means the file is not an SQLite database of the
	// earlier tool (not SQLite at all, or without its tables).
	ErrNotLegacyDatabase = errors.New("not a database of the earlier Python tool")
	// ErrBusy means the earlier tool kept the database locked for longer
	// than the busy timeout.
	ErrBusy = errors.New("the database is locked by the earlier tool; stop it or try again")
	// ErrNeedsRecovery means the earlier tool stopped in the middle of a
	// write and left a journal that only a writer can roll back.
	ErrNeedsRecovery = errors.New("the database has an unfinished write from a crash of the earlier tool; start the earlier tool once (or open the file with sqlite3) so it recovers, then import again")
	// ErrTarget means the Target answered something impossible.
	ErrTarget = errors.New("the import target gave an impossible count")
)
