package setup

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func codexApply(t *testing.T, in string, e entry) string {
	t.Helper()
	d, err := parseCodexDoc([]byte(in))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	out := string(d.apply(e))
	d2, err := parseCodexDoc([]byte(out))
	if err != nil {
		t.Fatalf("parse own output: %v\n%s", err, out)
	}
	if again := string(d2.apply(e)); again != out {
		t.Errorf("second run changed the file:\n%s", unifiedDiff("first", "second", []byte(out), []byte(again)))
	}
	return out
}

func TestCodexApply(t *testing.T) {
	alice := entry{command: "/opt/ipcd/ipc-mcp", name: "alice"}
	tests := []struct {
		name string
		in   string
		e    entry
		want string
	}{{
		name: "empty file",
		in:   "",
		e:    alice,
		want: "[mcp_servers.ipc]\ncommand = \"/opt/ipcd/ipc-mcp\"\nargs = []\n\n[mcp_servers.ipc.env]\nIPC_NAME = \"alice\"\n",
	}, {
		name: "no name to set: an IPC_NAME setup would not write stays as it is",
		in:   "[mcp_servers.ipc]\ncommand = \"/old/ipc-mcp\"\n\n[mcp_servers.ipc.env]\nIPC_NAME = \"Team.Lead\"\nIPC_SOCKET = \"/s\"\n",
		e:    entry{command: "/opt/ipcd/ipc-mcp"},
		want: "[mcp_servers.ipc]\ncommand = \"/opt/ipcd/ipc-mcp\"\nargs = []\n\n[mcp_servers.ipc.env]\nIPC_NAME = \"Team.Lead\"\nIPC_SOCKET = \"/s\"\n",
	}, {
		name: "no name to set, inline env",
		in:   "[mcp_servers.ipc]\ncommand = \"/old/ipc-mcp\"\nenv = { IPC_NAME = \"Team.Lead\" }\n",
		e:    entry{command: "/opt/ipcd/ipc-mcp"},
		want: "[mcp_servers.ipc]\ncommand = \"/opt/ipcd/ipc-mcp\"\nargs = []\n\n[mcp_servers.ipc.env]\nIPC_NAME = \"Team.Lead\"\n",
	}, {
		name: "no servers yet, no final newline",
		in:   "# Codex\nmodel = \"o3\"",
		e:    entry{command: `C:\Program Files\ipcd\ipc-mcp.exe`},
		want: "# Codex\nmodel = \"o3\"\n\n[mcp_servers.ipc]\ncommand = \"C:\\\\Program Files\\\\ipcd\\\\ipc-mcp.exe\"\nargs = []\n",
	}, {
		name: "after the other servers, before other tables",
		in: `model = "o3"

[mcp_servers.github]
command = "npx"
args = [
  "-y",
  "@modelcontextprotocol/server-github", # pinned later
]

[mcp_servers.github.env]
GITHUB_TOKEN = "t"
[tui]
notifications = true
`,
		e: alice,
		want: `model = "o3"

[mcp_servers.github]
command = "npx"
args = [
  "-y",
  "@modelcontextprotocol/server-github", # pinned later
]

[mcp_servers.github.env]
GITHUB_TOKEN = "t"

[mcp_servers.ipc]
command = "/opt/ipcd/ipc-mcp"
args = []

[mcp_servers.ipc.env]
IPC_NAME = "alice"

[tui]
notifications = true
`,
	}, {
		name: "existing tables: our keys change, others stay",
		in: `[mcp_servers.ipc]
# launched by Codex
command = "/old/ipc-mcp"
args = ["--socket", "/tmp/x"]
startup_timeout_sec = 20
enabled = true # for now

[mcp_servers.ipc.env]
IPC_SOCKET = "/run/ipcd.sock"
IPC_NAME = "bob"

[mcp_servers.ipc.tools.send]
approval = "never"

[profiles.fast]
model = "o4-mini"
`,
		e: alice,
		want: `[mcp_servers.ipc]
command = "/opt/ipcd/ipc-mcp"
args = []
# launched by Codex
startup_timeout_sec = 20
enabled = true # for now

[mcp_servers.ipc.env]
IPC_NAME = "alice"
IPC_SOCKET = "/run/ipcd.sock"

[mcp_servers.ipc.tools.send]
approval = "never"

[profiles.fast]
model = "o4-mini"
`,
	}, {
		name: "inline env becomes a table",
		in:   "[mcp_servers.ipc]\ncommand = \"/old\"\nenv = { IPC_NAME = \"bob\", \"DEBUG\" = \"1\" }\n",
		e:    entry{command: "/new", name: "bob"},
		want: "[mcp_servers.ipc]\ncommand = \"/new\"\nargs = []\n\n[mcp_servers.ipc.env]\nIPC_NAME = \"bob\"\n\"DEBUG\" = \"1\"\n",
	}, {
		name: "tables apart are gathered",
		in:   "[mcp_servers.ipc]\ncommand = \"/old\"\n\n[tui]\nx = 1\n\n[mcp_servers.ipc.env]\nIPC_NAME = \"a\"\n",
		e:    entry{command: "/new", name: "a"},
		want: "[mcp_servers.ipc]\ncommand = \"/new\"\nargs = []\n\n[mcp_servers.ipc.env]\nIPC_NAME = \"a\"\n\n[tui]\nx = 1\n",
	}, {
		name: "CRLF",
		in:   "model = \"o3\"\r\n",
		e:    entry{command: "/x", name: "n"},
		want: "model = \"o3\"\r\n\r\n[mcp_servers.ipc]\r\ncommand = \"/x\"\r\nargs = []\r\n\r\n[mcp_servers.ipc.env]\r\nIPC_NAME = \"n\"\r\n",
	}, {
		name: "brackets inside strings are not headers",
		in:   "instructions = \"\"\"\n[mcp_servers.ipc]\ncommand = 'no'\n\"\"\"\nnotes = '''\n[x]'''\nlist = [\n  \"[mcp_servers.ipc]\",\n]\n",
		e:    entry{command: "/x"},
		want: "instructions = \"\"\"\n[mcp_servers.ipc]\ncommand = 'no'\n\"\"\"\nnotes = '''\n[x]'''\nlist = [\n  \"[mcp_servers.ipc]\",\n]\n\n[mcp_servers.ipc]\ncommand = \"/x\"\nargs = []\n",
	}, {
		name: "unicode",
		in:   "# réglages ✓\n[mcp_servers.\"café\"]\ncommand = \"☕\"\n",
		e:    entry{command: "/home/zoë/bin/ipc-mcp", name: "zoe"},
		want: "# réglages ✓\n[mcp_servers.\"café\"]\ncommand = \"☕\"\n\n[mcp_servers.ipc]\ncommand = \"/home/zoë/bin/ipc-mcp\"\nargs = []\n\n[mcp_servers.ipc.env]\nIPC_NAME = \"zoe\"\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := codexApply(t, tt.in, tt.e)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("apply (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCodexState(t *testing.T) {
	tests := []struct {
		in   string
		want serverState
	}{
		{"", serverState{}},
		{"[mcp_servers.other]\ncommand = \"x\"\n", serverState{}},
		{"[mcp_servers.ipc]\ncommand = '/a b/ipc-mcp'\n[mcp_servers.ipc.env]\nIPC_NAME = \"al\\u0069ce\"\n", serverState{true, "/a b/ipc-mcp", "alice", false}},
		{"[mcp_servers.ipc]\ncommand = \"/x\"\nenv = {IPC_NAME = 'bob'}\n", serverState{true, "/x", "bob", false}},
		{"[mcp_servers.ipc]\ncommand = \"/x\"\nenv.IPC_NAME = \"carol\"\n", serverState{true, "/x", "carol", false}},
		{"[mcp_servers.ipc]\ncommand = \"/x\"\nenv.IPC_SHARED_SECRET = \"s\"\n", serverState{true, "/x", "", true}},
	}
	for _, tt := range tests {
		d, err := parseCodexDoc([]byte(tt.in))
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		if diff := cmp.Diff(tt.want, d.state(), cmp.AllowUnexported(serverState{})); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestCodexRefusals(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		line, col int
		reason    string
	}{
		{"inline servers", "mcp_servers = { other = { command = \"x\" } }\n", 1, 1, "mcp_servers is written as an inline table"},
		{"dotted keys at the top", "model = \"x\"\nmcp_servers.ipc.command = \"x\"\n", 2, 1, "written as an inline table or dotted keys"},
		{"inline in the servers table", "[mcp_servers]\nipc = { command = \"x\" }\n", 2, 1, "written as an inline table or dotted keys"},
		{"defined twice", "[mcp_servers.ipc]\ncommand = \"a\"\n\n[mcp_servers.ipc]\ncommand = \"b\"\n", 4, 1, "[mcp_servers.ipc] is defined twice (also on line 1)"},
		{"array of tables", "[[mcp_servers.ipc]]\ncommand = \"a\"\n", 1, 1, "array of tables"},
		{"env twice", "[mcp_servers.ipc]\nenv = {}\n[mcp_servers.ipc.env]\nA = \"1\"\n", 2, 1, "env of mcp_servers.ipc is defined both here"},
		{"unterminated string", "[a]\nx = \"abc\n", 2, 9, "string is not closed on its line"},
		{"unclosed array", "x = [1,\n 2\n", 3, 1, "array is never closed"},
		{"unclosed multi-line string", "x = '''\nabc\n", 1, 5, "multi-line string is never closed"},
		{"missing equals", "x 1\n", 1, 3, "expected '=' after the key \"x\""},
		{"bad header", "[a.b\nx = 1\n", 1, 5, "table header is not closed"},
		{"junk after value", "x = 1 2\n", 1, 7, "unexpected '2' after the value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseCodexDoc([]byte(tt.in))
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, ErrUnparseable) {
				t.Fatalf("got %v, want a ParseError", err)
			}
			if pe.Line != tt.line || pe.Column != tt.col || !strings.Contains(pe.Reason, tt.reason) {
				t.Errorf("got %d:%d %q, want %d:%d containing %q", pe.Line, pe.Column, pe.Reason, tt.line, tt.col, tt.reason)
			}
		})
	}
}

func TestTOMLStrings(t *testing.T) {
	for _, s := range []string{"plain", `C:\Program Files\x`, "quote\" and \\ back", "tab\tnew\nline", "ctl\x01", "ünï"} {
		got, ok := decodeTOMLString(tomlQuote(s))
		if !ok || got != s {
			t.Errorf("round trip of %q: got %q, %v (quoted %s)", s, got, ok, tomlQuote(s))
		}
	}
	for raw, want := range map[string]string{
		`'C:\x'`:                   `C:\x`,
		"\"\"\"\nab\\\n   c\"\"\"": "abc",
		"'''\nraw\\n'''":           `raw\n`,
		`"\U0001F600"`:             "😀",
	} {
		if got, ok := decodeTOMLString(raw); !ok || got != want {
			t.Errorf("decode %s: got %q, %v, want %q", raw, got, ok, want)
		}
	}
}
