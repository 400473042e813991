package service

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kardianos/service"
)

// fakeSystemctl stands in for systemctl: it logs its arguments, keeps the
// unit's active state in a file, and fails the actions named in fail.
const fakeSystemctl = `#!/bin/sh
echo "$*" >> "$FAKE_SYSTEMCTL_LOG"
case " $FAKE_SYSTEMCTL_FAIL " in *" $1 "*) echo "fake systemctl: $1 failed" >&2; exit 1;; esac
case "$1" in
is-active)
	if [ -f "$FAKE_SYSTEMCTL_STATE/active" ]; then echo active; exit 0; fi
	echo inactive; exit 3;;
list-unit-files)
	if [ -f "$HOME/.config/systemd/user/ipcd.service" ]; then echo "ipcd.service enabled enabled"; exit 0; fi
	exit 1;;
start|restart) touch "$FAKE_SYSTEMCTL_STATE/active";;
stop) rm -f "$FAKE_SYSTEMCTL_STATE/active";;
esac
exit 0
`

// withFakeSystemctl puts fakeSystemctl first on PATH and HOME in a temp
// dir, and returns a production manager bound to kardianos' systemd
// backend, the home and the path of the call log. The real kardianos code
// runs; only systemctl is fake, so no real unit is ever touched.
func withFakeSystemctl(t *testing.T, fail string) (*kardianosManager, string, string) {
	t.Helper()
	bin, state, home := t.TempDir(), t.TempDir(), t.TempDir()
	logFile := filepath.Join(t.TempDir(), "calls")
	if err := os.WriteFile(filepath.Join(bin, "systemctl"), []byte(fakeSystemctl), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("HOME", home)
	t.Setenv("FAKE_SYSTEMCTL_LOG", logFile)
	t.Setenv("FAKE_SYSTEMCTL_STATE", state)
	t.Setenv("FAKE_SYSTEMCTL_FAIL", fail)
	if p, err := exec.LookPath("systemctl"); err != nil || p != filepath.Join(bin, "systemctl") {
		t.Fatalf("systemctl resolves to %q, %v: refusing to run against a real systemd", p, err)
	}
	var systemd service.System
	for _, s := range service.AvailableSystems() {
		if s.String() == "linux-systemd" {
			systemd = s
		}
	}
	if systemd == nil {
		t.Fatal("kardianos has no linux-systemd backend")
	}
	k := NewManager().(*kardianosManager)
	k.system = func() service.System { return systemd }
	return k, home, logFile
}

func systemctlCalls(t *testing.T, logFile string) []string {
	t.Helper()
	b, err := os.ReadFile(logFile)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func TestKardianosSystemdLifecycle(t *testing.T) {
	k, home, logFile := withFakeSystemctl(t, "")
	opts := &Options{Manager: k, GOOS: "linux", Executable: "/opt/ipc tools/ipcd", Home: home,
		DataDir: "/srv/ipc data", DataDirSet: true}
	unit := filepath.Join(home, ".config", "systemd", "user", "ipcd.service")

	dry, err := execute(t, command(t, opts, "install"), "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := execute(t, command(t, opts, "install")); err != nil {
		t.Fatalf("install: %v", err)
	}
	// What --dry-run printed is byte for byte what kardianos wrote.
	written := readFile(t, unit)
	if !strings.Contains(dry, "Would write "+unit+":\n"+written+"Would then run:") {
		t.Errorf("written unit is not the dry run's:\n%s\ndry run:\n%s", written, dry)
	}
	if st, err := opts.Status(t.Context()); err != nil || st != StateRunning {
		t.Errorf("Status after install = %q, %v; want running", st, err)
	}
	if _, err := execute(t, command(t, opts, "stop")); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if st, err := opts.Status(t.Context()); err != nil || st != StateStopped {
		t.Errorf("Status after stop = %q, %v; want stopped", st, err)
	}
	if _, err := execute(t, command(t, opts, "uninstall")); err != nil {
		t.Fatalf("uninstall: %v", err)
	}
	if _, err := os.Stat(unit); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("unit still there after uninstall: %v", err)
	}
	if st, err := opts.Status(t.Context()); err != nil || st != StateNotInstalled {
		t.Errorf("Status after uninstall = %q, %v; want not-installed", st, err)
	}

	probe := "--user show --property=Version"
	isActive := "is-active ipcd.service --user"
	listUnits := "list-unit-files -t service ipcd.service --user"
	want := []string{
		probe, probe, isActive, listUnits, // dry run; install checks state
		"enable --user ipcd.service", "daemon-reload --user", "start --user ipcd.service",
		probe, isActive, // status: running
		probe, isActive, "stop --user ipcd.service", // stop
		probe, isActive, listUnits, // status: stopped
		probe, isActive, listUnits, "disable --user ipcd.service", "daemon-reload --user", // uninstall
		probe, isActive, listUnits, // status: not installed
	}
	if diff := cmp.Diff(want, systemctlCalls(t, logFile)); diff != "" {
		t.Errorf("systemctl calls (-want +got):\n%s", diff)
	}
}

// A failing "systemctl enable" leaves kardianos' unit file behind; the
// install must remove it, even when "disable" fails too.
func TestKardianosSystemdRollback(t *testing.T) {
	k, home, logFile := withFakeSystemctl(t, "enable disable")
	opts := &Options{Manager: k, GOOS: "linux", Executable: "/usr/local/bin/ipcd", Home: home}
	_, err := execute(t, command(t, opts, "install"))
	var ie *InstallError
	if !errors.As(err, &ie) || ie.Step != "install" || ie.Rollback != nil {
		t.Fatalf("install = %v, want a rolled-back install failure", err)
	}
	if files := listFiles(t, home); len(files) != 0 {
		t.Errorf("left %v behind", files)
	}
	calls := systemctlCalls(t, logFile)
	if !cmp.Equal(calls[len(calls)-4:], []string{
		"stop --user ipcd.service", "disable --user ipcd.service",
		"is-active ipcd.service --user", "list-unit-files -t service ipcd.service --user",
	}) {
		t.Errorf("rollback calls: %q", calls)
	}
}
