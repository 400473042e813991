package ipcdcli

import (
	"io/fs"

	"golang.org/x/sys/windows"
)

// freeBytes is the space left for this user on dir's volume.
func freeBytes(dir string) (uint64, error) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return 0, err
	}
	var avail, total, free uint64
	if err := windows.GetDiskFreeSpaceEx(p, &avail, &total, &free); err != nil {
		return 0, err
	}
	return avail, nil
}

// othersMayRead is false on Windows: mode bits say nothing there; access
// is governed by the ACLs of the user's profile.
func othersMayRead(fs.FileMode) bool { return false }

// isSocket is true on Windows: an AF_UNIX socket shows as a reparse point,
// not as a socket, so its type cannot be told from the mode.
func isSocket(fs.FileMode) bool { return true }
