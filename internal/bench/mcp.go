package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/ipcd/ipcd/internal/paths"
)

// MCP is how soon a freshly started ipc-mcp answers tools/list.
type MCP struct {
	// Skipped says why nothing was measured, when nothing was.
	Skipped string `json:"skipped,omitempty"`
	Binary  string `json:"binary,omitempty"`
	Runs    int    `json:"runs,omitempty"`
	// StartToToolsList runs from starting the process to having the
	// tools/list answer (initialize and its notification in between).
	StartToToolsList Percentiles `json:"start_to_tools_list"`
	// ToolsList is the tools/list round trip alone.
	ToolsList Percentiles `json:"tools_list"`
	Tools     int         `json:"tools"`
}

// FindMCP looks for ipc-mcp beside the running ipcd, then on PATH.
func FindMCP(self string) string {
	name := "ipc-mcp"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if self != "" {
		p := filepath.Join(filepath.Dir(self), name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return ""
}

// mcpEnv is this process's environment with the daemon's location set
// (dataDir "" keeps the user's own) and nothing that would pick a name or
// another secret.
func mcpEnv(socket, dataDir string) []string {
	drop := []string{paths.EnvName, paths.EnvSocket}
	if dataDir != "" {
		drop = append(drop, paths.EnvDataDir, paths.EnvSecret, paths.EnvSecretFile)
	}
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return slices.Contains(drop, k)
	})
	env = append(env, paths.EnvSocket+"="+socket)
	if dataDir != "" {
		env = append(env, paths.EnvDataDir+"="+dataDir)
	}
	return env
}

// measureMCP starts o.MCP o.MCPRuns times with env and times tools/list.
func measureMCP(ctx context.Context, o Options, env []string) MCP {
	exe, runs := o.MCP, o.MCPRuns
	switch {
	case o.NoMCP:
		return MCP{Skipped: "not asked for (--no-mcp)"}
	case exe == "":
		return MCP{Skipped: "ipc-mcp was not found beside ipcd or on PATH"}
	}
	out := MCP{Binary: exe, Runs: runs}
	var start, list []time.Duration
	for range runs {
		s, l, tools, err := mcpOnce(ctx, exe, env)
		if err != nil {
			return MCP{Binary: exe, Skipped: fmt.Sprintf("%s did not answer MCP tools/list: %v", exe, err)}
		}
		start, list, out.Tools = append(start, s), append(list, l), tools
	}
	out.StartToToolsList, out.ToolsList = summarize(start), summarize(list)
	return out
}

func mcpOnce(ctx context.Context, exe string, env []string) (start, list time.Duration, tools int, err error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = env
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 0, 0, 0, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, 0, err
	}
	cmd.Stderr = nil // the null device: no pipe and copying goroutine to time
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, err
	}
	defer func() {
		stdin.Close()
		if werr := waitOrKill(cmd, 2*time.Second); err == nil && werr != nil {
			err = werr
		}
	}()
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 1<<20), 16<<20)
	call := func(id int, method string, params any) (json.RawMessage, error) {
		if err := writeRPC(stdin, id, method, params); err != nil {
			return nil, err
		}
		for lines.Scan() {
			var resp struct {
				ID     *int            `json:"id"`
				Result json.RawMessage `json:"result"`
				Error  *struct {
					Message string `json:"message"`
				} `json:"error"`
			}
			if json.Unmarshal(lines.Bytes(), &resp) != nil || resp.ID == nil || *resp.ID != id {
				continue // a notification or a request from the server
			}
			if resp.Error != nil {
				return nil, fmt.Errorf("%s: %s", method, resp.Error.Message)
			}
			return resp.Result, nil
		}
		if err := lines.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%s: the server closed its output", method)
	}
	if _, err := call(1, "initialize", map[string]any{
		"protocolVersion": "2025-06-18",
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": "ipcd-bench", "version": "1"},
	}); err != nil {
		return 0, 0, 0, err
	}
	if err := writeRPC(stdin, 0, "notifications/initialized", map[string]any{}); err != nil {
		return 0, 0, 0, err
	}
	t1 := time.Now()
	res, err := call(2, "tools/list", map[string]any{})
	if err != nil {
		return 0, 0, 0, err
	}
	t2 := time.Now()
	var tl struct {
		Tools []json.RawMessage `json:"tools"`
	}
	if err := json.Unmarshal(res, &tl); err != nil || len(tl.Tools) == 0 {
		return 0, 0, 0, errors.New("tools/list returned no tools")
	}
	return t2.Sub(t0), t2.Sub(t1), len(tl.Tools), nil
}

// writeRPC writes one JSON-RPC message; id 0 makes it a notification.
func writeRPC(w io.Writer, id int, method string, params any) error {
	msg := map[string]any{"jsonrpc": "2.0", "method": method, "params": params}
	if id != 0 {
		msg["id"] = id
	}
	raw, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	_, err = w.Write(append(raw, '\n'))
	return err
}

// waitOrKill gives the process a moment to leave after its stdin closed.
func waitOrKill(cmd *exec.Cmd, grace time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		return nil
	case <-time.After(grace):
		cmd.Process.Kill()
		<-done
		return nil
	}
}
