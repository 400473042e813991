package setup

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func runCmd(t *testing.T, o *Options, args ...string) (string, error) {
	t.Helper()
	cmd := NewCmdSetup(o)
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	err := cmd.Execute()
	return out.String(), err
}

// snapshot lists every file under dir with its contents.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			m[rel+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(p)
		m[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCmdDryRunWritesNothing(t *testing.T) {
	o := testOptions(t)
	writeFile(t, filepath.Join(o.Home, ".gemini", "settings.json"), "{\n  // mine\n  \"theme\": \"x\"\n}\n", 0o644)
	for _, client := range ClientNames() {
		before := snapshot(t, o.Home)
		out, err := runCmd(t, o, client, "--name", "alice", "--dry-run")
		if err != nil {
			t.Fatalf("%s: %v", client, err)
		}
		if !strings.Contains(out, "Dry run: nothing was written.") || !strings.Contains(out, "+++ ") || !strings.Contains(out, "alice") {
			t.Errorf("%s: output lacks the diff:\n%s", client, out)
		}
		if diff := cmp.Diff(before, snapshot(t, o.Home)); diff != "" {
			t.Errorf("%s --dry-run changed files (-before +after):\n%s", client, diff)
		}
	}
}

func TestCmdSetupTwice(t *testing.T) {
	o := testOptions(t)
	out, err := runCmd(t, o, "claude-code", "--name", "alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"--- /dev/null\n+++ " + filepath.Join(o.Home, ".claude.json"),
		`+      "command": "/opt/ipcd/bin/ipc-mcp",`,
		`+            "command": "/opt/ipcd/bin/ipc-mcp hook --as alice",`,
		"Created " + filepath.Join(o.Home, ".claude", "settings.json"),
		"ipcd is set up in Claude Code (IPC_NAME=alice). Restart Claude Code to load it.",
		`claude mcp add-json --scope user ipc '{"type":"stdio","command":"/opt/ipcd/bin/ipc-mcp","args":[],"env":{"IPC_NAME":"alice"}}'`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("first run output lacks %q:\n%s", want, out)
		}
	}
	before := snapshot(t, o.Home)
	out, err = runCmd(t, o, "claude-code")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "ipcd is already set up") != 2 || strings.Contains(out, "+++") {
		t.Errorf("second run output:\n%s", out)
	}
	if diff := cmp.Diff(before, snapshot(t, o.Home)); diff != "" {
		t.Errorf("second run changed files:\n%s", diff)
	}
}

func TestCmdList(t *testing.T) {
	o := testOptions(t)
	if _, err := runCmd(t, o, "claude-code", "--name", "alice"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(o.Home, ".gemini", "settings.json"), "{\n  \"a\": 1,,\n}", 0o600)
	writeFile(t, filepath.Join(o.Home, ".codex", "config.toml"), "model = \"o3\"\n", 0o600)
	writeFile(t, filepath.Join(o.Home, ".config", "Claude", "claude_desktop_config.json"),
		`{"mcpServers": {"ipc": {"command": "/old/ipc-mcp", "args": []}}}`, 0o600)
	writeFile(t, filepath.Join(o.WorkDir, ".cursor", "mcp.json"), `{"mcpServers": {"ipc": {"command": "/opt/ipcd/bin/ipc-mcp", "env": {"IPC_NAME": "proj"}}}}`, 0o600)

	out, err := runCmd(t, o, "--list")
	if err != nil {
		t.Fatal(err)
	}
	h := o.Home
	lines := strings.Split(out, "\n")
	if len(lines) != 8 {
		t.Fatalf("list has %d lines:\n%s", len(lines), out)
	}
	checks := []struct{ prefix, status, file string }{
		{"CLIENT", "STATUS", "CONFIG FILE"},
		{"claude-code", "set up as alice, hooks 3/3", h + "/.claude.json"},
		{"gemini", "cannot parse: line 2, column 10: invalid character ',' at start of value", h + "/.gemini/settings.json"},
		{"cursor", "no config file", h + "/.cursor/mcp.json"},
		{"cursor --project", "set up as proj", o.WorkDir + "/.cursor/mcp.json"},
		{"claude-desktop", "set up, no IPC_NAME, runs another ipc-mcp (/old/ipc-mcp)", h + "/.config/Claude/claude_desktop_config.json"},
		{"codex", "not set up", h + "/.codex/config.toml"},
	}
	for i, c := range checks {
		fields := splitColumns(lines[i])
		if diff := cmp.Diff([]string{c.prefix, c.status, c.file}, fields); diff != "" {
			t.Errorf("line %d (-want +got):\n%s", i, diff)
		}
	}
	if lines[7] != "" {
		t.Errorf("trailing line %q", lines[7])
	}
}

