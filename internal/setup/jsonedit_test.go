package setup

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mergeServer runs the JSON server merge the way Plan does.
func mergeServer(t *testing.T, style *serverStyle, in string, e entry) (string, error) {
	t.Helper()
	d, err := parseJSONDoc([]byte(in))
	if err != nil {
		return "", err
	}
	if _, err := applyJSONServer(d, style, e); err != nil {
		return "", err
	}
	return string(d.bytes()), nil
}

var plainStyle = &serverStyle{serversKey: "mcpServers"}

func TestJSONServerMerge(t *testing.T) {
	alice := entry{command: "/opt/ipcd/ipc-mcp", name: "alice"}
	tests := []struct {
		name  string
		style *serverStyle
		in    string
		e     entry
		want  string
	}{{
		name: "empty file",
		in:   "",
		e:    alice,
		want: `{
  "mcpServers": {
    "ipc": {
      "command": "/opt/ipcd/ipc-mcp",
      "args": [],
      "env": {
        "IPC_NAME": "alice"
      }
    }
  }
}
`,
	}, {
		name:  "claude code style without a name",
		style: &serverStyle{withType: true, alwaysEnv: true, serversKey: "mcpServers"},
		in:    "{}",
		e:     entry{command: "/opt/ipcd/ipc-mcp"},
		want:  `{"mcpServers": {"ipc":{"type":"stdio","command":"/opt/ipcd/ipc-mcp","args":[],"env":{}}}}`,
	}, {
		name: "other servers and keys, two spaces",
		in: `{
  "numStartups": 12,
  "mcpServers": {
    "github": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-github"]
    }
  },
  "projects": {"/home/u/src": {"allowedTools": []}}
}
`,
		e: alice,
		want: `{
  "numStartups": 12,
  "mcpServers": {
    "github": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-github"]
    },
    "ipc": {
      "command": "/opt/ipcd/ipc-mcp",
      "args": [],
      "env": {
        "IPC_NAME": "alice"
      }
    }
  },
  "projects": {"/home/u/src": {"allowedTools": []}}
}
`,
	}, {
		name: "tabs, comments and trailing commas",
		in:   "{\n\t// Gemini settings\n\t\"theme\": \"Dracula\", /* dark */\n\t\"mcpServers\": {\n\t\t\"fs\": {\"command\": \"mcp-fs\"}, // files\n\t},\n}\n",
		e:    alice,
		want: "{\n\t// Gemini settings\n\t\"theme\": \"Dracula\", /* dark */\n\t\"mcpServers\": {\n\t\t\"fs\": {\"command\": \"mcp-fs\"}, // files\n" +
			"\t\t\"ipc\": {\n\t\t\t\"command\": \"/opt/ipcd/ipc-mcp\",\n\t\t\t\"args\": [],\n\t\t\t\"env\": {\n\t\t\t\t\"IPC_NAME\": \"alice\"\n\t\t\t}\n\t\t},\n\t},\n}\n",
	}, {
		name: "comment after the last member stays on its line",
		in:   "{\n  \"mcpServers\": {\n    \"a\": {} // keep me\n  }\n}",
		e:    entry{command: "/x"},
		want: "{\n  \"mcpServers\": {\n    \"a\": {}, // keep me\n    \"ipc\": {\n      \"command\": \"/x\",\n      \"args\": []\n    }\n  }\n}",
	}, {
		name: "empty object with a comment in it",
		in:   "{\n  \"mcpServers\": { // none yet\n  }\n}\n",
		e:    entry{command: "/x"},
		want: "{\n  \"mcpServers\": { // none yet\n    \"ipc\": {\n      \"command\": \"/x\",\n      \"args\": []\n    }\n  }\n}\n",
	}, {
		name: "empty object",
		in:   "{\n    \"mcpServers\": {}\n}\n",
		e:    entry{command: "/x"},
		want: "{\n    \"mcpServers\": {\n        \"ipc\": {\n            \"command\": \"/x\",\n            \"args\": []\n        }\n    }\n}\n",
	}, {
		name: "minified on one line",
		in:   `{"mcpServers":{"a":{"command":"a"}}}`,
		e:    entry{command: "/x"},
		want: `{"mcpServers":{"a":{"command":"a"}, "ipc": {"command":"/x","args":[]}}}`,
	}, {
		name: "unicode and characters JSON may escape",
		in:   "{\n  \"greeting\": \"héllo 👋\",\n  \"mcpServers\": {}\n}\n",
		e:    entry{command: "/home/zoë/<bin>&/ipc-mcp", name: "zoe"},
		want: "{\n  \"greeting\": \"héllo 👋\",\n  \"mcpServers\": {\n    \"ipc\": {\n      \"command\": \"/home/zoë/<bin>&/ipc-mcp\",\n      \"args\": [],\n      \"env\": {\n        \"IPC_NAME\": \"zoe\"\n      }\n    }\n  }\n}\n",
	}, {
		name: "existing entry: only our keys change",
		in: `{
  "mcpServers": {
    "ipc": {
      "command": "/old/ipc-mcp",
      "args": [],
      "disabled": false,
      "env": {"IPC_SOCKET": "/run/ipcd.sock"}
    }
  }
}`,
		e: alice,
		want: `{
  "mcpServers": {
    "ipc": {
      "command": "/opt/ipcd/ipc-mcp",
      "args": [],
      "disabled": false,
      "env": {"IPC_SOCKET": "/run/ipcd.sock", "IPC_NAME": "alice"}
    }
  }
}`,
	}, {
		name: "the earlier tool's entry: its working directory goes, other keys stay",
		in: `{
  "mcpServers": {
    "ipc": {
      "command": "python3",
      "args": ["src/claude_ipc_server.py"],
      "cwd": "/path/to/claude-ipc-mcp",
      "trust": true,
      "timeout": 30000
    }
  }
}`,
		e: alice,
		want: `{
  "mcpServers": {
    "ipc": {
      "command": "/opt/ipcd/ipc-mcp",
      "args": [],
      "trust": true,
      "timeout": 30000,
      "env": {
        "IPC_NAME": "alice"
      }
    }
  }
}`,
	}, {
		name: "the earlier tool's entry with cwd last",
		in:   `{"mcpServers": {"ipc": {"command": "python3", "cwd": "/old"}}}`,
		e:    entry{command: "/x"},
		want: `{"mcpServers": {"ipc": {"command": "/x", "args": []}}}`,
	}, {
		name: "ipcd's own entry keeps a working directory the user chose",
		in:   `{"mcpServers": {"ipc": {"command": "C:\\ipcd\\IPC-MCP.EXE", "cwd": "D:\\work"}}}`,
		e:    entry{command: "/opt/ipcd/ipc-mcp"},
		want: `{"mcpServers": {"ipc": {"command": "/opt/ipcd/ipc-mcp", "cwd": "D:\\work", "args": []}}}`,
	}, {
		name: "existing entry that is not an object is replaced",
		in:   "{\"mcpServers\": {\"ipc\": \"broken\"}}",
		e:    entry{command: "/x"},
		want: "{\"mcpServers\": {\"ipc\": {\"command\":\"/x\",\"args\":[]}}}",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			style := tt.style
			if style == nil {
				style = plainStyle
			}
			got, err := mergeServer(t, style, tt.in, tt.e)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("merge (-want +got):\n%s", diff)
			}
			again, err := mergeServer(t, style, got, tt.e)
			if err != nil {
				t.Fatal(err)
			}
			if again != got {
				t.Errorf("second merge changed the file:\n%s", unifiedDiff("first", "second", []byte(got), []byte(again)))
			}
		})
	}
}

