package daemon

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// A large message's file on a full disk is storage_full, as the store's
// own writes are. /dev/full fails every write with ENOSPC.
func TestLargeFileOnFullDisk(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	err = fillLarge(f, strings.Repeat("x", protocol.LargeMessageBytes+1))
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != protocol.CodeStorageFull {
		t.Fatalf("fillLarge on a full disk = %v, want storage_full", err)
	}
	// Anything else stays an internal error, with what failed.
	if err := largeErr("create large-message file", os.ErrPermission); errors.As(err, &pe) ||
		!strings.Contains(err.Error(), "create large-message file") {
		t.Errorf("largeErr(permission) = %v", err)
	}
}