// splitColumns splits a tabwriter line at runs of two or more spaces.
func splitColumns(line string) []string {
	var out []string
	for _, f := range strings.Split(line, "  ") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func TestCmdUsageErrors(t *testing.T) {
	o := testOptions(t)
	tests := []struct {
		args []string
		want string
	}{
		{nil, "name one client: claude-code, gemini, cursor, claude-desktop, codex"},
		{[]string{"gemini", "cursor"}, "name one client"},
		{[]string{"--list", "gemini"}, "--list takes no client"},
		{[]string{"vscode"}, `unknown client "vscode": choose one of claude-code, gemini, cursor, claude-desktop, codex`},
		{[]string{"gemini", "--project"}, "--project is supported only for cursor"},
		{[]string{"cursor", "--dir", "/x"}, "--dir goes with --project"},
		{[]string{"cursor", "--name", "bad name"}, "check name: the name \"bad name\" has a character"},
	}
	for _, tt := range tests {
		before := snapshot(t, o.Home)
		_, err := runCmd(t, o, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want %q", tt.args, err, tt.want)
		}
		// Command lines exit with their usage code for each of them.
		var usage interface{ IsUsage() bool }
		if !errors.As(err, &usage) || !usage.IsUsage() {
			t.Errorf("%q: %v is not marked as a usage mistake", tt.args, err)
		}
		if diff := cmp.Diff(before, snapshot(t, o.Home)); diff != "" {
			t.Errorf("%q changed files:\n%s", tt.args, diff)
		}
	}
	if _, err := runCmd(t, o); !errors.Is(err, ErrUsage) {
		t.Errorf("missing client: %v is not ErrUsage", err)
	}
	if _, err := runCmd(t, o, "vscode"); !errors.Is(err, ErrUnknownClient) {
		t.Errorf("unknown client: %v is not ErrUnknownClient", err)
	}
}

func TestCmdProjectDir(t *testing.T) {
	o := testOptions(t)
	dir := filepath.Join(o.Home, "src", "app")
	if _, err := runCmd(t, o, "cursor", "--project", "--dir", dir, "--name", "app"); err != nil {
		t.Fatal(err)
	}
	got := jsonValue(t, []byte(readString(t, filepath.Join(dir, ".cursor", "mcp.json"))))
	if diff := cmp.Diff(map[string]any{"mcpServers": map[string]any{"ipc": wantServer(testExe, "app", false)}}, got); diff != "" {
		t.Errorf("project file (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(o.Home, ".cursor")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("global cursor file touched")
	}
}

// What setup keeps as it is but a user should know is said in a note: an
// IPC_SHARED_SECRET in the entry's env, and hooks that --no-hooks leaves
// acting as another name than the server's.
func TestCmdNotes(t *testing.T) {
	t.Run("hooks left with another name", func(t *testing.T) {
		o := testOptions(t)
		if _, err := runCmd(t, o, "claude-code", "--name", "alice"); err != nil {
			t.Fatal(err)
		}
		out, err := runCmd(t, o, "claude-code", "--name", "alice2", "--no-hooks")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "Note: "+filepath.Join(o.Home, ".claude", "settings.json")+": its ipcd hooks, left alone with --no-hooks, act as alice, not as the server's alice2") {
			t.Errorf("output:\n%s", out)
		}
		list, err := runCmd(t, o, "--list")
		if err != nil || !strings.Contains(list, "set up as alice2, hooks 3/3 acting as alice") {
			t.Errorf("--list: %v\n%s", err, list)
		}
		// Hooks that act as the server's name need no note.
		out, err = runCmd(t, o, "claude-code", "--name", "alice", "--no-hooks")
		if err != nil || strings.Contains(out, "Note:") {
			t.Errorf("same name: %v\n%s", err, out)
		}
	})
	for _, tc := range []struct{ client, path, content string }{
		{"gemini", ".gemini/settings.json", `{"mcpServers": {"ipc": {"command": "python3", "env": {"IPC_SHARED_SECRET": "old"}}}}`},
		{"codex", ".codex/config.toml", "[mcp_servers.ipc]\ncommand = \"python3\"\nenv = { IPC_SHARED_SECRET = \"old\" }\n"},
		{"codex", ".codex/config.toml", "[mcp_servers.ipc]\ncommand = \"python3\"\n\n[mcp_servers.ipc.env]\nIPC_SHARED_SECRET = \"old\"\n"},
	} {
		t.Run("shared secret kept/"+tc.client, func(t *testing.T) {
			o := testOptions(t)
			writeFile(t, filepath.Join(o.Home, tc.path), tc.content, 0o600)
			out, err := runCmd(t, o, tc.client, "--name", "carol")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, "Note: "+filepath.Join(o.Home, tc.path)+": the entry's env sets IPC_SHARED_SECRET, which setup keeps") {
				t.Errorf("output:\n%s", out)
			}
		})
	}
}

// A parse error in --list names its file only when that is not the config
// file listed beside it, and keeps its reason short.
func TestDescribeParseError(t *testing.T) {
	long := strings.Repeat("x", 80)
	st := Status{Path: "/h/.claude.json", Err: &ParseError{Path: "/h/.claude/settings.json", Line: 3, Column: 7, Reason: long}}
	got := describeStatus(st)
	if want := "cannot parse /h/.claude/settings.json: line 3, column 7: " + long[:57] + "..."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	st.Err = &ParseError{Path: "/h/.claude.json", Reason: "short"}
	if got := describeStatus(st); got != "cannot parse: short" {
		t.Errorf("got %q", got)
	}
}