func TestJSONKeepsCRLFAndBOM(t *testing.T) {
	in := "\uFEFF{\r\n  \"a\": 1,\r\n  \"mcpServers\": {\r\n    \"b\": {}\r\n  }\r\n}\r\n"
	got, err := mergeServer(t, plainStyle, in, entry{command: "/x", name: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "\uFEFF{\r\n") {
		t.Errorf("byte-order mark lost: %q", got[:8])
	}
	if strings.Count(got, "\n") != strings.Count(got, "\r\n") {
		t.Errorf("a line ends without CR:\n%q", got)
	}
	if !strings.Contains(got, "\"b\": {},\r\n    \"ipc\": {\r\n      \"command\": \"/x\",") {
		t.Errorf("entry not laid out in CRLF lines:\n%q", got)
	}
}

func TestJSONRefusals(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		line, col  int
		wantReason string
	}{
		{"syntax error", "{\n  \"a\": 1,\n  \"b\" 2\n}\n", 3, 7, "invalid character '2' after object name"},
		{"not an object", "[1, 2]", 1, 1, "the file holds an array where a JSON object was expected"},
		{"servers not an object", "{\n  \"mcpServers\": [\"ipc\"]\n}", 2, 17, `"mcpServers" is an array, not an object`},
		{"servers twice", "{\"mcpServers\": {},\n \"mcpServers\": {}}", 2, 2, `"mcpServers" appears twice`},
		{"entry twice", "{\"mcpServers\": {\"ipc\": {}, \"ipc\": {}}}", 1, 28, `"mcpServers"["ipc"] appears twice`},
		{"unterminated comment", "{ /* \n", 1, 3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mergeServer(t, plainStyle, tt.in, entry{command: "/x"})
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, ErrUnparseable) {
				t.Fatalf("got %v, want a ParseError", err)
			}
			if pe.Line != tt.line || pe.Column != tt.col {
				t.Errorf("position %d:%d, want %d:%d (%v)", pe.Line, pe.Column, tt.line, tt.col, err)
			}
			if tt.wantReason != "" && pe.Reason != tt.wantReason {
				t.Errorf("reason %q, want %q", pe.Reason, tt.wantReason)
			}
		})
	}
}

