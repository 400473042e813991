package protocol_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ipcd/ipcd/pkg/protocol"
)

var sentAt = time.Date(2026, 11, 26, 5, 16, 27, 817696740, time.UTC)

// roundTrip marshals v, compares the JSON with want (the field names of
// docs/protocol.md), decodes it strictly into a new T and compares that
// with v.
func roundTrip[T any](t *testing.T, v T, want string) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Errorf("JSON of %T:\n got %s\nwant %s", v, b, want)
	}
	var back T
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatalf("decode %T: %v", v, err)
	}
	if diff := cmp.Diff(v, back); diff != "" {
		t.Errorf("%T round trip (-sent +decoded):\n%s", v, diff)
	}
}

func TestMessageJSON(t *testing.T) {
	t.Run("every field", func(t *testing.T) {
		roundTrip(t, protocol.Message{
			ID: 9, Seq: 6, Kind: protocol.KindMessage, From: "alice", To: "robert", SentTo: "bob",
			Content: "# Report", SentAt: sentAt, ReplyTo: 4, Broadcast: true,
			Data: json.RawMessage(`{"ci":"green"}`), Size: 20009,
			File: "/data/large-messages/20261126-051631_alice_robert_4260dc44337b.md", Truncated: true,
		}, `{"id":9,"seq":6,"kind":"message","from":"alice","to":"robert","sent_to":"bob","content":"# Report",`+
			`"sent_at":"2026-11-26T05:16:27.81769674Z","reply_to":4,"broadcast":true,"data":{"ci":"green"},"size":20009,`+
			`"file":"/data/large-messages/20261126-051631_alice_robert_4260dc44337b.md","truncated":true}`)
	})
	t.Run("optional fields left out", func(t *testing.T) {
		roundTrip(t, protocol.Message{
			ID: 1, Seq: 1, Kind: protocol.KindMessage, From: "alice", To: "bob",
			Content: "Can you review PR 42?", SentAt: sentAt, Size: 21,
		}, `{"id":1,"seq":1,"kind":"message","from":"alice","to":"bob","content":"Can you review PR 42?",`+
			`"sent_at":"2026-11-26T05:16:27.81769674Z","size":21}`)
	})
	t.Run("system message", func(t *testing.T) {
		roundTrip(t, protocol.Message{
			ID: 6, Seq: 2, Kind: protocol.KindSystem, From: protocol.SystemName, To: "alice",
			Content: "bob is now named robert.", SentAt: sentAt, Size: 24,
		}, `{"id":6,"seq":2,"kind":"system","from":"system","to":"alice","content":"bob is now named robert.",`+
			`"sent_at":"2026-11-26T05:16:27.81769674Z","size":24}`)
	})
}

// The embedded structs are flattened on the wire, as docs/protocol.md
// shows: wait takes the check fields at the top level, and autocheck/run
// answers with them there.
func TestEmbeddedFieldsAreFlat(t *testing.T) {
	roundTrip(t, protocol.WaitRequest{
		CheckRequest: protocol.CheckRequest{Ack: 2, Peek: true, Limit: 10, Full: true},
		TimeoutMS:    30000, After: 3,
	}, `{"ack":2,"peek":true,"limit":10,"full":true,"timeout_ms":30000,"after":3}`)

	roundTrip(t, protocol.AutoCheckRunRequest{
		CheckRequest: protocol.CheckRequest{Ack: 1}, Force: true,
	}, `{"ack":1,"force":true}`)

	roundTrip(t, protocol.AutoCheckRunResponse{
		Due:       true,
		AutoCheck: protocol.AutoCheck{Enabled: true, IntervalMinutes: 10},
		CheckResponse: protocol.CheckResponse{
			Messages: []protocol.Message{}, Unread: 2, Through: 5, More: true,
		},
	}, `{"due":true,"auto_check":{"enabled":true,"interval_minutes":10},"messages":[],"through":5,"unread":2,"more":true}`)
}

