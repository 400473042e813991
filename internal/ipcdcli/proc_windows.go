//go:build windows

package ipcdcli

import (
	"errors"
	"strconv"

	"golang.org/x/sys/windows"
)

// released reports whether the daemon, process pid, has let go of its data
// dir: whether its process has ended.
func released(_ string, pid int) bool {
	h, err := windows.OpenProcess(windows.SYNCHRONIZE, false, uint32(pid))
	if errors.Is(err, windows.ERROR_INVALID_PARAMETER) {
		return true // no such process any more
	}
	if err != nil {
		return false // it may still run (access denied, say): wait
	}
	defer windows.CloseHandle(h)
	ev, err := windows.WaitForSingleObject(h, 0)
	return err == nil && ev == windows.WAIT_OBJECT_0
}

// killHint says how to end a daemon too old to be asked to stop.
func killHint(pid int) string { return "taskkill /PID " + strconv.Itoa(pid) }
