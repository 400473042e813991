package importer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ipcd/ipcd/pkg/protocol"
)

var (
	zone       = time.FixedZone("UTC+2", 2*3600)
	importTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

// fixture is a realistic database of the earlier tool with every oddity the
// importer must handle.
type fixture struct {
	home, dbPath, bigPath, notOurs, missing string
	bigContent                              string
}

// summary is what the earlier tool kept in place of a large message.
func summary(path string) string {
	return "Debug output shows memory leak in the worker. It grows per request. Full content saved to: " + path
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	home := t.TempDir()
	f := fixture{home: home, dbPath: DefaultPath(home)}
	dataDir := filepath.Dir(f.dbPath)
	f.bigContent = strings.Repeat("Debug output line: memory grows by 4 KiB per request.\n", 400) + "end of log ünïcode ✓"
	f.bigPath = largeMessageFile(t, dataDir, "20250706-143022_barney_claude_message.md", "barney", "claude", f.bigContent)
	f.notOurs = filepath.Join(home, "secrets.txt")
	if err := os.WriteFile(f.notOurs, []byte("api_key=do-not-import\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.missing = filepath.Join(dataDir, "large-messages", "20250706-150000_barney_claude_message.md")
	missing := f.missing
	long40 := strings.Repeat("n", 40)

	instances := [][2]string{
		{"claude", "2025-07-06T14:30:22.123456"},
		{"barney", "2025-07-06T09:00:00"},
		{"gemini", "last tuesday"},
		{"bad name!", "2025-07-06T09:00:00"},
		{long40, "2025-07-06T09:00:00"},
		{"system", "2025-07-06T09:00:00"},
	}
	rows := []row{
		{id: 1, from: "barney", to: "claude", content: "Welcome to the team! I'm Barney.", timestamp: "2025-07-06T14:30:22.123456"},
		{id: 2, from: "claude", to: "barney", content: "Thanks, read already", timestamp: "2025-07-06T14:31:00.000001", readFlag: flag(1)},
		{id: 3, from: "claude", to: "barney", content: "NULL read flag means unread", timestamp: "2025-07-06T14:32:00", readFlag: flag(0), data: str(`{"task": "review", "files": ["a.go", "b.go"]}`)},
		{id: 4, from: "claude", to: "bad name!", content: "to a bad name", timestamp: "2025-07-06T14:33:00"},
		{id: 5, from: "system", to: "claude", content: "pretending to be the daemon", timestamp: "2025-07-06T14:34:00"},
		{id: 6, from: "barney", to: "claude", content: strings.Repeat("x", 2<<20), timestamp: "2025-07-06T14:35:00"},
		{id: 7, from: "claude", to: "fred-debugging", content: "héllo 世界 🎉 for someone not in instances", timestamp: "2025-07-06T14:36:00"},
		{id: 8, from: "barney", to: "claude", content: "data is not JSON", timestamp: "2025-07-06T14:37:00.5", data: str(`{not json`)},
		{id: 9, from: "barney", to: "claude", content: "data is an array", timestamp: "2025-07-06T14:38:00", data: str(`[1, 2]`)},
		{id: 10, from: "gemini", to: "claude", content: "garbage timestamp", timestamp: "yesterday-ish"},
		{id: 11, from: "barney", to: "claude", content: summary(f.bigPath), timestamp: "2025-07-06T14:40:00.250000",
			summary: str("Debug output shows memory leak in the worker. It grows per request."), large: str(f.bigPath),
			data: str(`{"large_message_file": "` + f.bigPath + `", "original_size_kb": 21.6}`)},
		{id: 12, from: "barney", to: "claude", content: summary(missing), timestamp: "2025-07-06T14:41:00", large: str(missing)},
		{id: 13, from: "barney", to: "claude", content: summary(f.notOurs), timestamp: "2025-07-06T14:42:00", large: str(f.notOurs)},
		{id: 14, from: "claude", to: "barney", content: "", timestamp: "2025-07-06T14:43:00"},
		{id: 15, from: "claude", to: "barney", content: " \n\t", timestamp: "2025-07-06T14:44:00"},
		{id: 16, from: "claude", to: long40, content: "to a long name", timestamp: "2025-07-06T14:45:00"},
		{id: 17, from: "claude", to: "josé", content: "to a non-ASCII name", timestamp: "2025-07-06T14:46:00"},
		{id: 18, from: "eve", to: "claude", content: "from a sender that never registered", timestamp: "2025-07-06T14:47:00"},
		{id: 19, from: "claude", to: "barney", content: []byte("bad \xff bytes"), timestamp: "2025-07-06T14:48:00"},
		{id: 20, from: "barney", to: "claude", content: strings.Repeat("y", 2<<20), timestamp: "2025-07-06T14:49:00", readFlag: flag(1)},
		{id: 21, from: "barney", to: "claude", content: "with an offset", timestamp: "2025-07-06T14:50:00+00:00"},
	}
	legacyDB(t, f.dbPath, instances, rows,
		`INSERT INTO sessions VALUES ('hash', 'claude', '2025-07-06T14:30:22', '2025-07-07T14:30:22')`,
		`INSERT INTO name_history VALUES ('fred', 'fred-debugging', '2025-07-06T14:00:00')`,
		`UPDATE messages SET read_flag = NULL WHERE id = 3`,
	)
	return f
}

func local(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
	return time.Date(y, mo, d, h, mi, s, ns, zone)
}

func TestReadAndRun(t *testing.T) {
	f := newFixture(t)
	before := snapshot(t, filepath.Dir(f.dbPath))

	src, err := Read(context.Background(), Options{
		Path: f.dbPath, Location: zone, Now: func() time.Time { return importTime },
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if diff := cmp.Diff(before, snapshot(t, filepath.Dir(f.dbPath))); diff != "" {
		t.Fatalf("Read changed the data directory (-before +after):\n%s", diff)
	}

	long40 := strings.Repeat("n", 40)
	key := func(id int64, from, to, ts, content string) string { return messageKey(id, from, to, ts, content) }
	bigSummary := summary(f.bigPath)
	wantMessages := []Message{
		{Key: key(1, "barney", "claude", "2025-07-06T14:30:22.123456", "Welcome to the team! I'm Barney."),
			From: "barney", To: "claude", Content: "Welcome to the team! I'm Barney.", SentAt: local(2025, 7, 6, 14, 30, 22, 123456000)},
		{Key: key(3, "claude", "barney", "2025-07-06T14:32:00", "NULL read flag means unread"),
			From: "claude", To: "barney", Content: "NULL read flag means unread", SentAt: local(2025, 7, 6, 14, 32, 0, 0),
			Data: json.RawMessage(`{"task":"review","files":["a.go","b.go"]}`)},
		{Key: key(7, "claude", "fred-debugging", "2025-07-06T14:36:00", "héllo 世界 🎉 for someone not in instances"),
			From: "claude", To: "fred-debugging", Content: "héllo 世界 🎉 for someone not in instances", SentAt: local(2025, 7, 6, 14, 36, 0, 0)},
		{Key: key(8, "barney", "claude", "2025-07-06T14:37:00.5", "data is not JSON"),
			From: "barney", To: "claude", Content: "data is not JSON", SentAt: local(2025, 7, 6, 14, 37, 0, 500000000)},
		{Key: key(9, "barney", "claude", "2025-07-06T14:38:00", "data is an array"),
			From: "barney", To: "claude", Content: "data is an array", SentAt: local(2025, 7, 6, 14, 38, 0, 0)},
		{Key: key(10, "gemini", "claude", "yesterday-ish", "garbage timestamp"),
			From: "gemini", To: "claude", Content: "garbage timestamp", SentAt: importTime},
		{Key: key(11, "barney", "claude", "2025-07-06T14:40:00.250000", bigSummary),
			From: "barney", To: "claude", Content: f.bigContent, SentAt: local(2025, 7, 6, 14, 40, 0, 250000000),
			Data: json.RawMessage(`{"large_message_file":"` + f.bigPath + `","original_size_kb":21.6}`)},
		{Key: key(12, "barney", "claude", "2025-07-06T14:41:00", summary(f.missing)),
			From: "barney", To: "claude", Content: summary(f.missing), SentAt: local(2025, 7, 6, 14, 41, 0, 0)},
		{Key: key(13, "barney", "claude", "2025-07-06T14:42:00", summary(f.notOurs)),
			From: "barney", To: "claude", Content: summary(f.notOurs), SentAt: local(2025, 7, 6, 14, 42, 0, 0)},
		{Key: key(18, "eve", "claude", "2025-07-06T14:47:00", "from a sender that never registered"),
			From: "eve", To: "claude", Content: "from a sender that never registered", SentAt: local(2025, 7, 6, 14, 47, 0, 0)},
		{Key: key(19, "claude", "barney", "2025-07-06T14:48:00", "bad \xff bytes"),
			From: "claude", To: "barney", Content: "bad \uFFFD bytes", SentAt: local(2025, 7, 6, 14, 48, 0, 0)},
		{Key: key(21, "barney", "claude", "2025-07-06T14:50:00+00:00", "with an offset"),
			From: "barney", To: "claude", Content: "with an offset", SentAt: time.Date(2025, 7, 6, 14, 50, 0, 0, time.UTC)},
	}
	if diff := cmp.Diff(wantMessages, src.Messages); diff != "" {
		t.Errorf("Source.Messages (-want +got):\n%s", diff)
	}
	wantNames := []Name{
		{Name: "barney", LastSeen: local(2025, 7, 6, 9, 0, 0, 0)},
		{Name: "claude", LastSeen: local(2025, 7, 6, 14, 30, 22, 123456000)},
		{Name: "fred-debugging"},
		{Name: "gemini"},
	}
	if diff := cmp.Diff(wantNames, src.Names); diff != "" {
		t.Errorf("Source.Names (-want +got):\n%s", diff)
	}

	fake := newFakeTarget()
	report, err := Run(context.Background(), src, fake)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if diff := cmp.Diff(wantMessages, fake.delivered); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}

	q := func(s string) string { return `"` + s + `"` }
	wantReport := &Report{
		Path:     f.dbPath,
		Names:    NameCounts{Found: 4, Created: 4, AlreadyKnown: 0, Skipped: 4},
		Messages: MessageCounts{Rows: 21, AlreadyRead: 2, Skipped: 7, ToImport: 12, Imported: 12},
		Skipped: []Skip{
			{Name: "bad name!", Code: protocol.CodeInvalidName, Reason: `the name "bad name!" has a character other than letters, digits, '_' or '-'; the name and its messages are not imported`},
			{Name: long40, Code: protocol.CodeInvalidName, Reason: "the name is 40 characters long; at most 32 are allowed; the name and its messages are not imported"},
			{Name: "system", Code: protocol.CodeReservedName, Reason: `the name "system" is reserved; the name and its messages are not imported`},
			{Row: 4, Code: protocol.CodeInvalidName, Reason: `the recipient "bad name!" is not a valid name`},
			{Row: 5, Code: protocol.CodeReservedName, Reason: `the sender "system" is not a valid name`},
			{Row: 6, Code: protocol.CodeMessageTooLarge, Reason: "the content is 2.0 MiB, over the message size limit of 1.0 MiB; raise --max-message-size and import again"},
			{Row: 14, Code: protocol.CodeEmptyMessage, Reason: "the content is empty"},
			{Row: 15, Code: protocol.CodeEmptyMessage, Reason: "the content is empty"},
			{Row: 16, Code: protocol.CodeInvalidName, Reason: "the recipient " + q(long40) + " is not a valid name"},
			{Name: "josé", Code: protocol.CodeInvalidName, Reason: `the name "josé" has a character other than letters, digits, '_' or '-'; the name and its messages are not imported`},
			{Row: 17, Code: protocol.CodeInvalidName, Reason: `the recipient "jos\u00e9" is not a valid name`},
		},
		Notes: []Note{
			{Name: "gemini", Code: NoteBadLastSeen, Text: `last seen "last tuesday" is not a date; imported without a last-seen time`},
			{Row: 8, Code: NoteBadData, Text: "the data is not a JSON object and was dropped; the content is imported"},
			{Row: 9, Code: NoteBadData, Text: "the data is not a JSON object and was dropped; the content is imported"},
			{Row: 10, Code: NoteBadTimestamp, Text: `the sent time "yesterday-ish" is not a date; the import time is used`},
			{Row: 11, Code: NoteFullContent, Text: "imported the full content (21.1 KiB) from " + q(f.bigPath) + " instead of its summary"},
			{Row: 12, Code: NoteLargeFileMissing, Text: "the large-message file " + q(f.missing) + " is gone; imported the summary"},
			{Row: 13, Code: NoteLargeFileIgnored, Text: q(f.notOurs) + " is not a large-message file of the earlier tool; imported the summary"},
			{Row: 19, Code: NoteInvalidUTF8, Text: "the content had bytes that are not UTF-8; they were replaced with U+FFFD"},
		},
		NotImported: []string{"name_history: 1 rename(s); the earlier tool forwarded an old name for two hours only, and mail it forwarded is imported under the new name"},
	}
	if diff := cmp.Diff(wantReport, report); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	if _, err := json.Marshal(report); err != nil {
		t.Errorf("json.Marshal(report): %v", err)
	}

	// The second run finds everything imported already and changes nothing.
	names, delivered := len(fake.names), len(fake.delivered)
	again, err := Run(context.Background(), src, fake)
	if err != nil {
		t.Fatalf("second Run: %v", err)
	}
	if len(fake.names) != names || len(fake.delivered) != delivered {
		t.Errorf("second Run changed the target: names %d -> %d, messages %d -> %d", names, len(fake.names), delivered, len(fake.delivered))
	}
	if again.Names.Created != 0 || again.Names.AlreadyKnown != 4 || again.Messages.Imported != 0 || again.Messages.AlreadyImported != 12 {
		t.Errorf("second report counts: names %+v, messages %+v", again.Names, again.Messages)
	}
	var text bytes.Buffer
	if err := again.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "Messages: 0 imported, 12 already imported, 7 skipped; 2 already read, skipped\n") {
		t.Errorf("second report text:\n%s", text.String())
	}

	// A fresh Read of a copy elsewhere gives the same keys: they do not
	// depend on where the file is.
	moved := filepath.Join(t.TempDir(), "copy.db")
	b, err := os.ReadFile(f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(moved, b, 0o600); err != nil {
		t.Fatal(err)
	}
	src2, err := Read(context.Background(), Options{Path: moved, Location: zone, Now: func() time.Time { return importTime }})
	if err != nil {
		t.Fatal(err)
	}
	third, err := Run(context.Background(), src2, fake)
	if err != nil {
		t.Fatal(err)
	}
	if third.Messages.Imported != 0 || third.Messages.AlreadyImported != 12 {
		t.Errorf("import of a moved copy: messages %+v", third.Messages)
	}

	if diff := cmp.Diff(before, snapshot(t, filepath.Dir(f.dbPath))); diff != "" {
		t.Fatalf("the import changed the data directory (-before +after):\n%s", diff)
	}
}

// snapshot maps every file under dir to the sha256 of its bytes.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		sum := sha256.Sum256(b)
		files[path] = hex.EncodeToString(sum[:])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// A row whose data alone is over the message size limit loses its data,
// with a note, and still comes over: with it, no request the daemon takes
// could carry the message, and every later import would fail on it.
func TestImportDropsOversizedData(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "messages.db")
	big := `{"blob":"` + strings.Repeat("x", 2<<20) + `"}`
	legacyDB(t, path, [][2]string{{"alice", ""}, {"bob", ""}}, []row{
		{id: 1, from: "alice", to: "bob", content: "small data", timestamp: "2025-01-02T03:04:05", data: str(`{"a":1}`)},
		{id: 2, from: "alice", to: "bob", content: "big data", timestamp: "2025-01-02T03:04:06", data: &big},
	})
	src, err := Read(context.Background(), Options{Path: path, MaxMessageBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(src.Messages) != 2 || len(src.Messages[1].Data) != 0 || string(src.Messages[0].Data) != `{"a":1}` {
		t.Fatalf("messages: %+v", src.Messages)
	}
	found := false
	for _, n := range src.Preview().Notes {
		if n.Row == 2 && n.Code == NoteBadData && strings.Contains(n.Text, "over the message size limit") {
			found = true
		}
	}
	if !found {
		t.Errorf("no note for row 2: %+v", src.Preview().Notes)
	}
}
