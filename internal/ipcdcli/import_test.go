package ipcdcli

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/importer"
	"github.com/ipcd/ipcd/pkg/protocol"
)

const bulkRows = 30

// legacyDB writes the earlier tool's database at home's default path with
// ordinary and odd rows, and enough bulk that one import request could not
// carry it all under the test daemon's body limit.
func legacyDB(t *testing.T, home string) string {
	t.Helper()
	path := importer.DefaultPath(home)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, s := range importer.LegacySchema {
		exec(s)
	}
	for _, in := range [][2]string{{"alice", "2025-07-06T14:30:22.123456"}, {"bob", "2025-07-06T09:00:00"},
		{"bad name!", "2025-07-06T09:00:00"}, {"gemini", "last tuesday"}} {
		exec(`INSERT INTO instances VALUES (?, ?)`, in[0], in[1])
	}
	msg := `INSERT INTO messages (from_id, to_id, content, timestamp, data, read_flag) VALUES (?, ?, ?, ?, ?, ?)`
	exec(msg, "alice", "bob", "hello bob", "2025-07-06T14:30:22.123456", nil, 0)
	exec(msg, "bob", "alice", "already read", "2025-07-06T14:31:00", nil, 1)
	exec(msg, "alice", "bad name!", "to a bad name", "2025-07-06T14:32:00", nil, 0)
	exec(msg, "alice", "bob", strings.Repeat("huge ", 20<<10), "2025-07-06T14:33:00", nil, 0)
	exec(msg, "alice", "bob", "", "2025-07-06T14:34:00", nil, 0)
	exec(msg, "carol", "bob", "data is not JSON", "2025-07-06T14:35:00", "{not json", nil)
	for i := range bulkRows {
		exec(msg, "alice", "bob", fmt.Sprintf("bulk %02d %s", i, strings.Repeat("é", 10<<10)), "2025-07-06T15:00:00", nil, 0)
	}
	exec(msg, "alice", "dave", "waiting for dave", "garbage time", nil, 0)
	return path
}

