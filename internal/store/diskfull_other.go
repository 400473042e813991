//go:build !windows

package store

import (
	"errors"
	"syscall"
)

// IsDiskFull reports whether err is a write refused for want of space: a
// full disk, or the user's disk quota.
func IsDiskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
