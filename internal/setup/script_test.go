package setup

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/ipcd/ipcd/internal/clock"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/spf13/cobra"
)

// TestMain lets the test binary play ipc-mcp in scripts, as a child process.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"ipc-mcp": ipcMcpMain})
}

// ipcMcpMain is a stand-in for the ipc-mcp root: home, environment and
// working directory come from the process, as in production; the binary's
// path and the clock come from the script, so the files it writes can be
// compared.
func ipcMcpMain() {
	root := &cobra.Command{Use: "ipc-mcp", SilenceUsage: true, SilenceErrors: true}
	now, err := time.Parse(time.RFC3339, os.Getenv("SETUP_TEST_NOW"))
	if err != nil {
		now = time.Now()
	}
	root.AddCommand(NewCmdSetup(&Options{Executable: os.Getenv("SETUP_TEST_EXE"), Clock: clock.NewFake(now)}))
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "ipc-mcp:", err)
		os.Exit(1)
	}
}

func TestScripts(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("scripts use Unix paths")
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		UpdateScripts:       os.Getenv("SETUP_UPDATE_SCRIPTS") != "",
		Setup: func(env *testscript.Env) error {
			home := filepath.Join(env.WorkDir, "home")
			env.Setenv("HOME", home)
			env.Setenv("XDG_CONFIG_HOME", "")
			env.Setenv("CLAUDE_CONFIG_DIR", "")
			env.Setenv("CODEX_HOME", "")
			env.Setenv("SETUP_TEST_EXE", "/opt/ipcd/bin/ipc-mcp")
			env.Setenv("SETUP_TEST_NOW", "2026-03-04T05:06:07Z")
			return os.MkdirAll(home, 0o700)
		},
	})
}
