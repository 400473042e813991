package setup

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// The last check before the rename stops it: the file keeps what another
// program wrote, and no temporary file is left behind.
func TestWriteAtomicLateCheck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "settings.json")
	if err := os.WriteFile(path, []byte(`{"theirs":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	err := writeAtomic(path, []byte(`{"ours":1}`), 0o600, func() error { return ErrChanged })
	if !errors.Is(err, ErrChanged) {
		t.Fatalf("writeAtomic = %v, want ErrChanged", err)
	}
	if b, _ := os.ReadFile(path); string(b) != `{"theirs":1}` {
		t.Fatalf("the file holds %s", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
}
