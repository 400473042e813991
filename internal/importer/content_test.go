package importer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseTimestamp(t *testing.T) {
	loc := time.FixedZone("UTC-5", -5*3600)
	tests := []struct {
		in     string
		want   time.Time
		wantOK bool
	}{
		{"2025-07-06T14:30:22.123456", time.Date(2025, 7, 6, 14, 30, 22, 123456000, loc), true},
		{"2025-07-06T14:30:22", time.Date(2025, 7, 6, 14, 30, 22, 0, loc), true},
		{"2025-07-06 14:30:22.5", time.Date(2025, 7, 6, 14, 30, 22, 500000000, loc), true},
		{" 2025-07-06T14:30:22 ", time.Date(2025, 7, 6, 14, 30, 22, 0, loc), true},
		{"2025-07-06T14:30:22.123456+02:00", time.Date(2025, 7, 6, 12, 30, 22, 123456000, time.UTC), true},
		{"2025-07-06T14:30:22Z", time.Date(2025, 7, 6, 14, 30, 22, 0, time.UTC), true},
		{"2025-07-06", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"", time.Time{}, false},
		{"1720000000", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseTimestamp(tt.in, loc)
			if ok != tt.wantOK || !got.Equal(tt.want) {
				t.Errorf("parseTimestamp(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestParseData(t *testing.T) {
	tests := []struct {
		in     string
		want   json.RawMessage
		wantOK bool
	}{
		{"", nil, true},
		{"  ", nil, true},
		{`{"a": 1, "b": [true, null]}`, json.RawMessage(`{"a":1,"b":[true,null]}`), true},
		{`{}`, json.RawMessage(`{}`), true},
		{`{"a": "é \u00e9"}`, json.RawMessage(`{"a":"é \u00e9"}`), true},
		{`{"a": 1`, nil, false},
		{`[1, 2]`, nil, false},
		{`"text"`, nil, false},
		{`null`, nil, false},
		{`{"a": 1} {"b": 2}`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseData(tt.in)
			if ok != tt.wantOK {
				t.Errorf("parseData(%q) ok = %v, want %v", tt.in, ok, tt.wantOK)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseData(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestMessageKey(t *testing.T) {
	base := messageKey(7, "barney", "claude", "2025-07-06T14:30:22.123456", "hello")
	if !regexp.MustCompile(`^claude-ipc:[0-9a-f]{64}$`).MatchString(base) {
		t.Fatalf("key %q is not claude-ipc: and 64 hex digits", base)
	}
	if again := messageKey(7, "barney", "claude", "2025-07-06T14:30:22.123456", "hello"); again != base {
		t.Errorf("the same row gave two keys: %q, %q", base, again)
	}
	others := map[string]string{
		"id":        messageKey(8, "barney", "claude", "2025-07-06T14:30:22.123456", "hello"),
		"from":      messageKey(7, "barne", "claude", "2025-07-06T14:30:22.123456", "hello"),
		"to":        messageKey(7, "barney", "claud", "2025-07-06T14:30:22.123456", "hello"),
		"timestamp": messageKey(7, "barney", "claude", "2025-07-06T14:30:22", "hello"),
		"content":   messageKey(7, "barney", "claude", "2025-07-06T14:30:22.123456", "hello!"),
		// Without length prefixes these two would hash the same bytes.
		"boundary": messageKey(7, "barneyc", "laude", "2025-07-06T14:30:22.123456", "hello"),
	}
	for field, k := range others {
		if k == base {
			t.Errorf("changing %s did not change the key", field)
		}
	}
}

func TestReadLargeFile(t *testing.T) {
	dir := t.TempDir()
	good := largeMessageFile(t, dir, "good.md", "barney", "claude", "line one\n## Content\nline three")
	big := largeMessageFile(t, dir, "big.md", "barney", "claude", strings.Repeat("z", 2000))
	plain := filepath.Join(dir, "plain.txt")
	if err := os.WriteFile(plain, []byte("not our format"), 0o600); err != nil {
		t.Fatal(err)
	}
	noMarker := filepath.Join(dir, "nomarker.md")
	if err := os.WriteFile(noMarker, []byte("# IPC Message\nFrom: a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.md")
	if err := os.Symlink(good, link); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
	tests := []struct {
		name        string
		path        string
		max         int
		wantContent string
		want        fileOutcome
	}{
		{"the earlier tool's file", good, 1000, "line one\n## Content\nline three", fileUsed},
		{"relative to the data directory", filepath.Join("large-messages", "good.md"), 1000, "line one\n## Content\nline three", fileUsed},
		{"over the limit", big, 1000, "", fileTooLarge},
		{"over the limit with header", big, 1999, "", fileTooLarge},
		{"just within the limit", big, 2000, strings.Repeat("z", 2000), fileUsed},
		{"missing", filepath.Join(dir, "gone.md"), 1000, "", fileMissing},
		{"a directory", dir, 1000, "", fileNotRegular},
		{"a symlink", link, 1000, "", fileNotRegular},
		{"another file", plain, 1000, "", fileUnknown},
		{"header without content", noMarker, 1000, "", fileUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, outcome, _ := readLargeFile(tt.path, dir, tt.max)
			if outcome != tt.want || got != tt.wantContent {
				t.Errorf("readLargeFile = %q, %d; want %q, %d", got, outcome, tt.wantContent, tt.want)
			}
		})
	}
}

func TestLooksLikeSummary(t *testing.T) {
	tests := []struct {
		content, summary string
		want             bool
	}{
		{"Short. Full content saved to: /x/y.md", "", true},
		{"Short.", "Short.", true},
		{"Short. ", "Short.", true},
		{"The whole message itself.", "", false},
		{"The whole message itself.", "Something else.", false},
	}
	for _, tt := range tests {
		if got := looksLikeSummary(tt.content, tt.summary); got != tt.want {
			t.Errorf("looksLikeSummary(%q, %q) = %v, want %v", tt.content, tt.summary, got, tt.want)
		}
	}
}

func TestReadOnlyDSN(t *testing.T) {
	if filepath.Separator != '/' {
		t.Skip("Unix paths")
	}
	got, err := readOnlyDSN("/home/u/a b?c#d%e/messages.db", 1500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	want := "file:///home/u/a%20b%3Fc%23d%25e/messages.db?mode=ro&_busy_timeout=1500"
	if got != want {
		t.Errorf("readOnlyDSN = %q, want %q", got, want)
	}
}
