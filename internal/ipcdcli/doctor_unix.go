//go:build !windows

package ipcdcli

import (
	"io/fs"

	"golang.org/x/sys/unix"
)

// freeBytes is the space left for this user on dir's file system.
func freeBytes(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}

// othersMayRead reports whether mode lets other users in: group or world
// bits set.
func othersMayRead(mode fs.FileMode) bool { return mode.Perm()&0o077 != 0 }

// isSocket reports whether mode is a Unix socket's.
func isSocket(mode fs.FileMode) bool { return mode&fs.ModeSocket != 0 }
