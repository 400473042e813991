package ipcdcli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// ShimInfo is the ipc-mcp binary that AI clients run: where it is and
// which version it reports.
type ShimInfo struct {
	Path    string `json:"path,omitempty"`
	Version string `json:"version,omitempty"`
	// Error says why no version is known ("not found", or what failed).
	Error string `json:"error,omitempty"`
}

// errShimNotFound means ipc-mcp is neither beside ipcd nor on PATH.
var errShimNotFound = errors.New("not found beside ipcd or on PATH")

// shimVersionTimeout bounds "ipc-mcp --version": a binary that hangs must
// not hang status.
const shimVersionTimeout = 3 * time.Second

// findShim looks for ipc-mcp beside the running ipcd first (the pair is
// installed together), then on PATH.
func (a *App) findShim() (string, error) {
	name := "ipc-mcp"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if a.Env.Executable != "" {
		p := filepath.Join(filepath.Dir(a.Env.Executable), name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	look := a.LookPath
	if look == nil {
		look = exec.LookPath
	}
	if p, err := look("ipc-mcp"); err == nil {
		return p, nil
	}
	return "", errShimNotFound
}

// shim runs "ipc-mcp --version" and reads the version from its last word
// (cobra prints "ipc-mcp version X").
func (a *App) shim(ctx context.Context) ShimInfo {
	p, err := a.findShim()
	if err != nil {
		return ShimInfo{Error: err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, shimVersionTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, p, "--version")
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	if ctx.Err() != nil {
		return ShimInfo{Path: p, Error: fmt.Sprintf("%s --version did not answer within %s", p, shimVersionTimeout)}
	}
	if err != nil {
		return ShimInfo{Path: p, Error: fmt.Sprintf("%s --version: %v", p, err)}
	}
	fields := strings.Fields(string(out))
	if len(fields) == 0 {
		return ShimInfo{Path: p, Error: fmt.Sprintf("%s --version printed nothing", p)}
	}
	return ShimInfo{Path: p, Version: fields[len(fields)-1]}
}