func mergeHooks(t *testing.T, hs *hookStyle, in, command string) string {
	t.Helper()
	d, err := parseJSONDoc([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := applyJSONHooks(d, hs, command, "/opt/ipcd/ipc-mcp"); err != nil {
		t.Fatal(err)
	}
	return string(d.bytes())
}

func TestJSONHooksMerge(t *testing.T) {
	// Claude Code settings with hooks of the user's own, an outdated ipcd
	// hook (binary moved) and a duplicate of it.
	in := `{
  "permissions": {"allow": ["Bash(ls:*)"]},
  "hooks": {
    "UserPromptSubmit": [
      {"hooks": [{"type": "command", "command": "~/bin/log-prompt"}]},
      {"hooks": [{"type": "command", "command": "/usr/local/bin/ipc-mcp hook --as bob", "timeout": 5}]}
    ],
    "Stop": [
      {"hooks": [
        {"type": "command", "command": "/usr/local/bin/ipc-mcp hook"},
        {"type": "command", "command": "notify-send done"}
      ]},
      {"hooks": [{"type": "command", "command": "'/usr/local/bin/ipc-mcp' hook"}]}
    ],
    "PreToolUse": [
      {"matcher": "Bash", "hooks": [{"type": "command", "command": "check-bash"}]}
    ]
  }
}
`
	want := `{
  "permissions": {"allow": ["Bash(ls:*)"]},
  "hooks": {
    "UserPromptSubmit": [
      {"hooks": [{"type": "command", "command": "~/bin/log-prompt"}]},
      {"hooks": [{"type": "command", "command": "/opt/ipcd/ipc-mcp hook --as alice", "timeout": 10}]}
    ],
    "Stop": [
      {"hooks": [
        {"type": "command", "command": "/opt/ipcd/ipc-mcp hook --as alice", "timeout": 10},
        {"type": "command", "command": "notify-send done"}
      ]}
    ],
    "PreToolUse": [
      {"matcher": "Bash", "hooks": [{"type": "command", "command": "check-bash"}]}
    ],
    "SessionStart": [
      {
        "hooks": [
          {
            "type": "command",
            "command": "/opt/ipcd/ipc-mcp hook --as alice",
            "timeout": 10
          }
        ]
      }
    ]
  }
}
`
	cmd := "/opt/ipcd/ipc-mcp hook --as alice"
	got := mergeHooks(t, &claudeHooks, in, cmd)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hooks (-want +got):\n%s", diff)
	}
	if again := mergeHooks(t, &claudeHooks, got, cmd); again != got {
		t.Errorf("second merge changed the file:\n%s", unifiedDiff("first", "second", []byte(got), []byte(again)))
	}
	d, _ := parseJSONDoc([]byte(got))
	found, err := readJSONHooks(d, &claudeHooks, "/opt/ipcd/ipc-mcp")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"SessionStart": cmd, "UserPromptSubmit": cmd, "Stop": cmd}, found); diff != "" {
		t.Errorf("readJSONHooks (-want +got):\n%s", diff)
	}
}

func TestJSONHooksRemoveDuplicateKeepsTrailingComma(t *testing.T) {
	in := "{\"hooks\": {\"Stop\": [\n  {\"hooks\": [{\"command\": \"ipc-mcp hook\"}]},\n  {\"hooks\": [{\"command\": \"ipc-mcp hook\"}]},\n]}}"
	got := mergeHooks(t, &claudeHooks, in, "ipc-mcp hook")
	if strings.Count(got, "ipc-mcp hook") != 1+2 { // Stop once, two new events
		t.Errorf("duplicates left:\n%s", got)
	}
	if !strings.Contains(got, `"timeout": 10}]},`+"\n]") {
		t.Errorf("trailing comma of the Stop array lost:\n%s", got)
	}
}

func TestJSONHooksNotAnObject(t *testing.T) {
	d, err := parseJSONDoc([]byte(`{"hooks": "none"}`))
	if err != nil {
		t.Fatal(err)
	}
	before := d.bytes()
	_, err = applyJSONHooks(d, &geminiHooks, "ipc-mcp hook", "/x/ipc-mcp")
	if !errors.Is(err, ErrUnparseable) || !strings.Contains(err.Error(), `"hooks" is a string, not an object`) {
		t.Fatalf("got %v", err)
	}
	if !bytes.Equal(before, []byte(`{"hooks": "none"}`)) {
		t.Error("document changed")
	}
}
