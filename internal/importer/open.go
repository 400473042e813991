package importer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// openReadOnly opens the database at path so that nothing can be written to
// it: mode=ro makes SQLite refuse writes and take only shared locks, so the
// earlier tool may keep running. immutable=1 is not used: it would skip
// locking and a crash journal, and could read a half-written database.
func openReadOnly(path string, busy time.Duration) (*sql.DB, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no database at %s: %w", path, ErrNoDatabase)
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("open %s: %w: not a regular file", path, ErrNotLegacyDatabase)
	}
	dsn, err := readOnlyDSN(path, busy)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// One connection: the whole read runs in one transaction on it.
	db.SetMaxOpenConns(1)
	return db, nil
}

// readOnlyDSN is an SQLite URI for path. The path is made absolute and
// percent-encoded, so '?', '#' and '%' in a directory name stay part of it.
func readOnlyDSN(path string, busy time.Duration) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("resolve path: %w", err)
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive: file:///C:/...
	}
	return fmt.Sprintf("file://%s?mode=ro&_busy_timeout=%d", escapeURIPath(p), busy.Milliseconds()), nil
}

// escapeURIPath percent-encodes every byte of p but unreserved characters,
// '/' and ':'.
func escapeURIPath(p string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("-._~/:", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// classify turns SQLite's errors into the package's sentinel errors where a
// user can act on them.
func classify(path string, err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return fmt.Errorf("read %s: %w", path, err)
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_NOTADB:
		return fmt.Errorf("read %s: %w: the file is not an SQLite database", path, ErrNotLegacyDatabase)
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("read %s: %w", path, ErrBusy)
	case sqlite3.SQLITE_READONLY:
		if se.Code() == sqlite3.SQLITE_READONLY_ROLLBACK {
			return fmt.Errorf("read %s: %w", path, ErrNeedsRecovery)
		}
	case sqlite3.SQLITE_CORRUPT:
		return fmt.Errorf("read %s: %w: the file is damaged (%v)", path, ErrNotLegacyDatabase, err)
	}
	return fmt.Errorf("read %s: %w", path, err)
}
