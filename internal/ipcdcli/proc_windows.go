//go:build windows

package ipcdcli

import (
	"os"

	"golang.org/x/sys/windows"
)

// processGone reports whether process pid has ended.
func processGone(pid int) bool {
	h, err := windows.OpenProcess(windows.SYNCHRONIZE, false, uint32(pid))
	if err != nil {
		return true // no such process (any more)
	}
	defer windows.CloseHandle(h)
	ev, err := windows.WaitForSingleObject(h, 0)
	return err == nil && ev == windows.WAIT_OBJECT_0
}

// terminate ends process pid. Windows has no SIGTERM to send another
// process; nothing acknowledged is lost all the same (every acknowledged
// send is on disk, and the next start replays the log).
func terminate(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}
