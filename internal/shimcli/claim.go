package shimcli

import (
	"os"
	"path/filepath"
	"sync"
)

// claimer keeps, for one MCP server process, a lock on the name it acts
// as (DATA_DIR/sessions/NAME.lock): two AI clients set up with the same
// name then cannot both use it through the token file they share. The
// operating system drops the lock when the process ends, however it
// ends, so an AI client that restarts claims its name again at once.
type claimer struct {
	dir string

	mu      sync.Mutex
	current string
	f       *os.File
}

// claim is client.Options.Claim.
func (cl *claimer) claim(name string) (commit func(ok bool), mine bool) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if name == cl.current {
		return func(bool) {}, true
	}
	f, mine := lockName(cl.dir, name)
	if !mine {
		return func(bool) {}, false
	}
	return func(ok bool) {
		cl.mu.Lock()
		defer cl.mu.Unlock()
		if !ok {
			closeLock(f)
			return
		}
		closeLock(cl.f)
		cl.f, cl.current = f, name
	}, true
}

// lockName takes the lock of name; mine is false when another process
// holds it. A lock that cannot be taken for any other reason (a file
// system without locks) counts as taken by us: it must never lock a user
// out of a name.
func lockName(dir, name string) (f *os.File, mine bool) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, true
	}
	f, err := os.OpenFile(filepath.Join(dir, name+".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, true
	}
	held, err := tryLock(f)
	switch {
	case err != nil:
		f.Close()
		return nil, true
	case held:
		f.Close()
		return nil, false
	}
	return f, true
}

func closeLock(f *os.File) {
	if f != nil {
		f.Close() // closing the file drops its lock
	}
}
