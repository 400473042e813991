package mcpshim

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
)

var updateSchemas = flag.Bool("update-schemas", false, "rewrite schemas.json from the tools' types")

// schemas.json must hold exactly the schemas the SDK would infer from the
// tools' input and output types; go test -update-schemas rewrites it.
func TestToolSchemasUpToDate(t *testing.T) {
	s := New(Options{})
	want := map[string]toolSchemas{}
	for name, infer := range s.infer {
		want[name] = mustInfer(name, infer)
	}
	if len(want) != 9 {
		t.Fatalf("%d tools registered, want 9", len(want))
	}
	b, err := json.MarshalIndent(want, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if *updateSchemas {
		if err := os.WriteFile("schemas.json", b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(b, schemasJSON) {
		t.Fatal("schemas.json is out of date with the tools' types: run go test ./internal/mcpshim -run TestToolSchemasUpToDate -update-schemas")
	}
}
