package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipcd/ipcd/pkg/protocol"
)

func TestAgo(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Minute, "just now"}, // a clock a little ahead
		{0, "just now"},
		{9 * time.Second, "just now"},
		{10 * time.Second, "10 seconds ago"},
		{time.Minute, "1 minute ago"},
		{59 * time.Minute, "59 minutes ago"},
		{time.Hour, "1 hour ago"},
		{47 * time.Hour, "1 day ago"},
		{48 * time.Hour, "2 days ago"},
		{45 * 24 * time.Hour, "1 month ago"},
		{800 * 24 * time.Hour, "2 years ago"},
	} {
		if got := Ago(now, now.Add(-tc.d)); got != tc.want {
			t.Errorf("Ago(%v before) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestBytesAndSize(t *testing.T) {
	for n, want := range map[int64]string{512: "512 B", 50 << 10: "50.0 KiB", 1 << 20: "1.0 MiB", 4 << 30: "4.0 GiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
	for in, want := range map[string]int64{"1048576": 1 << 20, "1MiB": 1 << 20, "512KiB": 512 << 10, "4GiB": 4 << 30, "1MB": 1 << 20, " 2 KiB ": 2 << 10} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "lots", "-1", "1.5.6MiB", "1TiB?"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted a bad size", in)
		}
	}
}

// TestRunExitCodes checks the contract of both command lines: failures are
// one line on stderr with the program's name, usage mistakes exit 2, API
// errors keep the daemon's sentence and code.
func TestRunExitCodes(t *testing.T) {
	run := func(fn func() error, args ...string) (int, string) {
		root := &cobra.Command{Use: "ipc-mcp"}
		sub := &cobra.Command{Use: "go", Args: cobra.ExactArgs(0), RunE: func(*cobra.Command, []string) error { return fn() }}
		sub.Flags().Uint64("n", 0, "a number")
		sub.Flags().Bool("b", false, "a switch")
		sub.Flags().Float64("f", 0, "a rate")
		root.AddCommand(sub)
		var out, errb bytes.Buffer
		code := Run(context.Background(), root, args, Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
		return code, errb.String()
	}
	code, stderr := run(func() error { return protocol.Errorf(protocol.CodeInboxFull, "nessa's inbox\nis full") }, "go")
	if code != ExitFailure || stderr != "ipc-mcp: nessa's inbox is full (inbox_full)\n" {
		t.Errorf("API error: exit %d, stderr %q", code, stderr)
	}
	code, stderr = run(func() error { return nil }, "go", "extra")
	if code != ExitUsage || !strings.HasPrefix(stderr, "ipc-mcp: ") {
		t.Errorf("usage mistake: exit %d, stderr %q", code, stderr)
	}
	code, _ = run(func() error { return &ExitError{Code: ExitDown} }, "go")
	if code != ExitDown {
		t.Errorf("ExitError: exit %d, want %d", code, ExitDown)
	}
	code, stderr = run(func() error { return UsageErrorf("say who to send to") }, "go")
	if code != ExitUsage || !strings.Contains(stderr, "say who to send to") {
		t.Errorf("UsageErrorf: exit %d, stderr %q", code, stderr)
	}
	if code, _ = run(func() error { return errors.New("x") }, "go"); code != ExitFailure {
		t.Errorf("plain error: exit %d", code)
	}
	code, stderr = run(func() error { return nil }, "go", "--n", "abc")
	if code != ExitUsage || stderr != "ipc-mcp: invalid argument \"abc\" for \"--n\" flag: not a whole number (see ipc-mcp go --help)\n" {
		t.Errorf("bad flag value: exit %d, stderr %q", code, stderr)
	}
	for arg, want := range map[string]string{"--n=99999999999999999999999": "out of range", "--b=maybe": "not true or false", "--f=x": "not a number"} {
		if code, stderr = run(func() error { return nil }, "go", arg); code != ExitUsage || !strings.Contains(stderr, want) || strings.Contains(stderr, "strconv") {
			t.Errorf("%s: exit %d, stderr %q", arg, code, stderr)
		}
	}
	code, stderr = run(func() error { return nil }, "completion", "tcsh")
	if code != ExitUsage || !strings.Contains(stderr, `unknown command "tcsh"`) {
		t.Errorf("completion for an unknown shell: exit %d, stderr %q", code, stderr)
	}
	if code, _ = run(func() error { return nil }, "completion", "bash"); code != ExitOK {
		t.Errorf("completion bash: exit %d", code)
	}
}

func TestMailHeaderAndSendReceipt(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		got, want string
	}{
		{MailHeader(now, "barney", now.Add(-48*time.Hour), 12, false, "", 0), "From barney, 2 days ago (#12):"},
		{MailHeader(now, "barney", now, 13, true, "nessa", 11), "From barney, just now (#13; broadcast; sent to nessa; reply to #11):"},
		{SendReceipt(protocol.SendResponse{ID: 1, To: "nessa", Pending: true}),
			"Sent to nessa (message #1). Nobody has registered nessa yet; it waits for them."},
		{SendReceipt(protocol.SendResponse{ID: 2, To: "nessa-qa", SentTo: "nessa", Size: 50 << 10, File: "/d/large-messages/2.txt"}),
			"Sent to nessa-qa (forwarded from nessa; message #2). Content (50.0 KiB) also saved to /d/large-messages/2.txt."},
	} {
		if tc.got != tc.want {
			t.Errorf("got  %q\nwant %q", tc.got, tc.want)
		}
	}
	var b bytes.Buffer
	if err := PrintJSON(&b, map[string]string{"content": "<b> & </b>"}); err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"content\": \"<b> & </b>\"\n}\n"; b.String() != want {
		t.Errorf("PrintJSON = %q, want %q", b.String(), want)
	}
}

// Printable turns control characters and the characters that reorder how
// text is shown into '?', and leaves tabs and other text alone.
func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"plain\ttab":              "plain\ttab",
		"esc \x1b[31mred":         "esc ?[31mred",
		"bell\a del\x7f c1\u009b": "bell? del? c1?",
		"rlo \u202egnp.exe":       "rlo ?gnp.exe",
		"isolate \u2066x\u2069":   "isolate ?x?",
		"héllo 世界 ✓":              "héllo 世界 ✓",
	} {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
}
