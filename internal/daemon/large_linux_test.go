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

// A file name made from names cannot leave its folder, whatever a caller
// passes; valid names pass unchanged.
func TestFileSafe(t *testing.T) {
	for in, want := range map[string]string{
		"alice":                 "alice",
		"nessa-qa_2":            "nessa-qa_2",
		"/../../../escape":      "__________escape",
		`..\..\x`:               "______x",
		"":                      "",
		strings.Repeat("a", 40): strings.Repeat("a", protocol.MaxNameLength),
	} {
		if got := fileSafe(in); got != want {
			t.Errorf("fileSafe(%q) = %q, want %q", in, got, want)
		}
	}
}
