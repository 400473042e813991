package store

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// FetchJSON hands over exactly what Fetch decodes, without from_id.
func TestFetchJSONMatchesFetch(t *testing.T) {
	s, clk, _ := openTest(t, Options{})
	mustRegister(t, s, "a", "b", "c")
	first := mustSend(t, s, "a", "b", "plain")
	sends := []SendParams{
		{From: "a", To: "b", Content: `<b>tags & "quotes"</b> \ and é ✓ and \u2028`},
		{From: "c", To: "b", Content: "a reply", ReplyTo: first.Message.ID},
		{From: "a", To: "b", Content: "with data", Data: json.RawMessage(`{"x": 1, "from_id": 5}`)},
		{From: "a", To: "b", Content: strings.Repeat("large ", 3000), File: "/tmp/large-file"},
	}
	for _, p := range sends {
		if _, err := s.Send(p); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Broadcast(BroadcastParams{From: "c", Content: "to all"}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Hour)
	if _, err := s.Rename(RenameParams{Name: "b", NewName: "bb", Cooldown: time.Hour, Forward: 2 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	mustSend(t, s, "a", "b", "via the old name")
	for _, after := range []uint64{0, 2} {
		for _, limit := range []int{1, 3, 100} {
			want, err := s.Fetch("bb", after, limit)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.FetchJSON("bb", after, limit)
			if err != nil {
				t.Fatal(err)
			}
			if got.Through != want.Through || got.Unread != want.Unread || got.More != want.More || len(got.Messages) != len(want.Messages) {
				t.Fatalf("after %d limit %d: got %d messages through %d unread %d more %v, want %d through %d unread %d more %v",
					after, limit, len(got.Messages), got.Through, got.Unread, got.More, len(want.Messages), want.Through, want.Unread, want.More)
			}
			for i, raw := range got.Messages {
				var fields map[string]json.RawMessage
				if err := json.Unmarshal(raw, &fields); err != nil {
					t.Fatalf("message %d is not a JSON object: %v\n%s", i, err, raw)
				}
				if _, ok := fields["from_id"]; ok {
					t.Errorf("message %d carries from_id: %s", i, raw)
				}
				var m protocol.Message
				if err := json.Unmarshal(raw, &m); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want.Messages[i], m); diff != "" {
					t.Errorf("message %d (-Fetch +FetchJSON):\n%s", i, diff)
				}
			}
		}
	}
}

func TestWireJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"id":1,"size":3,"from_id":12}`, `{"id":1,"size":3}`},
		{`{"id":1,"size":3}`, `{"id":1,"size":3}`},
		{`{"id":1,"data":{"from_id":5},"size":3}`, `{"id":1,"data":{"from_id":5},"size":3}`},
		{`{"id":1,"data":{"a":1,"from_id":5},"size":3}`, `{"id":1,"data":{"a":1,"from_id":5},"size":3}`},
		{`{"id":1,"content":"x,\"from_id\":7}","size":3,"from_id":9}`, `{"id":1,"content":"x,\"from_id\":7}","size":3}`},
	}
	for _, tt := range tests {
		if got := string(wireJSON([]byte(tt.in))); got != tt.want {
			t.Errorf("wireJSON(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
