//go:build unix

package ipcdcli

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/ipcd/ipcd/internal/paths"
)

// released reports whether the daemon has let go of its data dir: the
// lock it holds on the database (bbolt's flock) is free. The lock, not the
// process id, is asked: a pid may be a zombie's that nobody reaps, or
// another pid namespace's. A database that is not there (the daemon's path
// in another container) counts as free.
func released(dataDir string, _ int) bool {
	f, err := os.Open(filepath.Join(dataDir, paths.DBFile))
	if err != nil {
		return true
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false
	}
	if err == nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	}
	return true
}

// killHint says how to end a daemon too old to be asked to stop.
func killHint(pid int) string {
	return "kill " + strconv.Itoa(pid) + " (it stops gracefully on SIGTERM)"
}
