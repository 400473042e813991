package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rawPeer speaks newline-delimited JSON-RPC to an ipc-mcp process by
// hand, as a client built on any other SDK would.
type rawPeer struct {
	t      *testing.T
	in     io.WriteCloser
	out    *bufio.Scanner
	nextID int
}

func startRaw(t *testing.T, w *world) *rawPeer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "ipc-mcp"))
	cmd.Env = w.env("")
	cmd.Stderr = &prefixWriter{t: t, prefix: "ipc-mcp: "}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("ipc-mcp exited: %v", err)
		}
		cancel()
	})
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	return &rawPeer{t: t, in: in, out: sc}
}

func (p *rawPeer) notify(method string, params any) {
	p.t.Helper()
	p.write(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
}

func (p *rawPeer) write(msg map[string]any) {
	p.t.Helper()
	b, err := json.Marshal(msg)
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.in.Write(append(b, '\n')); err != nil {
		p.t.Fatal(err)
	}
}

// request sends a request and returns its result, skipping notifications.
// Every line on stdout must be a JSON-RPC message.
func (p *rawPeer) request(method string, params any) map[string]any {
	p.t.Helper()
	p.nextID++
	id := p.nextID
	p.write(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	for p.out.Scan() {
		var msg struct {
			JSONRPC string          `json:"jsonrpc"`
			ID      *int            `json:"id"`
			Result  json.RawMessage `json:"result"`
			Error   json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(p.out.Bytes(), &msg); err != nil || msg.JSONRPC != "2.0" {
			p.t.Fatalf("stdout carried something that is not JSON-RPC: %q", p.out.Text())
		}
		if msg.ID == nil || *msg.ID != id {
			continue
		}
		if msg.Error != nil {
			p.t.Fatalf("%s: error %s", method, msg.Error)
		}
		var res map[string]any
		if err := json.Unmarshal(msg.Result, &res); err != nil {
			p.t.Fatalf("%s: result %s: %v", method, msg.Result, err)
		}
		return res
	}
	p.t.Fatalf("%s: no answer (%v)", method, p.out.Err())
	return nil
}

// toolText is the text of a tools/call result; it fails on a tool error
// unless wantError.
func toolText(t *testing.T, res map[string]any, wantError bool) string {
	t.Helper()
	if isErr, _ := res["isError"].(bool); isErr != wantError {
		t.Fatalf("isError=%v, want %v: %v", isErr, wantError, res)
	}
	var b strings.Builder
	content, _ := res["content"].([]any)
	for _, c := range content {
		m, _ := c.(map[string]any)
		if m["type"] == "text" {
			b.WriteString(fmt.Sprint(m["text"]))
		}
	}
	if b.Len() == 0 {
		t.Fatalf("no text content: %v", res)
	}
	return b.String()
}

// TestRawStdio drives ipc-mcp with hand-written JSON-RPC for each
// protocol version current clients send, and one from the future.
func TestRawStdio(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	for _, tc := range []struct{ ask, want string }{
		{"2025-06-18", "2025-06-18"},
		{"2025-11-25", "2025-11-25"},
		{"2025-03-26", "2025-03-26"},
		{"2026-07-28", "2025-11-25"}, // the newest the initialize handshake negotiates
		{"2099-01-01", "2025-11-25"},
	} {
		t.Run(tc.ask, func(t *testing.T) {
			w := newWorld(t)
			p := startRaw(t, w)
			start := time.Now()
			init := p.request("initialize", map[string]any{
				"protocolVersion": tc.ask,
				"capabilities":    map[string]any{},
				"clientInfo":      map[string]any{"name": "raw", "version": "0"},
			})
			if init["protocolVersion"] != tc.want {
				t.Fatalf("negotiated %v, want %s", init["protocolVersion"], tc.want)
			}
			caps, _ := init["capabilities"].(map[string]any)
			if caps["tools"] == nil || caps["resources"] == nil {
				t.Fatalf("capabilities: %v", caps)
			}
			p.notify("notifications/initialized", map[string]any{})
			list := p.request("tools/list", map[string]any{})
			elapsed := time.Since(start)
			tools, _ := list["tools"].([]any)
			if len(tools) == 0 || len(tools) > 10 {
				t.Fatalf("%d tools", len(tools))
			}
			for _, x := range tools {
				tool, _ := x.(map[string]any)
				in, _ := tool["inputSchema"].(map[string]any)
				if in["type"] != "object" || tool["outputSchema"] == nil || tool["description"] == "" {
					t.Fatalf("tool %v", tool)
				}
			}
			// tools/list needs no daemon: none was started for it.
			if _, err := os.Stat(w.loc.Socket); err == nil {
				t.Fatal("a daemon was started before any tool was called")
			}
			t.Logf("start to tools/list: %s", elapsed)

			res := p.request("tools/call", map[string]any{"name": "register", "arguments": map[string]any{"name": "raw"}})
			if text := toolText(t, res, false); !strings.Contains(text, "Registered as raw") {
				t.Fatalf("register: %q", text)
			}
			sc, _ := res["structuredContent"].(map[string]any)
			if sc["name"] != "raw" || sc["messages"] == nil {
				t.Fatalf("register structured content: %v", res["structuredContent"])
			}
			res = p.request("tools/call", map[string]any{"name": "send", "arguments": map[string]any{"to": "raw", "message": "note to self"}})
			if text := toolText(t, res, false); !strings.Contains(text, "1 unread message") {
				t.Fatalf("send: %q", text)
			}
			res = p.request("tools/call", map[string]any{"name": "check", "arguments": map[string]any{}})
			if text := toolText(t, res, false); !strings.Contains(text, "note to self") {
				t.Fatalf("check: %q", text)
			}
			res = p.request("tools/call", map[string]any{"name": "send", "arguments": map[string]any{"to": "not a name", "message": "x"}})
			if text := toolText(t, res, true); !strings.Contains(text, "invalid_name") {
				t.Fatalf("send to a bad name: %q", text)
			}
			for _, tool := range []string{"list_instances", "history", "wait_for_messages", "broadcast", "auto_check", "rename"} {
				args := map[string]any{
					"wait_for_messages": map[string]any{"timeout_seconds": 1},
					"broadcast":         map[string]any{"message": "all hands"},
					"auto_check":        map[string]any{"action": "status"},
					"rename":            map[string]any{"new_name": "raw2"},
				}[tool]
				if args == nil {
					args = map[string]any{}
				}
				res = p.request("tools/call", map[string]any{"name": tool, "arguments": args})
				toolText(t, res, false)
				if _, ok := res["structuredContent"].(map[string]any); !ok {
					t.Fatalf("%s: no structured content: %v", tool, res)
				}
			}
			read := p.request("resources/read", map[string]any{"uri": "ipc://inbox"})
			if contents, _ := read["contents"].([]any); len(contents) != 1 {
				t.Fatalf("inbox: %v", read)
			}
		})
	}
}

// A line that is not a JSON-RPC message, or one too long to take, is
// answered with a parse error (id null) and the session goes on: the SDK
// alone would end it on the first such line.
func TestRawStdioBadLines(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	w := newWorld(t)
	p := startRaw(t, w)
	p.request("initialize", map[string]any{
		"protocolVersion": "2025-06-18", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "raw", "version": "0"},
	})
	p.notify("notifications/initialized", map[string]any{})
	huge := append([]byte(`{"jsonrpc":"2.0","id":99,"method":"tools/call","params":{"name":"send","arguments":{"to":"x","message":"`),
		bytes.Repeat([]byte("y"), 17<<20)...)
	huge = append(huge, []byte(`"}}}`)...)
	for _, line := range [][]byte{[]byte("not json"), []byte(`{"jsonrpc":"2.0","method":`), huge} {
		if _, err := p.in.Write(append(line, '\n')); err != nil {
			t.Fatal(err)
		}
		if !p.out.Scan() {
			t.Fatalf("no answer to a bad line: %v", p.out.Err())
		}
		var msg struct {
			ID    any `json:"id"`
			Error struct {
				Code int `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal(p.out.Bytes(), &msg); err != nil || msg.ID != nil || msg.Error.Code != -32700 {
			t.Fatalf("answer to a bad line: %s", p.out.Bytes())
		}
	}
	list := p.request("tools/list", map[string]any{})
	if tools, _ := list["tools"].([]any); len(tools) == 0 {
		t.Fatalf("tools/list after bad lines: %v", list)
	}
}
