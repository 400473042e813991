package daemon

import (
	"sync"
	"time"
)

// presence keeps last-seen times and who is waiting, in memory: a request
// costs no database write. Changed times are written now and then.
type presence struct {
	mu      sync.Mutex
	seen    map[string]time.Time
	dirty   map[string]time.Time
	waiting map[string]int
}

func newPresence() *presence {
	return &presence{seen: map[string]time.Time{}, dirty: map[string]time.Time{}, waiting: map[string]int{}}
}

func (p *presence) touch(name string, at time.Time) {
	p.mu.Lock()
	p.seen[name] = at
	p.dirty[name] = at
	p.mu.Unlock()
}

func (p *presence) lastSeen(name string) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[name]
}

// beginWait marks name as blocked in a wait; the returned func unmarks it.
func (p *presence) beginWait(name string) func() {
	p.mu.Lock()
	p.waiting[name]++
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		if p.waiting[name]--; p.waiting[name] <= 0 {
			delete(p.waiting, name)
		}
		p.mu.Unlock()
	}
}

func (p *presence) isWaiting(name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waiting[name] > 0
}

// rename moves presence to a new name.
func (p *presence) rename(old, new string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t, ok := p.seen[old]; ok {
		p.seen[new] = t
		p.dirty[new] = t
		delete(p.seen, old)
		delete(p.dirty, old)
	}
}

// takeDirty returns the times changed since the last call.
func (p *presence) takeDirty() map[string]time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := p.dirty
	p.dirty = map[string]time.Time{}
	return d
}
