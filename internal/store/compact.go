package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// CompactPolicy says when a database file is worth compacting.
type CompactPolicy struct {
	// MinBytes: smaller files are left alone (default 16 MiB).
	MinBytes int64
	// FreeRatio: compact when at least this share of the file is free
	// pages (default 0.5).
	FreeRatio float64
	// LockTimeout bounds the wait for the file lock (default 1s).
	LockTimeout time.Duration
}

// CompactIfSparse rewrites the database at path into a fresh file, then
// renames it over the old one, when the file is mostly free space. It must
// run while no Store has the file open (the daemon calls it before Open).
// It reports whether it compacted.
func CompactIfSparse(path string, p CompactPolicy) (bool, error) {
	if p.MinBytes <= 0 {
		p.MinBytes = 16 << 20
	}
	if p.FreeRatio <= 0 {
		p.FreeRatio = 0.5
	}
	if p.LockTimeout <= 0 {
		p.LockTimeout = time.Second
	}
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) || (err == nil && fi.Size() < p.MinBytes) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("stat database: %w", err)
	}
	src, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: p.LockTimeout, ReadOnly: false})
	if errors.Is(err, berrors.ErrTimeout) {
		return false, fmt.Errorf("open %s: %w", path, ErrLocked)
	}
	if err != nil {
		return false, fmt.Errorf("open %s: %w", path, err)
	}
	defer src.Close()
	st := src.Stats()
	free := float64(st.FreePageN+st.PendingPageN) * float64(src.Info().PageSize)
	if free/float64(fi.Size()) < p.FreeRatio {
		return false, nil
	}
	tmp := path + ".compact"
	_ = os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: p.LockTimeout, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return false, fmt.Errorf("create %s: %w", tmp, err)
	}
	if err := bolt.Compact(dst, src, 64<<20); err != nil {
		dst.Close()
		os.Remove(tmp)
		return false, fmt.Errorf("compact database: %w", err)
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		os.Remove(tmp)
		return false, fmt.Errorf("sync compacted database: %w", err)
	}
	if err := dst.Close(); err != nil {
		os.Remove(tmp)
		return false, fmt.Errorf("close compacted database: %w", err)
	}
	// Rename while src still holds the lock, so no daemon can open the old
	// file in between.
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return false, fmt.Errorf("replace database: %w", err)
	}
	syncDir(filepath.Dir(path))
	return true, nil
}

// Backup writes a consistent copy of the database to w while the daemon
// keeps serving; it returns the bytes written. Logged writes are
// checkpointed first, so the copy needs no write-ahead log.
func (s *Store) Backup(w io.Writer) (int64, error) {
	if err := s.Checkpoint(); err != nil {
		return 0, err
	}
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// Check verifies the database's internal consistency (page structure and
// free list); doctor runs it.
func (s *Store) Check() error {
	return s.db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() { // drained whole: the checker blocks otherwise
			if len(errs) < 10 {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	})
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
