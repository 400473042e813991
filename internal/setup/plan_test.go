package setup

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ipcd/ipcd/internal/clock"
	"github.com/tailscale/hujson"
)

const testExe = "/opt/ipcd/bin/ipc-mcp"

var testNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func testOptions(t *testing.T) *Options {
	t.Helper()
	home := t.TempDir()
	return &Options{
		Home:       home,
		Getenv:     envOf(nil),
		GOOS:       "linux",
		Executable: testExe,
		WorkDir:    filepath.Join(home, "project"),
		Clock:      clock.NewFake(testNow),
	}
}

func writeFile(t *testing.T, path, content string, mode fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // umask
		t.Fatal(err)
	}
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// jsonValue decodes JSON with comments into plain Go values.
func jsonValue(t *testing.T, data []byte) map[string]any {
	t.Helper()
	std, err := hujson.Standardize(bytes.Clone(bytes.TrimPrefix(data, utf8BOM))) // works in place
	if err != nil {
		t.Fatalf("standardize: %v\n%s", err, data)
	}
	var v map[string]any
	if err := json.Unmarshal(std, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// backups lists the backup files next to path.
func backups(t *testing.T, path string) []string {
	t.Helper()
	m, err := filepath.Glob(path + BackupSuffix + "*")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustPlan(t *testing.T, o *Options, req Request) *Change {
	t.Helper()
	ch, err := Plan(o, req)
	if err != nil {
		t.Fatalf("plan %s: %v", req.Client, err)
	}
	return ch
}

func mustApply(t *testing.T, ch *Change) []Applied {
	t.Helper()
	done, err := ch.Apply(testNow)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return done
}

func wantServer(command string, name string, withType bool) map[string]any {
	m := map[string]any{"command": command, "args": []any{}}
	if withType {
		m["type"] = "stdio"
	}
	if name != "" {
		m["env"] = map[string]any{"IPC_NAME": name}
	} else if withType {
		m["env"] = map[string]any{}
	}
	return m
}

// TestSetupJSONClients merges into realistic existing files and checks that
// everything else survives, the backup, the modes and idempotence.
func TestSetupJSONClients(t *testing.T) {
	tests := []struct {
		client   string
		file     func(o *Options) string
		existing string
		withType bool
	}{{
		client: ClaudeCode,
		file:   func(o *Options) string { return filepath.Join(o.Home, ".claude.json") },
		existing: `{
  "numStartups": 42,
  "theme": "dark",
  "mcpServers": {
    "github": {"type": "stdio", "command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"], "env": {"GITHUB_TOKEN": "ghp_x"}}
  },
  "projects": {
    "/home/me/src/app": {"allowedTools": [], "mcpServers": {"local": {"command": "x"}}, "history": [{"display": "héllo ✓"}]}
  },
  "oauthAccount": {"emailAddress": "me@example.com"}
}
`,
		withType: true,
	}, {
		client:   Gemini,
		file:     func(o *Options) string { return filepath.Join(o.Home, ".gemini", "settings.json") },
		existing: "{\r\n\t// chosen in /theme\r\n\t\"theme\": \"GitHub\",\r\n\t\"mcpServers\": {\r\n\t\t\"fs\": {\"command\": \"mcp-fs\", \"trust\": true,}, /* local files */\r\n\t},\r\n\t\"hooks\": {\r\n\t\t\"disabled\": [\"noisy\"],\r\n\t\t\"BeforeTool\": [{\"matcher\": \"run_shell_command\", \"hooks\": [{\"name\": \"audit\", \"type\": \"command\", \"command\": \"audit.sh\"}]}],\r\n\t},\r\n}\r\n",
	}, {
		client:   Cursor,
		file:     func(o *Options) string { return filepath.Join(o.Home, ".cursor", "mcp.json") },
		existing: `{"mcpServers":{"linear":{"url":"https://mcp.linear.app/sse"}}}`,
	}, {
		client: ClaudeDesktop,
		file: func(o *Options) string {
			return filepath.Join(o.Home, ".config", "Claude", "claude_desktop_config.json")
		},
		existing: "{\n    \"mcpServers\": {\n        \"filesystem\": {\n            \"command\": \"npx\",\n            \"args\": [\"-y\", \"@modelcontextprotocol/server-filesystem\", \"/Users/me/Desktop\"]\n        }\n    },\n    \"globalShortcut\": \"Ctrl+Space\"\n}\n",
	}}
	for _, tt := range tests {
		t.Run(tt.client, func(t *testing.T) {
			o := testOptions(t)
			path := tt.file(o)
			writeFile(t, path, tt.existing, 0o644)

			ch := mustPlan(t, o, Request{Client: tt.client, Name: "alice"})
			if !ch.Changed() {
				t.Fatal("plan found nothing to change")
			}
			if got := readString(t, path); got != tt.existing {
				t.Fatal("Plan wrote the file")
			}
			done := mustApply(t, ch)

			after := []byte(readString(t, path))
			got, before := jsonValue(t, after), jsonValue(t, []byte(tt.existing))
			servers := got["mcpServers"].(map[string]any)
			if diff := cmp.Diff(wantServer(testExe, "alice", tt.withType), servers[ServerKey]); diff != "" {
				t.Errorf("entry (-want +got):\n%s", diff)
			}
			// Everything else is as it was.
			delete(servers, ServerKey)
			delete(got, "hooks")
			delete(before, "hooks")
			if diff := cmp.Diff(before, got); diff != "" {
				t.Errorf("other content changed (-before +after):\n%s", diff)
			}
			if tt.client == Gemini {
				text := string(after)
				for _, keep := range []string{"// chosen in /theme", "/* local files */", `"trust": true,}`, `"disabled": ["noisy"]`} {
					if !strings.Contains(text, keep) {
						t.Errorf("lost %q", keep)
					}
				}
				if strings.Count(text, "\n") != strings.Count(text, "\r\n") {
					t.Error("CRLF file got LF lines")
				}
			}

			// The backup holds the original, 0600; the file keeps its mode.
			bk := backups(t, path)
			if len(bk) != 1 || bk[0] != path+".ipcd-backup-20260304-050607" {
				t.Fatalf("backups %v", bk)
			}
			if got := readString(t, bk[0]); got != tt.existing {
				t.Error("backup differs from the original")
			}
			if runtime.GOOS != "windows" {
				assertMode(t, bk[0], 0o600)
				assertMode(t, path, 0o644)
			}
			if done[0].Backup != bk[0] {
				t.Errorf("Applied.Backup = %q", done[0].Backup)
			}

			// Second run: nothing to change, nothing written.
			again := mustPlan(t, o, Request{Client: tt.client, Name: "alice"})
			for _, f := range again.Files {
				if f.Changed() {
					t.Errorf("second run would change %s:\n%s", f.Path, unifiedDiff("a", "b", f.Before, f.After))
				}
			}
			if done := mustApply(t, again); len(done) != 0 {
				t.Errorf("second apply wrote %v", done)
			}
			if bk := backups(t, path); len(bk) != 1 {
				t.Errorf("second run made a backup: %v", bk)
			}
		})
	}
}

func assertMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("%s has mode %v, want %v", path, got, want)
	}
}

func TestSetupCreatesFiles(t *testing.T) {
	for _, client := range ClientNames() {
		t.Run(client, func(t *testing.T) {
			o := testOptions(t)
			ch := mustPlan(t, o, Request{Client: client})
			done := mustApply(t, ch)
			if len(done) != len(ch.Files) {
				t.Fatalf("applied %d of %d files", len(done), len(ch.Files))
			}
			for _, a := range done {
				if !a.Created || a.Backup != "" {
					t.Errorf("%+v: want created without backup", a)
				}
				if runtime.GOOS != "windows" {
					assertMode(t, a.Path, 0o600)
					if dir := filepath.Dir(a.Path); dir != o.Home {
						assertMode(t, dir, 0o700)
					}
				}
			}
			st, err := List(o)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range st {
				if s.Client == client && (!s.SetUp || !s.Current || s.Name != "" || s.Hooks != s.HookEvents) {
					t.Errorf("after setup: %+v", s)
				}
			}
			if mustPlan(t, o, Request{Client: client}).Changed() {
				t.Error("second run would change something")
			}
		})
	}
}

func TestClaudeCodeHooksFile(t *testing.T) {
	o := testOptions(t)
	settings := filepath.Join(o.Home, ".claude", "settings.json")
	writeFile(t, settings, `{
  "permissions": {"allow": ["Bash(git status:*)"]},
  "hooks": {
    "PostToolUse": [{"matcher": "Edit|Write", "hooks": [{"type": "command", "command": "gofmt -w"}]}]
  }
}
`, 0o600)
	mustApply(t, mustPlan(t, o, Request{Client: ClaudeCode, Name: "bob"}))
	got := jsonValue(t, []byte(readString(t, settings)))
	hooks := got["hooks"].(map[string]any)
	want := []any{map[string]any{"hooks": []any{map[string]any{"type": "command", "command": testExe + " hook --as bob", "timeout": float64(10)}}}}
	for _, ev := range []string{"SessionStart", "UserPromptSubmit", "Stop"} {
		if diff := cmp.Diff(want, hooks[ev]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", ev, diff)
		}
	}
	if _, ok := hooks["PostToolUse"]; !ok {
		t.Error("user's hook lost")
	}
}

// TestNameIsKept: without --name the configured name stays, in the entry
// and in the hooks; --name changes both.
func TestNameIsKept(t *testing.T) {
	o := testOptions(t)
	mustApply(t, mustPlan(t, o, Request{Client: Gemini, Name: "alice"}))
	ch := mustPlan(t, o, Request{Client: Gemini})
	if ch.Name != "alice" || ch.Changed() {
		t.Fatalf("without --name: name %q, changed %v", ch.Name, ch.Changed())
	}
	mustApply(t, mustPlan(t, o, Request{Client: Gemini, Name: "bob"}))
	text := readString(t, filepath.Join(o.Home, ".gemini", "settings.json"))
	if strings.Contains(text, "alice") || strings.Count(text, "hook --as bob") != 3 || !strings.Contains(text, `"IPC_NAME": "bob"`) {
		t.Errorf("rename not applied everywhere:\n%s", text)
	}
}

func TestMovedBinaryIsUpdated(t *testing.T) {
	o := testOptions(t)
	mustApply(t, mustPlan(t, o, Request{Client: ClaudeCode}))
	o.Executable = "/usr/local/bin/ipc-mcp"
	ch := mustPlan(t, o, Request{Client: ClaudeCode})
	mustApply(t, ch)
	for _, f := range ch.Files {
		text := readString(t, f.Path)
		if strings.Contains(text, testExe) || !strings.Contains(text, "/usr/local/bin/ipc-mcp") {
			t.Errorf("%s still names the old binary:\n%s", f.Path, text)
		}
	}
	hooks := jsonValue(t, []byte(readString(t, ch.Files[1].Path)))["hooks"].(map[string]any)
	if n := len(hooks["Stop"].([]any)); n != 1 {
		t.Errorf("Stop has %d groups, want the one updated in place", n)
	}
}

func TestNoHooks(t *testing.T) {
	o := testOptions(t)
	ch := mustPlan(t, o, Request{Client: ClaudeCode, NoHooks: true})
	if len(ch.Files) != 1 {
		t.Fatalf("files %d", len(ch.Files))
	}
	mustApply(t, ch)
	if _, err := os.Stat(filepath.Join(o.Home, ".claude", "settings.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("settings.json written with --no-hooks")
	}
	g := mustPlan(t, o, Request{Client: Gemini, NoHooks: true})
	mustApply(t, g)
	if strings.Contains(readString(t, g.Files[0].Path), "hooks") {
		t.Error("gemini hooks written with --no-hooks")
	}
}

func TestRefuseUnparseable(t *testing.T) {
	tests := []struct {
		client, rel, content, pos string
	}{
		{ClaudeCode, ".claude.json", "{\n  \"mcpServers\": {\n    \"a\": {}\n    \"b\": {}\n  }\n}\n", ":4:5:"},
		{ClaudeCode, ".claude/settings.json", "{\"hooks\": {\"Stop\": {}}}", ":1:20:"},
		{Gemini, ".gemini/settings.json", "{\n\t\"theme\": \"x\",,\n}", ":2:15:"},
		{Cursor, ".cursor/mcp.json", "[]", ":1:1:"},
		{ClaudeDesktop, ".config/Claude/claude_desktop_config.json", "{\"mcpServers\": 3}", ":1:16:"},
		{Codex, ".codex/config.toml", "[mcp_servers.ipc]\ncommand = \"a\"\n[mcp_servers.ipc]\n", ":3:1:"},
	}
	for _, tt := range tests {
		t.Run(tt.client+" "+tt.rel, func(t *testing.T) {
			o := testOptions(t)
			path := filepath.Join(o.Home, filepath.FromSlash(tt.rel))
			writeFile(t, path, tt.content, 0o644)
			_, err := Plan(o, Request{Client: tt.client, Name: "alice"})
			if !errors.Is(err, ErrUnparseable) {
				t.Fatalf("got %v, want ErrUnparseable", err)
			}
			if !strings.Contains(err.Error(), path+tt.pos) || !strings.Contains(err.Error(), "left unchanged") {
				t.Errorf("error %q does not name %s%s", err, path, tt.pos)
			}
			if readString(t, path) != tt.content {
				t.Error("file changed")
			}
			if len(backups(t, path)) != 0 {
				t.Error("backup made")
			}
		})
	}
}

func TestApplyRefusesWhenFileChanged(t *testing.T) {
	o := testOptions(t)
	path := filepath.Join(o.Home, ".cursor", "mcp.json")
	writeFile(t, path, "{}", 0o600)
	ch := mustPlan(t, o, Request{Client: Cursor})
	writeFile(t, path, `{"mcpServers": {"new": {}}}`, 0o600) // Cursor saved meanwhile
	if _, err := ch.Apply(testNow); !errors.Is(err, ErrChanged) {
		t.Fatalf("got %v, want ErrChanged", err)
	}
	if got := readString(t, path); got != `{"mcpServers": {"new": {}}}` {
		t.Errorf("file overwritten: %s", got)
	}
	if len(backups(t, path)) != 0 {
		t.Error("backup made")
	}
}

func TestSymlinkedConfigStaysALink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges")
	}
	o := testOptions(t)
	target := filepath.Join(o.Home, "dotfiles", "gemini.json")
	writeFile(t, target, "{}\n", 0o640)
	link := filepath.Join(o.Home, ".gemini", "settings.json")
	if err := os.MkdirAll(filepath.Dir(link), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	mustApply(t, mustPlan(t, o, Request{Client: Gemini}))
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("link replaced by a file: %v", err)
	}
	if !strings.Contains(readString(t, target), testExe) {
		t.Error("target not updated")
	}
	if len(backups(t, target)) != 1 {
		t.Error("no backup next to the target")
	}
	assertMode(t, target, 0o640)
}

