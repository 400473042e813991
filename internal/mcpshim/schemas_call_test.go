package mcpshim_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// Tool arguments are validated against the stored schemas before any
// handler runs, as the SDK's typed tools validate them: a missing required
// argument, an unknown one, a wrong type and a wrongly cased name are each
// refused with a sentence naming the problem.
func TestToolArgumentsValidated(t *testing.T) {
	td := startDaemon(t)
	sh := td.shim(shimOpts{name: "alice"})
	for _, tc := range []struct {
		what string
		args any
		want string
	}{
		{"missing required", map[string]any{"message": "hi"}, `validating "arguments"`},
		{"unknown argument", map[string]any{"to": "bob", "message": "hi", "colour": "red"}, `validating "arguments"`},
		{"wrong type", map[string]any{"to": 7, "message": "hi"}, `validating "arguments"`},
		{"wrong case", map[string]any{"To": "bob", "message": "hi"}, `validating "arguments"`},
	} {
		msg := sh.fails(t, "send", tc.args)
		if !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %q, want it to contain %q", tc.what, msg, tc.want)
		}
	}
	// A valid call answers with structured content, and the same JSON as
	// its text when the tool adds no text of its own.
	res := sh.call(t, "list_instances", map[string]any{}, nil)
	if res.IsError {
		t.Fatalf("list_instances: %s", text(res))
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil || !strings.Contains(string(b), `"instances"`) {
		t.Fatalf("structured content %s (%v)", b, err)
	}
}

// tools/list carries every tool with its input and output schema.
func TestToolListSchemas(t *testing.T) {
	td := startDaemon(t)
	sh := td.shim(shimOpts{name: "alice"})
	res, err := sh.cs.ListTools(bg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tools) != 9 {
		t.Fatalf("%d tools, want 9", len(res.Tools))
	}
	for _, tool := range res.Tools {
		in, _ := json.Marshal(tool.InputSchema)
		out, _ := json.Marshal(tool.OutputSchema)
		if !strings.Contains(string(in), `"type":"object"`) {
			t.Errorf("%s: input schema %s", tool.Name, in)
		}
		if !strings.Contains(string(out), `"type":"object"`) {
			t.Errorf("%s: output schema %s", tool.Name, out)
		}
	}
}
