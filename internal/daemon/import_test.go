package daemon_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipcd/ipcd/internal/daemon"
	"github.com/ipcd/ipcd/internal/paths"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// An import is checked whole before anything is written: a name that is
// no name (a path, say) is refused with its code, creates no identity, and
// writes no large-message file, inside the data dir or out of it.
func TestImportRefusedBeforeWriting(t *testing.T) {
	td := startDaemon(t, nil)
	c := td.client()
	large := strings.Repeat("x", protocol.LargeMessageBytes+1)
	msg := func(key, from, to string) protocol.ImportMessage {
		return protocol.ImportMessage{Key: key, From: from, To: to, Content: large}
	}
	for _, tc := range []struct {
		name string
		req  protocol.ImportRequest
		want protocol.Code
	}{
		{"sender is a path", protocol.ImportRequest{Names: []protocol.ImportName{{Name: "early"}},
			Messages: []protocol.ImportMessage{msg("k1", "/../../../escape", "bob")}}, protocol.CodeInvalidName},
		{"recipient is a path", protocol.ImportRequest{Names: []protocol.ImportName{{Name: "early"}},
			Messages: []protocol.ImportMessage{msg("k2", "alice", "../bob")}}, protocol.CodeInvalidName},
		{"a good message, then a bad one", protocol.ImportRequest{Names: []protocol.ImportName{{Name: "early"}},
			Messages: []protocol.ImportMessage{msg("k3", "alice", "bob"), msg("k4", "alice", "bad name")}}, protocol.CodeInvalidName},
		{"no key", protocol.ImportRequest{Messages: []protocol.ImportMessage{msg("", "alice", "bob")}}, protocol.CodeInvalidArgument},
		{"bad name in the names", protocol.ImportRequest{Names: []protocol.ImportName{{Name: "ok"}, {Name: "a/b"}}}, protocol.CodeInvalidName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Import(bg, tc.req)
			wantCode(t, err, tc.want)
		})
	}
	st, err := c.Status(bg)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Identities) != 0 {
		t.Errorf("refused imports created identities: %+v", st.Identities)
	}
	root := filepath.Dir(td.cfg.DataDir)
	filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() && strings.HasSuffix(p, ".md") {
			t.Errorf("a refused import left %s", p)
		}
		return nil
	})

	// The same message with good names goes in, its content in a file.
	resp, err := c.Import(bg, protocol.ImportRequest{Messages: []protocol.ImportMessage{msg("k5", "alice", "bob")}})
	if err != nil || resp.MessagesImported != 1 {
		t.Fatalf("import = %+v, %v", resp, err)
	}
	files, _ := os.ReadDir(filepath.Join(td.cfg.DataDir, paths.LargeDir))
	if len(files) != 1 || !strings.Contains(files[0].Name(), "_alice_bob_") {
		t.Errorf("large-message files: %v", files)
	}
}

// A key given twice in one import is stored once, with one file; an
// import refused whole (the store at its size cap) creates no names.
func TestImportDuplicatesAndRefusal(t *testing.T) {
	td := startDaemon(t, func(c *daemon.Config) {
		c.Limits.MaxDBBytes = 1 << 20
		c.Limits.MaxMessageBytes = 4 << 20
	})
	c := td.client()
	large := strings.Repeat("x", protocol.LargeMessageBytes+1)
	resp, err := c.Import(bg, protocol.ImportRequest{Messages: []protocol.ImportMessage{
		{Key: "d1", From: "alice", To: "bob", Content: large},
		{Key: "d1", From: "alice", To: "bob", Content: large},
	}})
	if err != nil || resp.MessagesImported != 1 {
		t.Fatalf("import = %+v, %v", resp, err)
	}
	if files, _ := os.ReadDir(filepath.Join(td.cfg.DataDir, paths.LargeDir)); len(files) != 1 {
		t.Errorf("%d large-message files for one message", len(files))
	}

	_, err = c.Import(bg, protocol.ImportRequest{
		Names:    []protocol.ImportName{{Name: "newbie"}},
		Messages: []protocol.ImportMessage{{Key: "big", From: "alice", To: "bob", Content: strings.Repeat("y", 2<<20)}},
	})
	wantCode(t, err, protocol.CodeStorageFull)
	st, err := c.Status(bg)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range st.Identities {
		if id.Name == "newbie" {
			t.Fatal("a refused import created a name")
		}
	}
	if files, _ := os.ReadDir(filepath.Join(td.cfg.DataDir, paths.LargeDir)); len(files) != 1 {
		t.Errorf("the refused import left its file: %d files", len(files))
	}
}

// A dry run is checked as an import is and counts what would be new,
// a name or key twice in it once, and writes nothing: no name, no mail, no
// large-message file.
func TestImportDryRun(t *testing.T) {
	td := startDaemon(t, nil)
	c := td.client()
	if _, err := c.Import(bg, protocol.ImportRequest{
		Names:    []protocol.ImportName{{Name: "alice"}},
		Messages: []protocol.ImportMessage{{Key: "k1", From: "alice", To: "bob", Content: "imported before"}},
	}); err != nil {
		t.Fatal(err)
	}
	large := strings.Repeat("x", protocol.LargeMessageBytes+1)
	req := protocol.ImportRequest{
		Names: []protocol.ImportName{{Name: "alice"}, {Name: "zoe"}, {Name: "zoe"}},
		Messages: []protocol.ImportMessage{
			{Key: "k1", From: "alice", To: "bob", Content: "imported before"},
			{Key: "k2", From: "zoe", To: "bob", Content: large},
			{Key: "k2", From: "zoe", To: "bob", Content: large},
			{Key: "k3", From: "zoe", To: "carol", Content: "new"},
		},
		DryRun: true,
	}
	resp, err := c.Import(bg, req)
	if err != nil || resp.NamesCreated != 1 || resp.MessagesImported != 2 {
		t.Fatalf("dry run = %+v, %v; want 1 name and 2 messages", resp, err)
	}
	st, err := c.Status(bg)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range st.Identities {
		if id.Name == "zoe" || id.Name == "carol" || (id.Name == "bob" && id.Unread != 1) {
			t.Errorf("the dry run wrote: %+v", id)
		}
	}
	if files, _ := os.ReadDir(filepath.Join(td.cfg.DataDir, paths.LargeDir)); len(files) != 0 {
		t.Errorf("the dry run wrote %d large-message files", len(files))
	}
	// It is refused as the import would be.
	req.Messages = append(req.Messages, protocol.ImportMessage{Key: "k4", From: "../x", To: "bob", Content: "x"})
	_, err = c.Import(bg, req)
	wantCode(t, err, protocol.CodeInvalidName)
}
