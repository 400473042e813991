package service

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// systemdAnalyze returns the path of systemd-analyze. In CI (CI set) its
// absence fails the test, so the units never go unchecked there; .ci/run
// installs it. On a developer's machine without systemd the test is skipped
// with the command that installs it. IPC_SKIP_SYSTEMD_VERIFY=1 always skips.
func systemdAnalyze(t *testing.T) string {
	t.Helper()
	if os.Getenv("IPC_SKIP_SYSTEMD_VERIFY") == "1" {
		t.Skip("IPC_SKIP_SYSTEMD_VERIFY=1")
	}
	p, err := exec.LookPath("systemd-analyze")
	if err != nil && os.Getenv("CI") == "" {
		t.Skip("systemd-analyze not found, unit files not verified: apt-get install -y systemd (CI fails here instead)")
	}
	if err != nil {
		t.Fatal("systemd-analyze not found: install systemd to check the unit files " +
			"(apt-get install -y systemd), or set IPC_SKIP_SYSTEMD_VERIFY=1 to skip this test")
	}
	return p
}

// verifyNoise are lines systemd-analyze may print about the machine it runs
// on (no systemd as PID 1, no bus), not about the unit.
var verifyNoise = regexp.MustCompile(`(?i)failed to connect to (user scope )?bus|no medium found|` +
	`system has not been booted with systemd|PR_SET_MM_ARG_START`)

// verifyUnit runs "systemd-analyze verify" on content saved as name in a
// fresh directory and returns the lines that report problems with it.
//
// It works without a running systemd: --man=no skips the man page check,
// a temporary XDG_RUNTIME_DIR lets --user start its in-process manager
// without a user bus, a temporary HOME keeps the user's own units out of
// the search path, and SYSTEMD_LOG_LEVEL=info makes sure warnings (an
// unknown key is only a warning, exit status 0) are printed. Every line
// printed is a problem unless it is machine noise or about another unit.
func verifyUnit(t *testing.T, analyze, name, content string, user bool) []string {
	t.Helper()
	dir, home, runtimeDir := t.TempDir(), t.TempDir(), t.TempDir()
	unit := filepath.Join(dir, name)
	if err := os.WriteFile(unit, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"verify", "--man=no"}
	if user {
		args = append(args, "--user")
	}
	cmd := exec.Command(analyze, append(args, unit)...)
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_LEVEL=info", "SYSTEMD_COLORS=0", "SYSTEMD_PAGER=cat",
		"XDG_RUNTIME_DIR="+runtimeDir, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	out, err := cmd.CombinedOutput()
	var problems []string
	if err != nil {
		problems = append(problems, "systemd-analyze: "+err.Error())
	}
	otherFile := regexp.MustCompile(`^(/[^:]+):\d+:`)
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || verifyNoise.MatchString(line) {
			continue
		}
		if m := otherFile.FindStringSubmatch(line); m != nil && m[1] != unit {
			continue
		}
		problems = append(problems, line)
	}
	return problems
}

func TestSystemdAnalyzeVerify(t *testing.T) {
	analyze := systemdAnalyze(t)
	// ExecStart must name a real executable: verify checks it.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// systemd refuses quotes and backslashes in the executable (Render
	// does too), but not in arguments.
	odd := filepath.Join(t.TempDir(), `dir with %h $HOME`)
	if err := os.Mkdir(odd, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, filepath.Join(odd, "ipcd")); err != nil {
		t.Fatal(err)
	}
	awkward, err := Render(PlatformSystemd, Config{Executable: filepath.Join(odd, "ipcd"), Home: "/home/you",
		DataDir: `/srv/o'brien's data/%i`, Socket: `/run/user/1000/$ipcd "x" \y/ipcd.sock`})
	if err != nil {
		t.Fatal(err)
	}
	shipped := func(file string) string {
		return strings.ReplaceAll(readFile(t, filepath.Join(deployDir, file)), "/usr/local/bin/ipcd", exe)
	}
	tests := []struct {
		name    string
		unit    string // file name given to systemd-analyze
		content string
		user    bool
	}{
		{"user unit", "ipcd.service", shipped("systemd/ipcd.service"), true},
		{"user unit as a system unit", "ipcd.service", shipped("systemd/ipcd.service"), false},
		{"system template unit", "ipcd@ipcdtest.service", shipped("systemd/ipcd@.service"), false},
		{"user unit with awkward paths", "ipcd.service", awkward.Content, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(tt.content, "ExecStart="+systemdExec(exe)) &&
				!strings.Contains(tt.content, "ExecStart="+systemdExec(filepath.Join(odd, "ipcd"))) {
				t.Fatalf("ExecStart was not pointed at a real executable:\n%s", tt.content)
			}
			if problems := verifyUnit(t, analyze, tt.unit, tt.content, tt.user); len(problems) > 0 {
				t.Errorf("systemd-analyze verify %s:\n%s\nunit:\n%s", tt.unit, strings.Join(problems, "\n"), tt.content)
			}
		})
	}
}

// The check must catch what systemd only warns about, or a typo in a
// hardening option would pass unnoticed.
func TestVerifyUnitCatchesMistakes(t *testing.T) {
	analyze := systemdAnalyze(t)
	tests := map[string]string{
		"unknown key":       "[Service]\nExecStart=/bin/sh -c true\nNoNewPrivilege=yes\n",
		"missing binary":    "[Service]\nExecStart=/nonexistent/ipcd run\n",
		"bad specifier":     "[Service]\nExecStart=/bin/sh -c true %x\n",
		"unknown directive": "[Service]\nExecStart=/bin/sh -c true\nRestart=sometimes\n",
	}
	for name, content := range tests {
		t.Run(name, func(t *testing.T) {
			if problems := verifyUnit(t, analyze, "bad.service", content, false); len(problems) == 0 {
				t.Errorf("no problem reported for:\n%s", content)
			}
		})
	}
}
