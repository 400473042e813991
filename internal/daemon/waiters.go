package daemon

import "sync"

// waiters wakes long polls. Each name has at most one channel; a send
// closes it, waking every wait on that name at once, and the next wait
// makes a new one. A wait takes the channel before it reads the inbox, so
// a send between the read and the block still wakes it.
type waiters struct {
	mu    sync.Mutex
	chans map[string]chan struct{}
}

func newWaiters() *waiters { return &waiters{chans: map[string]chan struct{}{}} }

// watch returns the channel that the next notify(name) closes.
func (w *waiters) watch(name string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch, ok := w.chans[name]
	if !ok {
		ch = make(chan struct{})
		w.chans[name] = ch
	}
	return ch
}

// notify wakes every wait on the names.
func (w *waiters) notify(names ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, n := range names {
		if ch, ok := w.chans[n]; ok {
			close(ch)
			delete(w.chans, n)
		}
	}
}
