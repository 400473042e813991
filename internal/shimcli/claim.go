package shimcli

import (
	"os"
	"path/filepath"
	"sync"

	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/paths"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// claimer keeps, for one MCP server process, a lock on the name it acts
// as (DATA_DIR/sessions/NAME.lock): two AI clients set up with the same
// name then cannot both use it through the token file they share. The
// operating system drops the lock when the process ends, however it
// ends, so an AI client that restarts claims its name again at once.
type claimer struct {
	dir string

	mu      sync.Mutex
	current string          // the name this server acts as
	f       *os.File        // its lock (nil without file locks)
	held    bool            // false while another process still holds the lock (after a takeover)
	pending map[string]bool // names being registered, and whether they were free
}

// claim is client.Options.Claim.
func (cl *claimer) claim(name string) (commit func(err error), mine bool) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if name == cl.current {
		return cl.keep(name), cl.retake()
	}
	if free, ok := cl.pending[name]; ok {
		// Another call of this server is registering it (the lock cannot
		// be taken twice in one process): the same answer.
		return func(error) {}, free
	}
	f, mine := lockName(cl.dir, name)
	if cl.pending == nil {
		cl.pending = map[string]bool{}
	}
	cl.pending[name] = mine
	return func(err error) {
		cl.mu.Lock()
		defer cl.mu.Unlock()
		delete(cl.pending, name)
		if err != nil {
			closeLock(f)
			return
		}
		// Registered (by takeover, if another server holds the lock):
		// this is the server's name now, and its old one is free.
		closeLock(cl.f)
		cl.f, cl.current, cl.held = f, name, mine
	}, mine
}

// holds is client.Options.Holds: whether this server holds the claim of
// name, which must be the name it acts as; after a takeover it takes the
// lock as soon as the other server has let go.
func (cl *claimer) holds(name string) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return name == cl.current && cl.retake()
}

// retake tries again, with mu held, to lock the current name that was
// taken over from a server which may since have let go.
func (cl *claimer) retake() bool {
	if !cl.held {
		cl.f, cl.held = lockName(cl.dir, cl.current)
	}
	return cl.held
}

// keep is the commit of a claim of the current name: the server lets its
// name go when the daemon says another session has it (a takeover).
func (cl *claimer) keep(name string) func(error) {
	return func(err error) {
		if !client.IsCode(err, protocol.CodeNameTaken) {
			return
		}
		cl.mu.Lock()
		defer cl.mu.Unlock()
		if cl.current == name {
			closeLock(cl.f)
			cl.f, cl.current, cl.held = nil, "", false
		}
	}
}

// lockName takes the lock of name; mine is false when another process
// holds it. A lock that cannot be taken for any other reason (a file
// system without locks) counts as taken by us: it must never lock a user
// out of a name.
func lockName(dir, name string) (f *os.File, mine bool) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, true
	}
	f, err := os.OpenFile(filepath.Join(dir, paths.NameFile(name)+".lock"), os.O_RDWR|os.O_CREATE, 0o600)
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