func TestBackupNamesDoNotCollide(t *testing.T) {
	o := testOptions(t)
	path := filepath.Join(o.Home, ".cursor", "mcp.json")
	writeFile(t, path, "{}", 0o600)
	mustApply(t, mustPlan(t, o, Request{Client: Cursor, Name: "a"}))
	mustApply(t, mustPlan(t, o, Request{Client: Cursor, Name: "b"})) // same second
	bk := backups(t, path)
	want := []string{path + ".ipcd-backup-20260304-050607", path + ".ipcd-backup-20260304-050607-2"}
	if diff := cmp.Diff(want, bk); diff != "" {
		t.Fatalf("backups (-want +got):\n%s", diff)
	}
	if readString(t, bk[0]) != "{}" || !strings.Contains(readString(t, bk[1]), `"IPC_NAME":"a"`) {
		t.Error("backup contents")
	}
}

func TestPlanRejectsBadRequests(t *testing.T) {
	o := testOptions(t)
	tests := []struct {
		req  Request
		want string
	}{
		{Request{Client: "vscode"}, "unknown client"},
		{Request{Client: Gemini, Project: true}, "--project is supported only for cursor"},
		{Request{Client: Cursor, Name: "no spaces"}, "has a character other than"},
		{Request{Client: Cursor, Name: "system"}, "reserved"},
	}
	for _, tt := range tests {
		if _, err := Plan(o, tt.req); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: got %v, want %q", tt.req, err, tt.want)
		}
	}
	o.Executable = "relative/ipc-mcp"
	if _, err := Plan(o, Request{Client: Cursor}); err == nil || !strings.Contains(err.Error(), "not absolute") {
		t.Errorf("relative executable: %v", err)
	}
}
