package ipcdcli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/syncbuf"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// TestEveryCommandHasExample walks the tree: every command of ours
// explains itself with an example.
func TestEveryCommandHasExample(t *testing.T) {
	w := newWorld(t)
	root := newRootCmd(w.app(&syncbuf.Buffer{}, &syncbuf.Buffer{}))
	var walk func(*cobra.Command)
	seen := 0
	walk = func(c *cobra.Command) {
		if c.Name() == "completion" || c.Name() == "help" {
			return
		}
		seen++
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%q has no Example", c.CommandPath())
		}
		if c.Short == "" {
			t.Errorf("%q has no Short", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	for _, name := range []string{"run", "status", "watch", "doctor", "backup", "compact", "import",
		"install", "uninstall", "start", "stop", "restart"} {
		if c, _, err := root.Find([]string{name}); err != nil || c.Name() != name {
			t.Errorf("no %q command", name)
		}
	}
	if seen < 13 {
		t.Errorf("walked only %d commands", seen)
	}
}

func TestVersionAndCompletion(t *testing.T) {
	w := newWorld(t)
	out, _, code := w.run("--version")
	if code != 0 || strings.TrimSpace(out) != "ipcd version "+protocol.Version {
		t.Errorf("--version: exit %d %q", code, out)
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		out, errOut, code := w.run("completion", shell)
		if code != 0 || !strings.Contains(out, "ipcd") || len(out) < 500 {
			t.Errorf("completion %s: exit %d, %d bytes, %s", shell, code, len(out), errOut)
		}
	}
	out, _, _ = w.run("status", "--help")
	for _, s := range []string{"Exit status", "3  the daemon is not running", "4  it runs but needs attention"} {
		if !strings.Contains(out, s) {
			t.Errorf("status --help lacks %q", s)
		}
	}
	if _, _, code := w.run("no-such-command"); code != cli.ExitUsage {
		t.Errorf("unknown command: exit %d", code)
	}
}
