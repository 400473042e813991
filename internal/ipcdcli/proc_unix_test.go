//go:build unix

package ipcdcli

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/ipcd/ipcd/internal/store"
)

// released is false while a store holds the database and true once it is
// closed, or when there is no database at all.
func TestReleased(t *testing.T) {
	dir := t.TempDir()
	if !released(dir, 0) {
		t.Error("a data dir without a database counts as held")
	}
	st, err := store.Open(filepath.Join(dir, "ipc.db"), store.Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if released(dir, 0) {
		t.Error("an open store's database counts as free")
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if !released(dir, 0) {
		t.Error("a closed store's database counts as held")
	}
	// Asking does not keep the lock: the store opens again at once.
	st, err = store.Open(filepath.Join(dir, "ipc.db"), store.Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
}
