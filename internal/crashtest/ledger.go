package crashtest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// stream is the mail of one sender to one recipient.
type stream struct{ from, to string }

// ledger records what the clients saw: each send the daemon acknowledged,
// and each message a reader was handed, in the order it was handed.
type ledger struct {
	mu       sync.Mutex
	acked    map[stream]map[int]bool
	ackedN   int
	failed   int // sends with no acknowledgement: they may or may not arrive
	received map[stream]*arrivals
	dups     int
	problems []string
}

// arrivals is what one reader got of one stream.
type arrivals struct {
	byID  map[uint64]int // message id -> send number
	seen  map[int]uint64 // send number -> message id
	top   int            // highest send number seen
	order []int
}

func (a *arrivals) seenN(n int) (uint64, bool) {
	if a == nil {
		return 0, false
	}
	id, ok := a.seen[n]
	return id, ok
}

func newLedger() *ledger {
	return &ledger{acked: map[stream]map[int]bool{}, received: map[stream]*arrivals{}}
}

// content is the text of send number n of from to to; every 25th is over
// the large-message size, so its file is written and fsynced too.
func content(from, to string, n int) string {
	s := fmt.Sprintf("%s>%s#%d ", from, to, n)
	pad := 64
	if n%25 == 24 {
		pad = protocol.LargeMessageBytes + 1024
	}
	return s + strings.Repeat("x", pad)
}

// parse reads the stream and send number back from a message.
func parse(m protocol.Message) (stream, int, bool) {
	head, _, _ := strings.Cut(m.Content, " ")
	route, num, ok := strings.Cut(head, "#")
	from, to, ok2 := strings.Cut(route, ">")
	n, err := strconv.Atoi(num)
	if !ok || !ok2 || err != nil || from != m.From {
		return stream{}, 0, false
	}
	return stream{from, to}, n, true
}

func (l *ledger) ack(s stream, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.acked[s] == nil {
		l.acked[s] = map[int]bool{}
	}
	l.acked[s][n] = true
	l.ackedN++
}

func (l *ledger) fail() {
	l.mu.Lock()
	l.failed++
	l.mu.Unlock()
}

func (l *ledger) acks() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ackedN
}

func (l *ledger) problem(format string, args ...any) {
	if len(l.problems) < 20 {
		l.problems = append(l.problems, fmt.Sprintf(format, args...))
	}
}

// got records a message handed to reader. A message seen before (same id)
// is a redelivery of mail whose acknowledgement a kill cut off. A new one
// must come after everything seen of its stream: per-sender order.
func (l *ledger) got(reader string, m protocol.Message) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, n, ok := parse(m)
	if !ok || s.to != reader || m.To != reader {
		l.problem("%s was handed a message that is not for it or is garbled: id %d from %s to %s: %.60q", reader, m.ID, m.From, m.To, m.Content)
		return
	}
	a := l.received[s]
	if a == nil {
		a = &arrivals{byID: map[uint64]int{}, seen: map[int]uint64{}, top: -1}
		l.received[s] = a
	}
	if prev, ok := a.byID[m.ID]; ok {
		if prev != n {
			l.problem("message %d of %v changed from #%d to #%d", m.ID, s, prev, n)
		}
		l.dups++
		return
	}
	if id, ok := a.seen[n]; ok {
		l.problem("%v #%d stored twice, as messages %d and %d", s, n, id, m.ID)
		return
	}
	if n < a.top {
		l.problem("%v out of order: #%d arrived after #%d", s, n, a.top)
	}
	a.byID[m.ID], a.seen[n] = n, m.ID
	a.top = max(a.top, n)
	a.order = append(a.order, n)
}

// missing lists acknowledged sends no reader has been handed yet.
func (l *ledger) missing() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for s, ns := range l.acked {
		for n := range ns {
			if _, ok := l.received[s].seenN(n); !ok {
				out = append(out, fmt.Sprintf("%s>%s#%d", s.from, s.to, n))
			}
		}
	}
	sort.Strings(out)
	return out
}
