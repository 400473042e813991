package crashtest

import (
	"slices"
	"strings"
	"testing"

	"github.com/ipcd/ipcd/pkg/protocol"
)

func msg(id uint64, from, to string, n int) protocol.Message {
	return protocol.Message{ID: id, From: from, To: to, Content: content(from, to, n)}
}

// TestLedgerCatchesBrokenPromises: the checker itself must see loss,
// reordering, a send stored twice and garbled mail, and must allow
// redelivery and unacknowledged sends that never arrive.
func TestLedgerCatchesBrokenPromises(t *testing.T) {
	for _, tc := range []struct {
		name    string
		acked   []int
		got     []protocol.Message
		missing []string
		problem string
	}{
		{name: "all there, with a redelivery and an unacknowledged send lost",
			acked: []int{0, 1, 3},
			got:   []protocol.Message{msg(1, "s0", "r0", 0), msg(2, "s0", "r0", 1), msg(1, "s0", "r0", 0), msg(2, "s0", "r0", 1), msg(3, "s0", "r0", 3)}},
		{name: "an unacknowledged send that did arrive",
			acked: []int{0, 2},
			got:   []protocol.Message{msg(1, "s0", "r0", 0), msg(2, "s0", "r0", 1), msg(3, "s0", "r0", 2)}},
		{name: "loss", acked: []int{0, 1}, got: []protocol.Message{msg(1, "s0", "r0", 0)}, missing: []string{"s0>r0#1"}},
		{name: "order", acked: []int{0, 1},
			got: []protocol.Message{msg(2, "s0", "r0", 1), msg(1, "s0", "r0", 0)}, problem: "out of order"},
		{name: "stored twice", acked: []int{0},
			got: []protocol.Message{msg(1, "s0", "r0", 0), msg(2, "s0", "r0", 0)}, problem: "stored twice"},
		{name: "garbled", acked: []int{0},
			got: []protocol.Message{msg(1, "s0", "r0", 0), {ID: 2, From: "s0", To: "r0", Content: "junk"}}, problem: "garbled"},
		{name: "someone else's", acked: []int{0},
			got: []protocol.Message{msg(1, "s0", "r0", 0), msg(2, "s0", "r1", 0)}, problem: "not for it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLedger()
			for _, n := range tc.acked {
				l.ack(stream{"s0", "r0"}, n)
			}
			for _, m := range tc.got {
				l.got("r0", m)
			}
			if got := l.missing(); !slices.Equal(got, tc.missing) {
				t.Errorf("missing = %v, want %v", got, tc.missing)
			}
			switch {
			case tc.problem == "" && len(l.problems) > 0:
				t.Errorf("problems %v", l.problems)
			case tc.problem != "" && (len(l.problems) != 1 || !strings.Contains(l.problems[0], tc.problem)):
				t.Errorf("problems %v, want one about %q", l.problems, tc.problem)
			}
		})
	}
}
