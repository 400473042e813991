package importer

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	notSQLite := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notSQLite, []byte(strings.Repeat("just some text, not a database\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	otherDB := filepath.Join(dir, "other.db")
	func() {
		db, err := sql.Open("sqlite", otherDB)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`CREATE TABLE messages (id INTEGER PRIMARY KEY, body TEXT)`); err != nil {
			t.Fatal(err)
		}
	}()
	wrongColumns := filepath.Join(dir, "wrong.db")
	func() {
		db, err := sql.Open("sqlite", wrongColumns)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, stmt := range []string{
			`CREATE TABLE messages (id INTEGER PRIMARY KEY, body TEXT)`,
			`CREATE TABLE instances (instance_id TEXT PRIMARY KEY, last_seen TEXT NOT NULL)`,
		} {
			if _, err := db.Exec(stmt); err != nil {
				t.Fatal(err)
			}
		}
	}()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		path    string
		wantIs  error
		wantMsg string
	}{
		{"missing file", filepath.Join(dir, "nope", "messages.db"), ErrNoDatabase,
			"no database at " + filepath.Join(dir, "nope", "messages.db") + ": nothing to import"},
		{"not SQLite", notSQLite, ErrNotLegacyDatabase, "the file is not an SQLite database"},
		{"other tables", otherDB, ErrNotLegacyDatabase, `it has no "instances" table`},
		{"empty file", empty, ErrNotLegacyDatabase, `it has no "messages" table`},
		{"a directory", dir, ErrNotLegacyDatabase, "not a regular file"},
		{"wrong columns", wrongColumns, ErrNotLegacyDatabase, `its "messages" table has no "from_id" column`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := Read(context.Background(), Options{Path: tt.path})
			if err == nil {
				t.Fatalf("Read = %+v, want an error", src)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Read error %q is not %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Read error %q does not say %q", err, tt.wantMsg)
			}
		})
	}
}

// TestReadWhileEarlierToolWrites holds the locks the running Python broker
// takes while it writes.
func TestReadWhileEarlierToolWrites(t *testing.T) {
	path := DefaultPath(t.TempDir())
	legacyDB(t, path, [][2]string{{"claude", "2025-07-06T14:30:22.123456"}},
		[]row{{id: 1, from: "barney", to: "claude", content: "committed", timestamp: "2025-07-06T14:30:22"}})

	writer, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	conn, err := writer.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(stmt string) {
		t.Helper()
		if _, err := conn.ExecContext(context.Background(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}

	t.Run("a write in progress is not seen", func(t *testing.T) {
		exec(`BEGIN IMMEDIATE`)
		exec(`INSERT INTO messages (from_id, to_id, content, timestamp) VALUES ('barney', 'claude', 'uncommitted', '2025-07-06T14:31:00')`)
		defer exec(`ROLLBACK`)
		src, err := Read(context.Background(), Options{Path: path, BusyTimeout: 10 * time.Millisecond})
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if len(src.Messages) != 1 || src.Messages[0].Content != "committed" {
			t.Errorf("messages = %+v, want only the committed one", src.Messages)
		}
	})

	t.Run("a lock held past the busy timeout", func(t *testing.T) {
		exec(`BEGIN EXCLUSIVE`)
		defer exec(`ROLLBACK`)
		_, err := Read(context.Background(), Options{Path: path, BusyTimeout: 10 * time.Millisecond})
		if !errors.Is(err, ErrBusy) {
			t.Fatalf("Read error = %v, want ErrBusy", err)
		}
	})
}

// TestReadOddPath reads a database whose directory has characters that
// mean something in an SQLite URI.
func TestReadOddPath(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("'?' cannot be in a Windows file name")
	}
	base := t.TempDir()
	plain := filepath.Join(base, "plain.db")
	legacyDB(t, plain, [][2]string{{"claude", "2025-07-06T14:30:22"}}, nil)
	odd := filepath.Join(base, "a?b#c%20d e&mode=rw")
	if err := os.Mkdir(odd, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(odd, "messages.db")
	if err := os.Rename(plain, path); err != nil {
		t.Fatal(err)
	}
	src, err := Read(context.Background(), Options{Path: path})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if len(src.Names) != 1 || src.Names[0].Name != "claude" {
		t.Errorf("names = %+v", src.Names)
	}
	entries, err := os.ReadDir(base)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("Read created files beside the database's directory: %v", entries)
	}
}

func TestReadNoPath(t *testing.T) {
	if _, err := Read(context.Background(), Options{}); err == nil {
		t.Fatal("Read without a path succeeded")
	}
}
