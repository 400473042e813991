package shimcli

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzHookInput feeds the hook's stdin parser anything: it must never
// panic, must accept only objects that name an event, and whatever it
// builds from the event must encode as one JSON object.
func FuzzHookInput(f *testing.F) {
	for _, s := range []string{
		`{"session_id":"abc","transcript_path":"/t.jsonl","cwd":"/","hook_event_name":"UserPromptSubmit","prompt":"hi"}`,
		`{"hook_event_name":"Stop","stop_hook_active":true}`,
		`{"hook_event_name":"AfterAgent","prompt":"p","prompt_response":"r","stop_hook_active":false}`,
		`{"hook_event_name":"SessionStart","source":"resume"}`,
		`{"hook_event_name":"BeforeAgent","timestamp":"2026-11-25T09:00:00Z"}`,
		`{}`, `[]`, `null`, ``, `{"hook_event_name":7}`, `{"hook_event_name":"Stop","stop_hook_active":"yes"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := parseHookInput(data)
		if err != nil {
			return
		}
		if in.HookEventName == "" {
			t.Fatal("accepted an event with no name")
		}
		ev := hookEvents[in.HookEventName]
		out := withContext(in.HookEventName, string(data))
		if ev.moment == momentStop {
			out = &hookOutput{Decision: ev.block, Reason: string(data)}
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			t.Fatal(err)
		}
		var back map[string]any
		if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, buf.Bytes())
		}
	})
}
