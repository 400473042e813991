package store

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ipcd/ipcd/internal/clock"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// A full disk is storage_full, not an internal error, and the store keeps
// answering. The log is made a link to /dev/full, where every write fails
// with ENOSPC, as on a disk with no space left.
func TestFullDiskIsStorageFull(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ipc.db")
	if err := os.Symlink("/dev/full", WALPath(path)); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, Options{Clock: clock.NewFake(t0), manualCheckpoints: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	mustRegister(t, s, "alice", "bob")
	_, err = s.Send(SendParams{From: "alice", To: "bob", Content: "no room"})
	wantCode(t, err, protocol.CodeStorageFull)
	if b, err := s.Fetch("bob", 0, 10); err != nil || len(b.Messages) != 0 {
		t.Fatalf("after the refused send bob has %d messages (%v), want 0", len(b.Messages), err)
	}
	// Still answering, and writes that do not go through the log work.
	mustRegister(t, s, "carol")
	if _, _, err := s.Unread("alice"); err != nil {
		t.Fatal(err)
	}
}

// A full disk and a full quota are both "no space"; other errors are not.
func TestIsDiskFull(t *testing.T) {
	for err, want := range map[error]bool{
		fmt.Errorf("write: %w", syscall.ENOSPC): true,
		fmt.Errorf("write: %w", syscall.EDQUOT): true,
		fmt.Errorf("write: %w", syscall.EIO):    false,
		os.ErrPermission:                        false,
	} {
		if got := IsDiskFull(err); got != want {
			t.Errorf("IsDiskFull(%v) = %v, want %v", err, got, want)
		}
	}
}
