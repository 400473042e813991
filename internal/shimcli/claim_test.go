package shimcli

import (
	"runtime"
	"testing"
)

// A name is one server's while it holds it; a server that moves to
// another name lets the first go.
func TestClaimer(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" && runtime.GOOS != "windows" {
		t.Skip("no file locks here: every claim succeeds")
	}
	dir := t.TempDir()
	a, b := &claimer{dir: dir}, &claimer{dir: dir}
	commit, mine := a.claim("carol")
	if !mine {
		t.Fatal("a free name is not mine")
	}
	commit(true)
	if _, mine := b.claim("carol"); mine {
		t.Fatal("a held name was claimed twice")
	}
	if _, mine := a.claim("carol"); !mine {
		t.Fatal("the holder lost its own name")
	}
	// A claim whose registration failed holds nothing.
	commit, _ = b.claim("dave")
	commit(false)
	if _, mine := a.claim("dave"); !mine {
		t.Fatal("a failed claim kept its lock")
	}
	// a moves to another name: carol is free again.
	commit, _ = a.claim("erin")
	commit(true)
	commit, mine = b.claim("carol")
	if !mine {
		t.Fatal("a name its holder left is still held")
	}
	commit(true)
	closeLock(a.f)
	closeLock(b.f)
}
