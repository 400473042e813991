package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ipcd/ipcd/pkg/protocol"
)

func TestWriteText(t *testing.T) {
	r := &Report{
		Path:     "/home/u/.claude-ipc-data/messages.db",
		Names:    NameCounts{Found: 2, Created: 1, AlreadyKnown: 1, Skipped: 1},
		Messages: MessageCounts{Rows: 6, AlreadyRead: 2, Skipped: 1, ToImport: 3, Imported: 2, AlreadyImported: 1},
		Skipped: []Skip{
			{Name: "evil\x1b[31m", Code: protocol.CodeInvalidName, Reason: "bad"},
			{Row: 9, Code: protocol.CodeMessageTooLarge, Reason: "too large"},
		},
		Notes:       []Note{{Row: 3, Code: NoteBadData, Text: "dropped"}},
		NotImported: []string{"name_history: 1 rename(s)"},
	}
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `Import from /home/u/.claude-ipc-data/messages.db
Names: 1 new, 1 already known, 1 skipped
Messages: 2 imported, 1 already imported, 1 skipped; 2 already read, skipped
Skipped (2):
  name "evil\x1b[31m": bad
  row 9: too large
Notes (1):
  row 3: dropped
Not imported:
  name_history: 1 rename(s)
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("WriteText (-want +got):\n%s", diff)
	}
}

func TestPreview(t *testing.T) {
	path := filepath.Join(t.TempDir(), "messages.db")
	legacyDB(t, path, [][2]string{{"claude", "2025-07-06T14:30:22"}}, []row{
		{id: 1, from: "barney", to: "claude", content: "hi", timestamp: "2025-07-06T14:30:22"},
		{id: 2, from: "barney", to: "claude", content: "seen", timestamp: "2025-07-06T14:30:23", readFlag: flag(1)},
	})
	src, err := Read(context.Background(), Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := src.Preview().WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := "Dry run of the import from " + path + " (nothing was sent; no daemon runs, so what it may already hold is counted too)\n" +
		"Names: 1 to import, 0 skipped\n" +
		"Messages: 1 to import, 0 skipped; 1 already read, skipped\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("Preview text (-want +got):\n%s", diff)
	}

	// An empty report marshals with empty lists, not nulls.
	j, err := json.Marshal(src.Preview())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"skipped":[]`, `"notes":[]`, `"dry_run":true`, `"to_import":1`} {
		if !strings.Contains(string(j), s) {
			t.Errorf("JSON %s lacks %s", j, s)
		}
	}
}
