package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// newTestOptions returns options for a systemd install into a temp home.
func newTestOptions(t *testing.T, fake *fakeManager) (*Options, string) {
	t.Helper()
	skipOnWindows(t)
	home := t.TempDir()
	return &Options{Manager: fake, GOOS: "linux", Executable: "/usr/local/bin/ipcd", Home: home},
		filepath.Join(home, ".config", "systemd", "user", "ipcd.service")
}

func TestInstall(t *testing.T) {
	fake := newFake(PlatformSystemd)
	opts, unit := newTestOptions(t, fake)
	out, err := execute(t, command(t, opts, "install"))
	if err != nil {
		t.Fatalf("install: %v", err)
	}
	got, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Render(PlatformSystemd, Config{Executable: "/usr/local/bin/ipcd", Home: opts.Home})
	if diff := cmp.Diff(want.Content, string(got)); diff != "" {
		t.Errorf("unit differs from the dry run (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"detect", "status", "install", "start"}, fake.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if !fake.running {
		t.Error("service not started")
	}
	for _, s := range []string{unit, "journalctl --user -u ipcd.service", "loginctl enable-linger"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
}

// Install stops a daemon that runs without the service (one that ipc-mcp
// started) before it starts the service, whose daemon could not start
// beside it; a daemon that a manager runs is left alone.
func TestInstallStopsTheDaemonWithoutService(t *testing.T) {
	for _, tc := range []struct {
		managed   string
		wantCalls []string
		wantOut   string
	}{
		{"", []string{"stop"}, "Stopped the daemon that ran without the service (pid 77); the service runs it now.\nInstalled ipcd"},
		{"launchd", nil, "Installed ipcd"},
	} {
		fake := newFake(PlatformSystemd)
		opts, _ := newTestOptions(t, fake)
		d := &fakeOnDemand{pid: 77, managed: tc.managed, log: &fake.calls}
		opts.OnDemand = d
		out, err := execute(t, command(t, opts, "install"))
		if err != nil || !strings.HasPrefix(out, tc.wantOut) || !slices.Equal(d.calls, tc.wantCalls) || !fake.running {
			t.Errorf("managed %q: %q, %v, daemon calls %v, service running %v", tc.managed, out, err, d.calls, fake.running)
		}
		// Stopped before the service starts, not after.
		if len(tc.wantCalls) > 0 && !slices.Equal(fake.calls, []string{"detect", "status", "install", "daemon-stop", "start"}) {
			t.Errorf("install calls %v", fake.calls)
		}
	}
}

// The dry run says that a real install would stop the daemon that runs
// without the service.
func TestInstallDryRunNotesTheDaemonWithoutService(t *testing.T) {
	fake := newFake(PlatformSystemd)
	opts, _ := newTestOptions(t, fake)
	d := &fakeOnDemand{pid: 77}
	opts.OnDemand = d
	out, err := execute(t, command(t, opts, "install"), "--dry-run")
	if err != nil || !strings.Contains(out, "Note: the daemon that runs now without a service (pid 77) would be stopped first") || len(d.calls) != 0 {
		t.Errorf("dry run: %v, daemon calls %v\n%s", err, d.calls, out)
	}
}

func TestInstallUnsupported(t *testing.T) {
	fake := newFake("")
	fake.detectErr = &UnsupportedError{Detected: "unix-systemv", Reason: "systemd is not running"}
	opts, _ := newTestOptions(t, fake)
	out, err := execute(t, command(t, opts, "install"))
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("install = %v, want ErrUnsupported", err)
	}
	for _, s := range []string{"nothing was installed", "unix-systemv", "systemd is not running", `"ipcd run"`, "ipc-mcp"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error is not one line: %q", err)
	}
	if out != "" {
		t.Errorf("printed %q", out)
	}
	if files := listFiles(t, opts.Home); len(files) != 0 {
		t.Errorf("wrote %v", files)
	}
	if diff := cmp.Diff([]string{"detect"}, fake.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestInstallRollsBack(t *testing.T) {
	tests := []struct {
		name           string
		fail           string
		failAfterWrite bool
		wantCalls      []string
	}{
		{"register fails after the file is written", "install", true,
			[]string{"detect", "status", "install", "stop", "uninstall", "status"}},
		{"register fails before writing", "install", false,
			[]string{"detect", "status", "install", "stop", "uninstall", "status"}},
		{"start fails", "start", false,
			[]string{"detect", "status", "install", "start", "stop", "uninstall", "status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(PlatformSystemd)
			fake.fail[tt.fail] = errFake
			fake.failAfterWrite = tt.failAfterWrite
			opts, _ := newTestOptions(t, fake)
			_, err := execute(t, command(t, opts, "install"))
			if !errors.Is(err, errFake) {
				t.Fatalf("install = %v, want the fake failure", err)
			}
			var ie *InstallError
			if !errors.As(err, &ie) || ie.Rollback != nil || ie.Step != tt.fail {
				t.Fatalf("install = %#v, want a clean rollback of step %q", err, tt.fail)
			}
			if !strings.Contains(err.Error(), "nothing was left installed") {
				t.Errorf("error %q does not say it rolled back", err)
			}
			if files := listFiles(t, opts.Home); len(files) != 0 {
				t.Errorf("left %v behind", files)
			}
			if fake.installed || fake.running {
				t.Errorf("manager still has the service: installed=%v running=%v", fake.installed, fake.running)
			}
			if diff := cmp.Diff(tt.wantCalls, fake.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInstallRollbackIncomplete(t *testing.T) {
	fake := newFake(PlatformSystemd)
	fake.fail["start"] = errFake
	fake.fail["uninstall"] = errors.New("cannot unregister")
	opts, _ := newTestOptions(t, fake)
	_, err := execute(t, command(t, opts, "install"))
	var ie *InstallError
	if !errors.As(err, &ie) || ie.Rollback == nil {
		t.Fatalf("install = %v, want an incomplete rollback", err)
	}
	for _, s := range []string{"rollback incomplete", "cannot unregister", "still stopped"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
	if files := listFiles(t, opts.Home); len(files) != 0 {
		t.Errorf("left %v behind", files)
	}
}

func TestInstallExisting(t *testing.T) {
	t.Run("installed", func(t *testing.T) {
		fake := newFake(PlatformSystemd)
		opts, unit := newTestOptions(t, fake)
		writeFile(t, unit, "old unit")
		fake.installed, fake.running = true, true
		_, err := execute(t, command(t, opts, "install"))
		if !errors.Is(err, ErrAlreadyInstalled) || !strings.Contains(err.Error(), "--force") {
			t.Fatalf("install = %v, want ErrAlreadyInstalled mentioning --force", err)
		}
		if got := readFile(t, unit); got != "old unit" {
			t.Errorf("unit changed to %q", got)
		}
	})
	t.Run("stray file", func(t *testing.T) {
		fake := newFake(PlatformSystemd)
		opts, unit := newTestOptions(t, fake)
		writeFile(t, unit, "someone's unit")
		_, err := execute(t, command(t, opts, "install"))
		if !errors.Is(err, ErrAlreadyInstalled) {
			t.Fatalf("install = %v, want ErrAlreadyInstalled", err)
		}
		if got := readFile(t, unit); got != "someone's unit" {
			t.Errorf("unit changed to %q", got)
		}
		if diff := cmp.Diff([]string{"detect", "status"}, fake.calls); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
	})
	t.Run("force replaces", func(t *testing.T) {
		fake := newFake(PlatformSystemd)
		opts, unit := newTestOptions(t, fake)
		writeFile(t, unit, "old unit")
		fake.installed, fake.running = true, true
		if _, err := execute(t, command(t, opts, "install"), "--force"); err != nil {
			t.Fatalf("install --force: %v", err)
		}
		if got := readFile(t, unit); !strings.Contains(got, "ExecStart=/usr/local/bin/ipcd run") {
			t.Errorf("unit not replaced: %q", got)
		}
		want := []string{"detect", "status", "stop", "uninstall", "install", "start"}
		if diff := cmp.Diff(want, fake.calls); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
	})
}

func TestInstallWindowsHasNoFile(t *testing.T) {
	fake := newFake(PlatformWindows)
	opts := &Options{Manager: fake, GOOS: "windows", Executable: `C:\ipcd\ipcd.exe`,
		DataDir: `C:\Users\a\AppData\Local\ipcd`, Socket: `C:\Users\a\AppData\Local\ipcd\ipcd.sock`}
	out, err := execute(t, command(t, opts, "install"))
	if err != nil {
		t.Fatal(err)
	}
	if !fake.running || !strings.Contains(out, "Windows service ipcd") {
		t.Errorf("running=%v, output %q", fake.running, out)
	}
}

func TestUninstall(t *testing.T) {
	fake := newFake(PlatformSystemd)
	opts, unit := newTestOptions(t, fake)
	if _, err := execute(t, command(t, opts, "install")); err != nil {
		t.Fatal(err)
	}
	fake.calls = nil
	out, err := execute(t, command(t, opts, "uninstall"))
	if err != nil {
		t.Fatalf("uninstall: %v", err)
	}
	if _, err := os.Stat(unit); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("unit still there: %v", err)
	}
	if diff := cmp.Diff([]string{"detect", "status", "stop", "uninstall"}, fake.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if !strings.Contains(out, "data dir is untouched") {
		t.Errorf("output %q", out)
	}
}

func TestNotInstalled(t *testing.T) {
	for _, name := range []string{"uninstall", "start", "stop", "restart"} {
		t.Run(name, func(t *testing.T) {
			fake := newFake(PlatformSystemd)
			opts, _ := newTestOptions(t, fake)
			_, err := execute(t, command(t, opts, name))
			if !errors.Is(err, ErrNotInstalled) {
				t.Fatalf("%s = %v, want ErrNotInstalled", name, err)
			}
			if !strings.HasPrefix(err.Error(), name+" service: ipcd is not installed") {
				t.Errorf("error %q", err)
			}
			if diff := cmp.Diff([]string{"detect", "status"}, fake.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestControlUnsupported(t *testing.T) {
	for _, name := range []string{"uninstall", "start", "stop", "restart"} {
		t.Run(name, func(t *testing.T) {
			fake := newFake("")
			fake.detectErr = &UnsupportedError{Detected: "unix-systemv", Reason: "no systemd"}
			opts, _ := newTestOptions(t, fake)
			_, err := execute(t, command(t, opts, name))
			if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "ipcd run") {
				t.Fatalf("%s = %v, want ErrUnsupported with advice", name, err)
			}
		})
	}
}

func TestControl(t *testing.T) {
	tests := []struct {
		command   string
		running   bool
		wantCall  string // "" when the manager must not be asked
		wantOut   string
		wantAfter bool
	}{
		{"start", false, "start", "Started ipcd", true},
		{"start", true, "", "ipcd is already running", true},
		{"stop", true, "stop", "Stopped ipcd", false},
		{"stop", false, "", "ipcd is not running", false},
		{"restart", true, "restart", "Restarted ipcd", true},
		{"restart", false, "start", "Started ipcd", true},
	}
	for _, tt := range tests {
		t.Run(tt.command, func(t *testing.T) {
			fake := newFake(PlatformSystemd)
			fake.installed, fake.running = true, tt.running
			opts, _ := newTestOptions(t, fake)
			out, err := execute(t, command(t, opts, tt.command))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(out, tt.wantOut) {
				t.Errorf("output %q, want prefix %q", out, tt.wantOut)
			}
			want := []string{"detect", "status"}
			if tt.wantCall != "" {
				want = append(want, tt.wantCall)
			}
			if diff := cmp.Diff(want, fake.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if fake.running != tt.wantAfter {
				t.Errorf("running = %v, want %v", fake.running, tt.wantAfter)
			}
		})
	}
}

func TestControlFailureSaysWhereToLook(t *testing.T) {
	fake := newFake(PlatformSystemd)
	fake.installed = true
	fake.fail["start"] = errFake
	opts, _ := newTestOptions(t, fake)
	_, err := execute(t, command(t, opts, "start"))
	if !errors.Is(err, errFake) || !strings.Contains(err.Error(), "journalctl --user -u ipcd.service") {
		t.Fatalf("start = %v", err)
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		name      string
		detectErr error
		installed bool
		running   bool
		want      State
	}{
		{"unsupported", &UnsupportedError{Detected: "unix-systemv", Reason: "x"}, false, false, StateUnsupported},
		{"not installed", nil, false, false, StateNotInstalled},
		{"stopped", nil, true, false, StateStopped},
		{"running", nil, true, true, StateRunning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(PlatformSystemd)
			fake.detectErr, fake.installed, fake.running = tt.detectErr, tt.installed, tt.running
			opts, _ := newTestOptions(t, fake)
			got, err := opts.Status(t.Context())
			if err != nil || got != tt.want {
				t.Errorf("Status = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	t.Run("manager error", func(t *testing.T) {
		fake := newFake(PlatformSystemd)
		fake.fail["status"] = errFake
		opts, _ := newTestOptions(t, fake)
		if _, err := opts.Status(t.Context()); !errors.Is(err, errFake) {
			t.Errorf("Status error = %v, want the fake failure", err)
		}
	})
}

// skipOnWindows skips tests that put a systemd unit in a temp home: the
// renderer wants a Unix path for it, which a Windows temp dir is not.
func skipOnWindows(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("needs a Unix home directory")
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// IPC_SHARED_SECRET cannot follow the daemon into the service; install
// and its dry run say so, and never print the value.
func TestInstallNotesSharedSecret(t *testing.T) {
	t.Setenv("IPC_SHARED_SECRET", "s3cr3t-value")
	for _, args := range [][]string{{"--dry-run"}, nil} {
		fake := newFake(PlatformSystemd)
		opts, _ := newTestOptions(t, fake)
		opts.SharedSecretInEnv = true
		out, err := execute(t, command(t, opts, "install"), args...)
		if err != nil {
			t.Fatalf("install %v: %v", args, err)
		}
		if !strings.Contains(out, "IPC_SHARED_SECRET is set here, but the service does not inherit it") || strings.Contains(out, "s3cr3t") {
			t.Errorf("install %v output:\n%s", args, out)
		}
	}
}

// fakeOnDemand is a daemon that no service manager runs.
type fakeOnDemand struct {
	pid             int
	managed, unlike string
	calls           []string
	log             *[]string // if set, Stop and Start are written here too, as daemon-stop and daemon-start
}

func (f *fakeOnDemand) Running(context.Context) (RunningDaemon, error) {
	return RunningDaemon{PID: f.pid, ManagedBy: f.managed, Unlike: f.unlike}, nil
}

func (f *fakeOnDemand) Stop(context.Context) error {
	f.calls = append(f.calls, "stop")
	if f.log != nil {
		*f.log = append(*f.log, "daemon-stop")
	}
	f.pid = 0
	return nil
}

func (f *fakeOnDemand) Start(context.Context) (int, error) {
	f.calls = append(f.calls, "start")
	if f.log != nil {
		*f.log = append(*f.log, "daemon-start")
	}
	f.pid = 4242
	return f.pid, nil
}

// Where no service runs ipcd (none can be installed, or none is), start,
// stop and restart act on the daemon that runs without one; an installed
// service is always controlled through its manager.
func TestControlOnDemand(t *testing.T) {
	tests := []struct {
		command   string
		pid       int
		wantCalls []string
		wantOut   string
	}{
		{"stop", 77, []string{"stop"}, "Stopped ipcd (pid 77, not run as a service"},
		{"stop", 0, nil, "ipcd is not running"},
		{"start", 0, []string{"start"}, "Started ipcd (pid 4242, in the background"},
		{"start", 77, nil, "ipcd is already running (pid 77, not as a service)"},
		{"restart", 77, []string{"stop", "start"}, "Restarted ipcd (pid 4242"},
		{"restart", 0, []string{"start"}, "Started ipcd (pid 4242"},
	}
	for _, unsupported := range []bool{true, false} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/%d/unsupported=%v", tt.command, tt.pid, unsupported), func(t *testing.T) {
				fake := newFake(PlatformSystemd)
				if unsupported {
					fake = newFake("")
					fake.detectErr = &UnsupportedError{Detected: "unix-systemv", Reason: "no systemd"}
				}
				opts, _ := newTestOptions(t, fake)
				d := &fakeOnDemand{pid: tt.pid}
				opts.OnDemand = d
				out, err := execute(t, command(t, opts, tt.command))
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(out, tt.wantOut) {
					t.Errorf("output %q, want prefix %q", out, tt.wantOut)
				}
				if diff := cmp.Diff(tt.wantCalls, d.calls); diff != "" {
					t.Errorf("daemon calls (-want +got):\n%s", diff)
				}
				if slices.Contains(fake.calls, "start") || slices.Contains(fake.calls, "stop") {
					t.Errorf("the service manager was asked: %v", fake.calls)
				}
			})
		}
	}
	// A daemon that a service manager runs, out of reach from here, is
	// left to it; one started with other settings is not restarted
	// without them.
	for _, tc := range []struct {
		command, managed, unlike, want string
		wantErr                        bool
	}{
		{"stop", "systemd", "", "is systemd's service, which cannot be reached from here; stop it with systemctl --user", true},
		{"restart", "launchd", "", "is launchd's service", true},
		{"start", "systemd", "", "ipcd is already running (pid 77, run by systemd)", false},
		{"restart", "", "a TCP listener on 127.0.0.1:9876", "runs with a TCP listener on 127.0.0.1:9876, which one started by ipcd start would not have", true},
	} {
		fake := newFake("")
		fake.detectErr = &UnsupportedError{Detected: "unix-systemv", Reason: "no systemd"}
		opts, _ := newTestOptions(t, fake)
		d := &fakeOnDemand{pid: 77, managed: tc.managed, unlike: tc.unlike}
		opts.OnDemand = d
		out, err := execute(t, command(t, opts, tc.command))
		got := out
		if err != nil {
			got = err.Error()
		}
		if (err != nil) != tc.wantErr || !strings.Contains(got, tc.want) || len(d.calls) != 0 {
			t.Errorf("%s of a daemon managed by %q, unlike %q: %q, %v, calls %v", tc.command, tc.managed, tc.unlike, out, err, d.calls)
		}
	}

	// An installed service beside a daemon that runs without it (one
	// ipc-mcp started while the service was down), whatever the unit's
	// state (systemd shows a unit that keeps failing as activating): that
	// daemon is stopped first, so that the service's own can start.
	for _, tc := range []struct {
		command        string
		serviceRunning bool
		wantOut        string
		wantCalls      []string // the manager's and the daemon's, in order
	}{
		{"stop", false, "Stopped ipcd (pid 77, which ran without the service).\n", []string{"detect", "status", "status", "daemon-stop"}},
		{"stop", true, "Stopped ipcd (pid 77, which ran without the service).\n", []string{"detect", "status", "status", "daemon-stop", "stop"}},
		{"restart", false, "Stopped the daemon that ran without the service (pid 77).\nStarted ipcd (systemd user unit", []string{"detect", "status", "status", "daemon-stop", "status", "start"}},
		{"start", false, "Stopped the daemon that ran without the service (pid 77).\nStarted ipcd (systemd user unit", []string{"detect", "status", "status", "daemon-stop", "status", "start"}},
	} {
		fake := newFake(PlatformSystemd)
		fake.installed, fake.running = true, tc.serviceRunning
		opts, _ := newTestOptions(t, fake)
		opts.OnDemand = &fakeOnDemand{pid: 77, log: &fake.calls}
		out, err := execute(t, command(t, opts, tc.command))
		if err != nil || !strings.HasPrefix(out, tc.wantOut) {
			t.Errorf("%s beside a daemon without the service: %q, %v", tc.command, out, err)
		}
		if diff := cmp.Diff(tc.wantCalls, fake.calls); diff != "" {
			t.Errorf("%s: calls (-want +got):\n%s", tc.command, diff)
		}
	}

	// An installed service's own daemon stays the manager's.
	fake := newFake(PlatformSystemd)
	fake.installed, fake.running = true, true
	opts, _ := newTestOptions(t, fake)
	d := &fakeOnDemand{pid: 77, managed: "systemd"}
	opts.OnDemand = d
	if _, err := execute(t, command(t, opts, "stop")); err != nil {
		t.Fatal(err)
	}
	if len(d.calls) != 0 || !slices.Contains(fake.calls, "stop") || fake.running {
		t.Errorf("installed service: daemon calls %v, manager calls %v", d.calls, fake.calls)
	}
}