func importReport(t *testing.T, w *world, args ...string) importer.Report {
	t.Helper()
	out, errOut, code := w.run(append([]string{"import", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("import %v: exit %d: %s", args, code, errOut)
	}
	var rep importer.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	return rep
}

func unread(t *testing.T, w *world) map[string]int {
	t.Helper()
	st, err := w.client().Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int{}
	for _, id := range st.Identities {
		m[id.Name] = id.Unread
	}
	return m
}

func TestImportFromEarlierTool(t *testing.T) {
	w := newWorld(t)
	// 64 KiB messages: the daemon takes request bodies up to 448 KiB, and
	// the bulk rows (30 of 20 KiB) need several requests.
	w.limits.MaxMessageBytes = 64 << 10
	w.start()
	legacyDB(t, w.home)

	dry := importReport(t, w, "--dry-run")
	if !dry.DryRun || !dry.Compared || dry.Messages.ToImport != bulkRows+3 || dry.Messages.Imported != bulkRows+3 ||
		dry.Messages.AlreadyRead != 1 || dry.Messages.Skipped != 3 || dry.Names.Created == 0 {
		t.Errorf("dry run: names %+v messages %+v", dry.Names, dry.Messages)
	}
	if got := unread(t, w); len(got) != 0 {
		t.Errorf("the dry run changed the daemon: %v", got)
	}

	first := importReport(t, w)
	if first.Messages.Imported != bulkRows+3 || first.Messages.AlreadyImported != 0 || first.Names.Created == 0 {
		t.Errorf("first import: names %+v messages %+v", first.Names, first.Messages)
	}
	codes := map[protocol.Code]int{}
	for _, s := range first.Skipped {
		codes[s.Code]++
	}
	if codes[protocol.CodeInvalidName] < 2 || codes[protocol.CodeMessageTooLarge] != 1 || codes[protocol.CodeEmptyMessage] != 1 {
		t.Errorf("skipped: %+v", first.Skipped)
	}
	want := map[string]int{"alice": 0, "bob": bulkRows + 2, "dave": 1}
	got := unread(t, w)
	for name, n := range want {
		if got[name] != n {
			t.Errorf("%s has %d unread, want %d (all: %v)", name, got[name], n, got)
		}
	}

	// Bob finds his mail in the earlier tool's order, whole.
	ck, err := w.as("bob").Check(context.Background(), protocol.CheckRequest{Peek: true, Full: true, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(ck.Messages) != bulkRows+2 || ck.Messages[0].Content != "hello bob" || ck.Messages[1].From != "carol" ||
		!strings.HasPrefix(ck.Messages[2].Content, "bulk 00 ") || !strings.HasPrefix(ck.Messages[bulkRows+1].Content, fmt.Sprintf("bulk %02d ", bulkRows-1)) {
		t.Errorf("bob's inbox has %d messages, starting %.20q", len(ck.Messages), ck.Messages[0].Content)
	}
	if n := len(ck.Messages[2].Content); n != len("bulk 00 ")+20<<10 {
		t.Errorf("a bulk message has %d bytes", n)
	}

	// Running it again changes nothing.
	out, errOut, code := w.run("import")
	if code != 0 {
		t.Fatalf("second import: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, fmt.Sprintf("Messages: 0 imported, %d already imported, 3 skipped; 1 already read", bulkRows+3)) ||
		!strings.Contains(out, "Names: 0 new") {
		t.Errorf("second import:\n%s", out)
	}
	if again := unread(t, w); again["bob"] != want["bob"] || again["dave"] != want["dave"] {
		t.Errorf("the second import changed the inboxes: %v", again)
	}
	// A dry run now finds nothing left to import.
	out, errOut, code = w.run("import", "--dry-run")
	if code != 0 || !strings.Contains(out, "counted by the running daemon") ||
		!strings.Contains(out, fmt.Sprintf("Messages: 0 to import, %d already imported", bulkRows+3)) || !strings.Contains(out, "Names: 0 new") {
		t.Errorf("dry run after the import: exit %d %s\n%s", code, errOut, out)
	}
}

func TestImportErrors(t *testing.T) {
	w := newWorld(t)
	_, errOut, code := w.run("import", "--dry-run")
	if code != cli.ExitFailure || !strings.Contains(errOut, "nothing to import") {
		t.Errorf("no database: exit %d %s", code, errOut)
	}
	legacyDB(t, w.home)
	// No daemon, and no ipcd binary to start one with.
	_, errOut, code = w.run("import")
	if code != cli.ExitFailure || !strings.Contains(errOut, "start the daemon") {
		t.Errorf("daemon down: exit %d %s", code, errOut)
	}
	notDB := filepath.Join(w.dir, "notes.txt")
	os.WriteFile(notDB, []byte("just text"), 0o600)
	_, errOut, code = w.run("import", "--dry-run", notDB)
	if code != cli.ExitFailure || !strings.Contains(errOut, "not a database of the earlier Python tool") {
		t.Errorf("not a database: exit %d %s", code, errOut)
	}
}

// With no daemon running, the import starts one (this test binary, turned
// into "ipcd run" in the child) and imports into it; a dry run starts none.
func TestImportStartsTheDaemon(t *testing.T) {
	w := newWorld(t)
	w.ipcdIsThisBinary()
	legacyDB(t, w.home)

	if _, errOut, code := w.run("import", "--dry-run"); code != 0 || strings.Contains(errOut, "started") {
		t.Fatalf("dry run: exit %d: %s", code, errOut)
	}
	if _, err := w.client().Health(context.Background()); !client.IsDown(err) {
		t.Fatalf("after a dry run: health %v, want the daemon down", err)
	}

	out, errOut, code := w.run("import")
	t.Cleanup(func() { stopStarted(t, w) })
	if code != 0 || !strings.Contains(errOut, "No daemon was running; started one") {
		t.Fatalf("import: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	// Under the default 1 MiB limit bob's large message is imported too.
	if got := unread(t, w); got["bob"] != bulkRows+3 || got["dave"] != 1 {
		t.Errorf("unread after the import: %v", got)
	}
}

// stopStarted stops a daemon that a command started detached, and waits
// until it has let go of the data dir.
func stopStarted(t *testing.T, w *world) {
	c := w.client()
	st, err := c.Status(context.Background())
	if err != nil {
		t.Errorf("status of the started daemon: %v", err)
		return
	}
	p, err := os.FindProcess(st.PID)
	if err != nil {
		t.Error(err)
		return
	}
	p.Signal(os.Interrupt)
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := c.Health(context.Background()); client.IsDown(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("the started daemon (pid %d) did not stop", st.PID)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Health goes down when the listener closes; the store closes after.
	for p.Signal(syscall.Signal(0)) == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRequestBudget(t *testing.T) {
	if got := requestBudget(1 << 20); got != 1<<20 {
		t.Errorf("budget at the default limit: %d", got)
	}
	if got := requestBudget(64 << 10); got != 192<<10 {
		t.Errorf("budget at 64 KiB: %d", got)
	}
	if got := requestBudget(1 << 10); got != 64<<10 {
		t.Errorf("budget at 1 KiB: %d", got)
	}
}
