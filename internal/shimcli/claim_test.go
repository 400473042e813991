package shimcli

import (
	"errors"
	"runtime"
	"testing"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// A name is one server's while it holds it; a server that moves to
// another name (register, rename, takeover) lets the first go, and a
// server whose name was taken over lets it go too.
func TestClaimer(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" && runtime.GOOS != "windows" {
		t.Skip("no file locks here: every claim succeeds")
	}
	dir := t.TempDir()
	a, b, c := &claimer{dir: dir}, &claimer{dir: dir}, &claimer{dir: dir}
	t.Cleanup(func() { closeLock(a.f); closeLock(b.f); closeLock(c.f) })
	commit, mine := a.claim("carol")
	if !mine {
		t.Fatal("a free name is not mine")
	}
	commit(nil)
	if commit, mine := b.claim("carol"); mine {
		t.Fatal("a held name was claimed twice")
	} else {
		commit(protocol.Errorf(protocol.CodeNameTaken, "refused"))
	}
	if _, mine := a.claim("carol"); !mine {
		t.Fatal("the holder lost its own name")
	}
	// A claim whose registration failed holds nothing.
	commit, _ = b.claim("dave")
	commit(errors.New("refused"))
	commit, mine = c.claim("dave")
	if !mine {
		t.Fatal("a failed claim kept its lock")
	}
	commit(errors.New("refused"))

	// b holds erin, then takes carol over from a: erin is free at once,
	// and carol becomes b's as soon as a lets go, which a does when the
	// daemon tells it another session has the name.
	commit, _ = b.claim("erin")
	commit(nil)
	commit, mine = b.claim("carol")
	if mine {
		t.Fatal("carol is still a's")
	}
	commit(nil) // the takeover succeeded
	if commit, mine := c.claim("erin"); !mine {
		t.Fatal("the taker kept its old name's lock")
	} else {
		commit(errors.New("refused"))
	}
	if b.holds("carol") {
		t.Fatal("the taker holds carol while a does")
	}
	keep, _ := a.claim("carol")
	keep(protocol.Errorf(protocol.CodeNameTaken, "taken over"))
	if b.holds("erin") {
		t.Fatal("holds is true of a name the server does not act as")
	}
	if !b.holds("carol") || !b.held {
		t.Fatal("the taker did not get the lock its loser let go")
	}
	if _, mine := b.claim("carol"); !mine {
		t.Fatal("the taker's claim of its own name is not its")
	}
	if commit, mine := c.claim("carol"); mine {
		t.Fatal("a third server got the taken-over name")
	} else {
		commit(errors.New("refused"))
	}

	// Two claims of one name in one process do not block each other.
	commit1, mine1 := c.claim("fay")
	_, mine2 := c.claim("fay")
	if !mine1 || !mine2 {
		t.Fatal("a server blocked itself")
	}
	commit1(nil)
}
