//go:build unix

package ipcdcli

import (
	"errors"
	"syscall"
)

// processGone reports whether process pid has ended.
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// terminate asks process pid to stop, as a service manager would.
func terminate(pid int) error {
	return syscall.Kill(pid, syscall.SIGTERM)
}