func TestRequestJSON(t *testing.T) {
	roundTrip(t, protocol.RegisterRequest{Name: "alice", Nonce: "n", Proof: "p", Takeover: true},
		`{"name":"alice","nonce":"n","proof":"p","takeover":true}`)
	roundTrip(t, protocol.RegisterRequest{Name: "alice"}, `{"name":"alice"}`)
	roundTrip(t, protocol.SendRequest{To: "bob", Content: "hi", ReplyTo: 1, Data: json.RawMessage(`{"k":1}`)},
		`{"to":"bob","content":"hi","reply_to":1,"data":{"k":1}}`)
	roundTrip(t, protocol.CheckRequest{}, `{}`)
	roundTrip(t, protocol.AckRequest{Through: 2}, `{"through":2}`)
	roundTrip(t, protocol.HistoryRequest{Limit: 5, Before: 9, Full: true}, `{"limit":5,"before":9,"full":true}`)
	roundTrip(t, protocol.RenameRequest{NewName: "robert"}, `{"new_name":"robert"}`)
	roundTrip(t, protocol.AutoCheckRequest{Enabled: false}, `{"enabled":false}`)
	roundTrip(t, protocol.AdminRequest{Nonce: "n", Proof: "p"}, `{"nonce":"n","proof":"p"}`)
}

func TestResponseJSON(t *testing.T) {
	roundTrip(t, protocol.RegisterResponse{Name: "alice", Token: "ipcd_x", IdleTimeoutSeconds: 86400, Unread: 3, TookOver: true},
		`{"name":"alice","token":"ipcd_x","idle_timeout_seconds":86400,"unread":3,"took_over":true}`)
	roundTrip(t, protocol.SendResponse{ID: 7, To: "robert", SentTo: "bob", SentAt: sentAt, Pending: true, Size: 12, File: "/f", Unread: 2},
		`{"id":7,"to":"robert","sent_to":"bob","sent_at":"2026-11-26T05:16:27.81769674Z","pending":true,"size":12,"file":"/f","unread":2}`)
	roundTrip(t, protocol.CheckResponse{Messages: []protocol.Message{}, Unread: 0, TimedOut: true},
		`{"messages":[],"unread":0,"timed_out":true}`)
	roundTrip(t, protocol.BroadcastResponse{
		Deliveries: []protocol.Delivery{},
		Skipped:    []protocol.Skipped{{To: "bob", Code: protocol.CodeInboxFull, Message: "full"}},
		SentAt:     sentAt, Size: 9,
	}, `{"deliveries":[],"skipped":[{"to":"bob","code":"inbox_full","message":"full"}],"sent_at":"2026-11-26T05:16:27.81769674Z","size":9}`)
	roundTrip(t, protocol.RenameResponse{Name: "robert", OldName: "bob", ForwardUntil: sentAt},
		`{"name":"robert","old_name":"bob","forward_until":"2026-11-26T05:16:27.81769674Z"}`)
	roundTrip(t, protocol.HealthResponse{OK: true, Version: "0.1.0-dev", API: protocol.APIVersion, Mode: protocol.ModeSecure},
		`{"ok":true,"version":"0.1.0-dev","api":1,"mode":"secure"}`)
	roundTrip(t, protocol.Event{Time: sentAt, Type: protocol.EventRename, Name: "georgina", OldName: "gina"},
		`{"time":"2026-11-26T05:16:27.81769674Z","type":"rename","name":"georgina","old_name":"gina"}`)
}

// A client decodes answers leniently: fields added to a response in a
// later release must not break it (docs/protocol.md, Versioning).
func TestUnknownResponseFieldsIgnored(t *testing.T) {
	var m protocol.Message
	if err := json.Unmarshal([]byte(`{"id":1,"seq":1,"kind":"message","from":"a","to":"b","content":"x","size":1,"new_field":true}`), &m); err != nil {
		t.Fatal(err)
	}
	if m.ID != 1 || m.Content != "x" {
		t.Errorf("decoded %+v", m)
	}
}

func TestAPIConstants(t *testing.T) {
	if protocol.APIVersion != 1 {
		t.Errorf("APIVersion = %d; docs/protocol.md documents version 1", protocol.APIVersion)
	}
	if protocol.HeaderAuthorization != "Authorization" || protocol.HeaderName != "Ipc-Name" {
		t.Errorf("headers are %q and %q", protocol.HeaderAuthorization, protocol.HeaderName)
	}
	if protocol.LargeMessageBytes != 10240 || protocol.SummaryBytes != 500 || protocol.MaxWaitMS != 600000 {
		t.Errorf("documented constants changed: large %d, summary %d, max wait %d",
			protocol.LargeMessageBytes, protocol.SummaryBytes, protocol.MaxWaitMS)
	}
	if protocol.AutoCheckMinMinutes != 1 || protocol.AutoCheckMaxMinutes != 60 || protocol.AutoCheckDefaultMinutes != 5 {
		t.Errorf("auto-check bounds are %d..%d, default %d", protocol.AutoCheckMinMinutes,
			protocol.AutoCheckMaxMinutes, protocol.AutoCheckDefaultMinutes)
	}
}
