package daemon

import (
	"strings"
	"sync"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// events fans watch events out to subscribers. A subscriber that does not
// keep up loses events rather than slowing senders; the count is logged.
type events struct {
	mu   sync.Mutex
	subs map[chan protocol.Event]*int
}

func newEvents() *events { return &events{subs: map[chan protocol.Event]*int{}} }

func (e *events) subscribe() (<-chan protocol.Event, func() int) {
	ch := make(chan protocol.Event, 256)
	dropped := new(int)
	e.mu.Lock()
	e.subs[ch] = dropped
	e.mu.Unlock()
	return ch, func() int {
		e.mu.Lock()
		defer e.mu.Unlock()
		delete(e.subs, ch)
		return *dropped
	}
}

func (e *events) publish(ev protocol.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for ch, dropped := range e.subs {
		select {
		case ch <- ev:
		default:
			*dropped++
		}
	}
}

func (e *events) active() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.subs) > 0
}

// firstLine is the start of a message for the watch view: its first line,
// at most 80 bytes, cut on a rune boundary.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return cut(s, 80)
}

// cut shortens s to at most n bytes without splitting a UTF-8 sequence.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
