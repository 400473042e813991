//go:build unix

package store

import (
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// dropMapped tells the kernel the daemon no longer needs its mapping of
// the database file's first size bytes (MADV_DONTNEED). bbolt reads the
// file through a read-only shared mapping, so the pages stay in the page
// cache and a later read maps them again at the cost of a minor fault;
// what goes is their count in the daemon's resident set, which otherwise
// only grows with every page ever read (at open, bbolt walks the whole
// tree to rebuild its free list). Called after checkpoints, from the
// writer, the only goroutine that can remap the file.
func dropMapped(db *bolt.DB, size int64) {
	base := db.Info().Data
	if base == 0 || size <= 0 {
		return
	}
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, base, uintptr(size), unix.MADV_DONTNEED)
}
