package setup

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
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

// A link to a file that does not exist yet stays a link: setup creates
// the file it points to.
func TestDanglingLinkStaysALink(t *testing.T) {
	dir := t.TempDir()
	dots := filepath.Join(dir, "dots")
	link := filepath.Join(dir, "mcp.json")
	if err := os.Symlink(filepath.Join("dots", "mcp.json"), link); err != nil {
		t.Fatal(err)
	}
	f, err := readFile(link)
	if err != nil {
		t.Fatal(err)
	}
	if f.Path != filepath.Join(dots, "mcp.json") || f.Existed {
		t.Fatalf("readFile = %+v", f)
	}
	f.After = []byte("{}\n")
	if _, err := (&Change{Files: []*FileChange{f}}).Apply(time.Now()); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link is gone: %v %v", fi, err)
	}
	if b, err := os.ReadFile(filepath.Join(dots, "mcp.json")); err != nil || string(b) != "{}\n" {
		t.Fatalf("the target holds %q, %v", b, err)
	}
}
