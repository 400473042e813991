package setup

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestClaudeDesktopConfig(t *testing.T) {
	tests := []struct {
		goos, home string
		env        map[string]string
		want       string
	}{
		{"darwin", "/Users/me", nil, "/Users/me/Library/Application Support/Claude/claude_desktop_config.json"},
		{"windows", `C:\Users\me`, map[string]string{"APPDATA": `C:\Users\me\AppData\Roaming`}, `C:\Users\me\AppData\Roaming\Claude\claude_desktop_config.json`},
		{"windows", `C:\Users\me`, nil, `C:\Users\me\AppData\Roaming\Claude\claude_desktop_config.json`},
		{"windows", `D:\`, map[string]string{"APPDATA": `D:\Data\`}, `D:\Data\Claude\claude_desktop_config.json`},
		{"linux", "/home/me", nil, "/home/me/.config/Claude/claude_desktop_config.json"},
		{"linux", "/home/me", map[string]string{"XDG_CONFIG_HOME": "/home/me/.cfg"}, "/home/me/.cfg/Claude/claude_desktop_config.json"},
		{"linux", "/home/me", map[string]string{"XDG_CONFIG_HOME": "relative"}, "/home/me/.config/Claude/claude_desktop_config.json"},
		{"freebsd", "/home/me", nil, "/home/me/.config/Claude/claude_desktop_config.json"},
	}
	for _, tt := range tests {
		t.Run(tt.goos+" "+tt.want, func(t *testing.T) {
			if got := ClaudeDesktopConfig(tt.goos, tt.home, envOf(tt.env)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestClientFiles(t *testing.T) {
	paths := func(o *Options, client string, req Request) []string {
		c, err := lookupClient(client)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range c.files(o, req) {
			out = append(out, f.path)
		}
		return out
	}
	o := &Options{Home: "/h", GOOS: "linux", WorkDir: "/w", Getenv: envOf(nil)}
	oEnv := &Options{Home: "/h", GOOS: "linux", WorkDir: "/w", Getenv: envOf(map[string]string{"CLAUDE_CONFIG_DIR": "/cfg/claude", "CODEX_HOME": "/cfg/codex"})}
	win := &Options{Home: `C:\Users\me`, GOOS: "windows", WorkDir: `C:\src\app`, Getenv: envOf(nil)}
	tests := []struct {
		name   string
		o      *Options
		client string
		req    Request
		want   []string
	}{
		{"claude-code", o, ClaudeCode, Request{}, []string{"/h/.claude.json", "/h/.claude/settings.json"}},
		{"claude-code CLAUDE_CONFIG_DIR", oEnv, ClaudeCode, Request{}, []string{"/cfg/claude/.claude.json", "/cfg/claude/settings.json"}},
		{"gemini", o, Gemini, Request{}, []string{"/h/.gemini/settings.json"}},
		{"cursor", o, Cursor, Request{}, []string{"/h/.cursor/mcp.json"}},
		{"cursor project", o, Cursor, Request{Project: true}, []string{"/w/.cursor/mcp.json"}},
		{"cursor project dir", o, Cursor, Request{Project: true, Dir: "/src/app"}, []string{"/src/app/.cursor/mcp.json"}},
		{"codex", o, Codex, Request{}, []string{"/h/.codex/config.toml"}},
		{"codex CODEX_HOME", oEnv, Codex, Request{}, []string{"/cfg/codex/config.toml"}},
		{"windows claude-code", win, ClaudeCode, Request{}, []string{`C:\Users\me\.claude.json`, `C:\Users\me\.claude\settings.json`}},
		{"windows cursor project", win, Cursor, Request{Project: true}, []string{`C:\src\app\.cursor\mcp.json`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, paths(tt.o, tt.client, tt.req)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := lookupClient("vscode"); !errors.Is(err, ErrUnknownClient) {
		t.Errorf("unknown client: %v", err)
	}
}

func TestIsAbs(t *testing.T) {
	for p, want := range map[string]bool{`C:\x`: true, `C:/x`: true, `\\srv\share`: true, `x\y`: false, `C:x`: false, `/x`: false} {
		if got := isAbs("windows", p); got != want {
			t.Errorf("isAbs(windows, %q) = %v", p, got)
		}
	}
	if !isAbs("linux", "/x") || isAbs("linux", "x") {
		t.Error("isAbs linux")
	}
}
