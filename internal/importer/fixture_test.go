package importer

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// row is a messages row; nil pointers are NULL. content is any so a test
// can store a BLOB.
type row struct {
	id                   int64
	from, to             string
	content              any
	timestamp            string
	data, summary, large *string
	readFlag             *int
}

func str(s string) *string { return &s }
func flag(n int) *int      { return &n }

// legacyDB writes a database of the earlier tool at path, 0600 like the
// original, and closes it so that nothing holds it open.
func legacyDB(t *testing.T, path string, instances [][2]string, rows []row, extra ...string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, stmt := range slices.Concat(LegacySchema, extra) {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	for _, in := range instances {
		if _, err := db.Exec(`INSERT INTO instances VALUES (?, ?)`, in[0], in[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range rows {
		var read any
		if r.readFlag != nil {
			read = *r.readFlag
		}
		_, err := db.Exec(`INSERT INTO messages (id, from_id, to_id, content, timestamp, data, summary, large_file_path, read_flag)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.id, r.from, r.to, r.content, r.timestamp, nullable(r.data), nullable(r.summary), nullable(r.large), read)
		if err != nil {
			t.Fatalf("insert row %d: %v", r.id, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
}

func nullable(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// largeMessageFile writes content the way the earlier tool saved large
// messages and returns the path.
func largeMessageFile(t *testing.T, dir, name, from, to, content string) string {
	t.Helper()
	path := filepath.Join(dir, "large-messages", name)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprintf("# IPC Message\nFrom: %s\nTo: %s\nTime: 2025-07-06T14:30:22.123456\nSize: %.1fKB\n\n## Content\n%s\n",
		from, to, float64(len(content))/1024, content)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// fakeTarget is the daemon as the importer sees it: it remembers names and
// message keys and keeps delivered messages in order.
type fakeTarget struct {
	names     map[string]Name
	keys      map[string]bool
	delivered []Message
	batches   []int
	failAt    int // fail the failAt-th ImportMessages call (1-based); 0 never
	calls     int
	lie       bool // report one more imported than sent
}

func newFakeTarget() *fakeTarget {
	return &fakeTarget{names: map[string]Name{}, keys: map[string]bool{}}
}

func (f *fakeTarget) ImportNames(_ context.Context, names []Name) (int, error) {
	created := 0
	for _, n := range names {
		if _, ok := f.names[n.Name]; !ok {
			f.names[n.Name] = n
			created++
		}
	}
	return created, nil
}

var errFake = fmt.Errorf("fake target down")

func (f *fakeTarget) ImportMessages(_ context.Context, msgs []Message) (int, error) {
	f.calls++
	if f.calls == f.failAt {
		return 0, errFake
	}
	f.batches = append(f.batches, len(msgs))
	imported := 0
	for _, m := range msgs {
		if f.keys[m.Key] {
			continue
		}
		f.keys[m.Key] = true
		f.delivered = append(f.delivered, m)
		imported++
	}
	if f.lie {
		imported = len(msgs) + 1
	}
	return imported, nil
}
