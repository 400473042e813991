package setup

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHookCommandRunsThroughShell writes a stand-in ipc-mcp at awkward paths
// and runs the hook command the way clients do, through sh -c.
func TestHookCommandRunsThroughShell(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs sh")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, dir := range []string{"plain", "with space", "it's quoted", `dollar $HOME and "dq"`, "back\\slash", "ünïcode ✓", "semi;colon&amp"} {
		t.Run(dir, func(t *testing.T) {
			d := filepath.Join(t.TempDir(), dir)
			if err := os.MkdirAll(d, 0o700); err != nil {
				t.Fatal(err)
			}
			exe := filepath.Join(d, "ipc-mcp")
			script := "#!/bin/sh\nprintf '%s|' \"$0\" \"$@\"\n"
			if err := os.WriteFile(exe, []byte(script), 0o700); err != nil {
				t.Fatal(err)
			}
			cmd := hookCommand("linux", exe, "alice")
			out, err := exec.Command(sh, "-c", cmd).Output()
			if err != nil {
				t.Fatalf("sh -c %s: %v", cmd, err)
			}
			if got, want := string(out), exe+"|hook|--as|alice|"; got != want {
				t.Errorf("sh -c %s ran %q, want %q", cmd, got, want)
			}
			if !isIpcdHook(cmd, exe) {
				t.Errorf("isIpcdHook(%s) = false", cmd)
			}
		})
	}
}

func TestHookCommand(t *testing.T) {
	tests := []struct {
		goos, exe, name, want string
	}{
		{"linux", "/usr/local/bin/ipc-mcp", "", "/usr/local/bin/ipc-mcp hook"},
		{"darwin", "/Users/me/Application Support/ipc-mcp", "bob", "'/Users/me/Application Support/ipc-mcp' hook --as bob"},
		{"linux", "/tmp/it's/ipc-mcp", "", `'/tmp/it'\''s/ipc-mcp' hook`},
		{"windows", `C:\Users\me\bin\ipc-mcp.exe`, "a_b-1", "C:/Users/me/bin/ipc-mcp.exe hook --as a_b-1"},
		{"windows", `C:\Program Files\ipcd\ipc-mcp.exe`, "", `"C:/Program Files/ipcd/ipc-mcp.exe" hook`},
	}
	for _, tt := range tests {
		got := hookCommand(tt.goos, tt.exe, tt.name)
		if got != tt.want {
			t.Errorf("hookCommand(%s, %q, %q) = %s, want %s", tt.goos, tt.exe, tt.name, got, tt.want)
		}
		if !isIpcdHook(got, tt.exe) {
			t.Errorf("isIpcdHook(%s) = false", got)
		}
	}
}

func TestIsIpcdHook(t *testing.T) {
	tests := []struct {
		cmd  string
		want bool
	}{
		{"ipc-mcp hook", true},
		{"/old/place/ipc-mcp hook --as x", true},
		{`"C:/old/ipc-mcp.exe" hook`, true},
		{"/opt/renamed/my-ipc hook", true}, // same base name as the current binary
		{"ipc-mcp check", false},
		{"ipc-mcp", false},
		{"echo ipc-mcp hook", false},
		{"/usr/bin/other hook", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := isIpcdHook(tt.cmd, "/usr/bin/my-ipc"); got != tt.want {
			t.Errorf("isIpcdHook(%q) = %v, want %v", tt.cmd, got, tt.want)
		}
	}
}

func TestShellWords(t *testing.T) {
	got := shellWords(`'a b'"c\"d" e\ f g`, 5)
	if diff := cmp.Diff([]string{`a bc"d`, "e f", "g"}, got); diff != "" {
		t.Errorf("shellWords (-want +got):\n%s", diff)
	}
	if got := shellWords("x 'unterminated", 3); !cmp.Equal(got, []string{"x"}) {
		t.Errorf("unterminated quote: %q", got)
	}
	if got := strings.Join(shellWords("  a   b  c", 2), ","); got != "a,b" {
		t.Errorf("limit: %q", got)
	}
}

// On Windows a program path with $, % or a backquote cannot be quoted
// safely for Git Bash and cmd.exe alike: setup refuses it for hooks.
func TestHookPathProblem(t *testing.T) {
	for exe, bad := range map[string]bool{
		`C:\Users\me\$Tools\ipc-mcp.exe`:    true,
		`C:\Users\me\%TEMP%\ipc-mcp.exe`:    true,
		"C:\\Users\\me\\`x\\ipc-mcp.exe":    true,
		`C:\Program Files\ipcd\ipc-mcp.exe`: false,
		`C:\Users\o'brien\bin\ipc-mcp.exe`:  false,
	} {
		if err := hookPathProblem("windows", exe); (err != nil) != bad {
			t.Errorf("hookPathProblem(%q) = %v", exe, err)
		}
	}
	if err := hookPathProblem("linux", "/home/me/$x/ipc-mcp"); err != nil {
		t.Errorf("sh quotes $ safely in single quotes: %v", err)
	}
}
