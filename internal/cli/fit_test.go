package cli

import (
	"strings"
	"testing"

	"github.com/ipcd/ipcd/pkg/protocol"
)

func TestFitMail(t *testing.T) {
	mail := func(sizes ...int) protocol.CheckResponse {
		res := protocol.CheckResponse{Unread: len(sizes), Through: uint64(len(sizes))}
		for i, n := range sizes {
			res.Messages = append(res.Messages, protocol.Message{Seq: uint64(i + 1), Content: strings.Repeat("x", n)})
		}
		return res
	}
	render := func(res protocol.CheckResponse) string {
		var b strings.Builder
		for _, m := range res.Messages {
			b.WriteString(m.Content + "\n")
		}
		return b.String()
	}
	for _, tc := range []struct {
		name     string
		in       protocol.CheckResponse
		wantN    int
		wantFits bool
	}{
		{"no mail", mail(), 0, true},
		{"all fit", mail(10, 20, 30), 3, true},
		{"exactly the budget", mail(49, 50), 2, true},
		{"the first two fit", mail(40, 40, 40, 40), 2, true},
		{"the oldest alone is too long", mail(150, 10), 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, fits := FitMail(tc.in, 101, render)
			if len(got.Messages) != tc.wantN || fits != tc.wantFits {
				t.Fatalf("kept %d (fits %v), want %d (fits %v)", len(got.Messages), fits, tc.wantN, tc.wantFits)
			}
			cut := tc.wantN < len(tc.in.Messages)
			if got.More != cut {
				t.Errorf("More = %v with %d of %d kept", got.More, tc.wantN, len(tc.in.Messages))
			}
			if wantThrough := tc.in.Through; cut {
				if wantThrough = uint64(tc.wantN); got.Through != wantThrough {
					t.Errorf("Through = %d, want %d", got.Through, wantThrough)
				}
			} else if got.Through != wantThrough {
				t.Errorf("Through = %d, want %d", got.Through, wantThrough)
			}
		})
	}
}
