package daemon

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/ipcd/ipcd/internal/clock"
	"github.com/ipcd/ipcd/internal/store"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// checkAnswer stands in for protocol.CheckResponse on the wire: the same
// JSON names, in the same order, with the same options.
func TestCheckAnswerShape(t *testing.T) {
	a, p := reflect.TypeFor[checkAnswer](), reflect.TypeFor[protocol.CheckResponse]()
	if a.NumField() != p.NumField() {
		t.Fatalf("checkAnswer has %d fields, protocol.CheckResponse %d", a.NumField(), p.NumField())
	}
	for i := range a.NumField() {
		fa, fp := a.Field(i), p.Field(i)
		if fa.Name != fp.Name || fa.Tag.Get("json") != fp.Tag.Get("json") {
			t.Errorf("field %d: checkAnswer has %s %q, protocol.CheckResponse %s %q",
				i, fa.Name, fa.Tag.Get("json"), fp.Name, fp.Tag.Get("json"))
		}
		if fa.Name != "Messages" && fa.Type != fp.Type {
			t.Errorf("field %s: %v against %v", fa.Name, fa.Type, fp.Type)
		}
	}
}

// writeCheck writes the very bytes writeJSON would, for messages as the
// store hands them over and as readJSON summarises them.
func TestCheckAnswerJSON(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "ipc.db"), store.Options{Clock: clock.Real{}, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, n := range []string{"alice", "bob"} {
		if _, err := s.Register(n); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []store.SendParams{
		{From: "alice", To: "bob", Content: "plain"},
		{From: "alice", To: "bob", Content: `<b>&"quotes"\ and \u2028 line sep ` + "\u2028 é 😀\n\ttab", ReplyTo: 1},
		{From: "alice", To: "bob", Content: "with data", Data: json.RawMessage(`{"k": [1, 2.5, "<x>"], "n": null}`)},
		{From: "alice", To: "bob", Content: strings.Repeat("long ", protocol.LargeMessageBytes/4)},
	} {
		if _, err := s.Send(p); err != nil {
			t.Fatal(err)
		}
	}
	d := &Daemon{store: s}
	var cases []checkAnswer
	for _, req := range []protocol.CheckRequest{{}, {Full: true}, {Limit: 2}} {
		a, err := d.readJSON("bob", req, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Messages) == 0 {
			t.Fatalf("%+v: no messages", req)
		}
		cases = append(cases, a)
	}
	cases = append(cases,
		checkAnswer{Messages: []json.RawMessage{}},
		checkAnswer{Messages: []json.RawMessage{}, Unread: 3, TimedOut: true},
		checkAnswer{Messages: cases[0].Messages[:1], Through: 1 << 60, Unread: 12, More: true, TimedOut: true},
		checkAnswer{Messages: []json.RawMessage{nil, cases[0].Messages[0]}},
	)
	for i, a := range cases {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(a); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		if err := writeCheck(rec, a); err != nil {
			t.Fatal(err)
		}
		if got := rec.Body.String(); got != want.String() {
			t.Errorf("case %d:\n got %s\nwant %s", i, got, want.String())
		}
		if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(rec.Body.Len()) {
			t.Errorf("case %d: Content-Length %s for %d bytes", i, cl, rec.Body.Len())
		}
	}
}
