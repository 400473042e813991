package setup

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/tailscale/hujson"
)

func semantic(t *testing.T, b []byte) map[string]any {
	b = bytes.TrimPrefix(b, utf8BOM)
	if len(bytes.TrimSpace(b)) == 0 {
		return map[string]any{}
	}
	std, err := hujson.Standardize(append([]byte(nil), b...))
	if err != nil {
		t.Fatalf("standardize: %v\n%q", err, b)
	}
	var v map[string]any
	if err := json.Unmarshal(std, &v); err != nil {
		t.Fatalf("unmarshal: %v\n%q", err, std)
	}
	return v
}

// FuzzJSONMerge: whatever setup accepts, it turns into a file that parses,
// holds the entry, keeps everything else and is a fixed point.
func FuzzJSONMerge(f *testing.F) {
	for _, s := range []string{
		"", "{}", "{\n}\n", `{"mcpServers":{}}`, "{\n\t\"a\": [1,2,],\n}",
		"{\n  \"mcpServers\": {\n    \"x\": {} // c\n  }\n}",
		"{\r\n  \"mcpServers\": { /* a */ },\r\n  \"hooks\": {\"Stop\": []}\r\n}",
		`{"mcpServers":{"ipc":{"command":"/old","env":{"A":"b"}}},"hooks":{"Stop":[{"hooks":[{"command":"ipc-mcp hook"}]},{"hooks":[{"command":"ipc-mcp hook"}]}]}}`,
		"{\"a\": 1 // x\n}",
		"\uFEFF{\"b\": \"é\"}",
		"{\n  \"mcpServers\": {\"ipc\": {\"command\": \"python3\", \"cwd\": \"/old\", // old tool\n  \"trust\": true,},},\n}",
		`{"mcpServers":{"ipc":{"cwd":"/old","command":"uvx"}}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		d, err := parseJSONDoc([]byte(in))
		if err != nil {
			return
		}
		e := entry{command: "/opt/ipc-mcp", name: "fz"}
		style := &serverStyle{withType: true, alwaysEnv: true, serversKey: "mcpServers"}
		if _, err := applyJSONServer(d, style, e); err != nil {
			return
		}
		if _, err := applyJSONHooks(d, &claudeHooks, "/opt/ipc-mcp hook --as fz", e.command); err != nil {
			return
		}
		out := d.bytes()
		got := semantic(t, out)
		servers, _ := got["mcpServers"].(map[string]any)
		ipc, _ := servers["ipc"].(map[string]any)
		if ipc["command"] != e.command || ipc["type"] != "stdio" {
			t.Fatalf("entry missing:\n%s", out)
		}
		if env, _ := ipc["env"].(map[string]any); env["IPC_NAME"] != "fz" {
			t.Fatalf("IPC_NAME missing:\n%s", out)
		}
		// Keys other than ours are unchanged.
		before := semantic(t, []byte(in))
		delete(got, "hooks")
		delete(before, "hooks")
		if bs, ok := before["mcpServers"].(map[string]any); ok {
			delete(bs, "ipc")
		} else {
			before["mcpServers"] = map[string]any{}
		}
		delete(servers, "ipc")
		if !reflect.DeepEqual(before, got) {
			t.Fatalf("other content changed:\nin:  %q\nout: %q", in, out)
		}
		d2, err := parseJSONDoc(out)
		if err != nil {
			t.Fatalf("own output does not parse: %v\n%q", err, out)
		}
		c1, err1 := applyJSONServer(d2, style, e)
		c2, err2 := applyJSONHooks(d2, &claudeHooks, "/opt/ipc-mcp hook --as fz", e.command)
		if err1 != nil || err2 != nil || c1 || c2 || string(d2.bytes()) != string(out) {
			t.Fatalf("not a fixed point (%v %v %v %v):\n%q\n%q", c1, c2, err1, err2, out, d2.bytes())
		}
	})
}

// FuzzCodex: whatever setup accepts, it turns into a file it reads back
// with the entry, and a second run changes nothing.
func FuzzCodex(f *testing.F) {
	for _, s := range []string{
		"", "a = 1", "[mcp_servers.x]\ncommand = \"y\"\n", "[mcp_servers.ipc]\ncommand = 'z'\nenv = {A = \"1\", IPC_NAME = \"q\"}\n[t]\n",
		"[mcp_servers.ipc.env]\nIPC_NAME = \"a\"\n\n[x]\n[mcp_servers.ipc]\nargs = [\n 1,\n]\n",
		"s = \"\"\"\n[mcp_servers.ipc]\n\"\"\"\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		d, err := parseCodexDoc([]byte(in))
		if err != nil {
			return
		}
		e := entry{command: "/opt/ipc mcp", name: "fz"}
		out := d.apply(e)
		d2, err := parseCodexDoc(out)
		if err != nil {
			t.Fatalf("own output does not parse: %v\nin:  %q\nout: %q", err, in, out)
		}
		if st := d2.state(); !st.found || st.command != e.command || st.name != e.name {
			t.Fatalf("state %+v\nin:  %q\nout: %q", st, in, out)
		}
		if again := d2.apply(e); string(again) != string(out) {
			t.Fatalf("not a fixed point:\nin:  %q\nout: %q\nagain: %q", in, out, again)
		}
	})
}
