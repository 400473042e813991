package ipcdcli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/service"
	"github.com/ipcd/ipcd/internal/syncbuf"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// TestInstallDryRunThroughRoot runs "ipcd install --dry-run" through the
// root command for each platform: the paths the user chose with flags or
// the environment reach the service, the defaults do not, and nothing is
// written or registered.
func TestInstallDryRunThroughRoot(t *testing.T) {
	tests := []struct {
		goos     string
		platform service.Platform
		env      bool     // IPC_DATA_DIR and IPC_SOCKET set
		args     []string // before "install --dry-run"
		want     []string
		wantNot  []string
	}{
		{goos: "linux", platform: service.PlatformSystemd, args: []string{"--data-dir", "/srv/ipc data", "--socket", "/tmp/i.sock"},
			want: []string{"Would write HOME/.config/systemd/user/ipcd.service:", `ExecStart=/usr/local/bin/ipcd run --data-dir "/srv/ipc data" --socket /tmp/i.sock`,
				"WantedBy=default.target", "systemctl --user enable ipcd.service", "Nothing was changed (--dry-run)."}},
		{goos: "linux", platform: service.PlatformSystemd, env: true,
			want: []string{"ExecStart=/usr/local/bin/ipcd run --data-dir DATA --socket SOCK"}},
		{goos: "linux", platform: service.PlatformSystemd,
			want: []string{"ExecStart=/usr/local/bin/ipcd run\n"}, wantNot: []string{"--data-dir", "--socket", "--secret-file", "IPC_SHARED_SECRET"}},
		{goos: "linux", platform: service.PlatformSystemd, args: []string{"--secret-file", "/srv/keys/ipcd"},
			want: []string{"ExecStart=/usr/local/bin/ipcd run --secret-file /srv/keys/ipcd\n"}, wantNot: []string{"--data-dir"}},
		{goos: "darwin", platform: service.PlatformLaunchd, args: []string{"--data-dir", "/Users/ann/ipc"},
			want: []string{"Would write HOME/Library/LaunchAgents/dev.ipcd.plist:", "<string>--data-dir</string>", "<string>/Users/ann/ipc</string>",
				"<key>RunAtLoad</key>", "launchctl load HOME/Library/LaunchAgents/dev.ipcd.plist"}, wantNot: []string{"--socket"}},
		// Windows is left to internal/service's golden test: the root
		// resolves paths for this OS, and a Unix path is no Windows path.
	}
	for _, tt := range tests {
		name := tt.goos + "/" + strings.Join(tt.args, " ")
		if tt.env {
			name += "/env"
		}
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			w.goos = tt.goos
			w.svc.platform = tt.platform
			if !tt.env {
				delete(w.env, "IPC_DATA_DIR")
				delete(w.env, "IPC_SOCKET")
			}
			out, errOut, code := w.run(append(tt.args, "install", "--dry-run")...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			out = strings.ReplaceAll(out, w.home, "HOME")
			out = strings.ReplaceAll(out, w.dataDir, "DATA")
			out = strings.ReplaceAll(out, w.socket, "SOCK")
			for _, s := range tt.want {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tt.wantNot {
				if strings.Contains(out, s) {
					t.Errorf("output has %q:\n%s", s, out)
				}
			}
			for _, c := range w.svc.calls {
				if c != "detect" {
					t.Errorf("dry run called %s on the service manager", c)
				}
			}
			if entries, _ := os.ReadDir(w.home); len(entries) > 0 {
				t.Errorf("dry run wrote into home: %v", entries)
			}
		})
	}
}

// A secret given only in IPC_SHARED_SECRET cannot reach the service;
// install says so and never prints it.
func TestInstallDryRunNotesSharedSecret(t *testing.T) {
	w := newWorld(t)
	w.goos, w.svc.platform = "linux", service.PlatformSystemd
	w.env["IPC_SHARED_SECRET"] = "s3cr3t-value"
	out, errOut, code := w.run("install", "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "IPC_SHARED_SECRET is set here, but the service does not inherit it") || strings.Contains(out, "s3cr3t") {
		t.Errorf("output:\n%s", out)
	}
}

// TestServiceLifecycleThroughRoot installs, stops, starts, restarts and
// uninstalls through the root with a fake manager, and status shows it.
func TestServiceLifecycleThroughRoot(t *testing.T) {
	w := newWorld(t)
	w.goos = "linux"
	unit := filepath.Join(w.home, ".config", "systemd", "user", "ipcd.service")
	steps := []struct {
		args  []string
		state service.State
	}{
		{[]string{"install"}, service.StateRunning},
		{[]string{"stop"}, service.StateStopped},
		{[]string{"start"}, service.StateRunning},
		{[]string{"restart"}, service.StateRunning},
		{[]string{"uninstall"}, service.StateNotInstalled},
	}
	for _, s := range steps {
		if _, errOut, code := w.run(s.args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", s.args, code, errOut)
		}
		out, _, _ := w.run("status", "--json")
		if !strings.Contains(out, `"service": "`+string(s.state)+`"`) {
			t.Errorf("after %v, status does not show service %s:\n%s", s.args, s.state, out)
		}
		_, err := os.Stat(unit)
		if installed := err == nil; installed != (s.state != service.StateNotInstalled) {
			t.Errorf("after %v: unit file present = %v", s.args, installed)
		}
	}
	if _, errOut, code := w.run("install", "--dry-run"); code != 0 {
		t.Fatalf("dry run after uninstall: %s", errOut)
	}
}

// TestInstallWithoutServiceManager runs the real service manager: on a
// machine without a usable one (this test's container) install says so,
// exits non-zero and leaves nothing behind.
func TestInstallWithoutServiceManager(t *testing.T) {
	if _, err := service.NewManager().Detect(context.Background()); !errors.Is(err, service.ErrUnsupported) {
		t.Skipf("this machine has a usable service manager (%v); the test would install for real", err)
	}
	w := newWorld(t)
	errb := &syncbuf.Buffer{}
	app := w.app(&syncbuf.Buffer{}, errb)
	app.Service = &service.Options{Home: w.home, Executable: "/usr/local/bin/ipcd"}
	code := cli.Run(context.Background(), newRootCmd(app), []string{"install"}, app.Env)
	if code == 0 {
		t.Fatal("install succeeded without a service manager")
	}
	for _, s := range []string{"nothing was installed", "no usable service manager", "ipcd run"} {
		if !strings.Contains(errb.String(), s) {
			t.Errorf("message lacks %q: %s", s, errb.String())
		}
	}
	if entries, _ := os.ReadDir(w.home); len(entries) > 0 {
		t.Errorf("a failed install wrote into home: %v", entries)
	}
	// (start, stop and restart act on a daemon that runs without a
	// service: TestControlWithoutServiceManager.)
	for _, verb := range []string{"uninstall"} {
		errb := &syncbuf.Buffer{}
		app := w.app(&syncbuf.Buffer{}, errb)
		app.Service = &service.Options{Home: w.home, Executable: "/usr/local/bin/ipcd"}
		if code := cli.Run(context.Background(), newRootCmd(app), []string{verb}, app.Env); code == 0 || !strings.Contains(errb.String(), "no usable service manager") {
			t.Errorf("%s: exit %d, %q", verb, code, errb.String())
		}
	}
}

// Without a service manager, start, stop and restart act on the daemon
// that runs without one: stop asks it to stop and returns once it has
// (the database is free: an offline backup can open it), start runs
// "ipcd run" in the background, restart does both; mail survives.
func TestControlWithoutServiceManager(t *testing.T) {
	w := newWorld(t)
	w.svc.detectErr = &service.UnsupportedError{Detected: "unix-systemv", Reason: "no systemd"}
	w.ipcdIsThisBinary()
	t.Cleanup(func() { w.run("stop") })
	run := func(verb, want string) string {
		t.Helper()
		out, errOut, code := w.run(verb)
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("%s: exit %d, %q %q; want %q", verb, code, out, errOut, want)
		}
		return out
	}
	pidIn := func(out string) string {
		_, rest, _ := strings.Cut(out, "(pid ")
		pid, _, _ := strings.Cut(rest, ",")
		return strings.TrimSuffix(pid, ")")
	}
	run("stop", "ipcd is not running.")
	first := pidIn(run("start", "Started ipcd (pid "))
	run("start", "ipcd is already running (pid "+first+", not as a service).")
	w.send(w.as("alice"), "bob", "kept")
	second := pidIn(run("restart", "Restarted ipcd (pid "))
	if second == first {
		t.Errorf("restart kept pid %s", first)
	}
	ck, err := w.as("bob").Check(context.Background(), protocol.CheckRequest{Peek: true})
	if err != nil || len(ck.Messages) != 1 || ck.Messages[0].Content != "kept" {
		t.Fatalf("after the restart bob has %+v, %v", ck.Messages, err)
	}
	run("stop", "Stopped ipcd (pid "+second+", not run as a service")
	// Stop returns once the daemon has let go of its database, not when
	// the socket goes.
	if !released(w.dataDir, 0) {
		t.Errorf("the database is still locked after stop returned")
	}
	if _, err := w.client().Health(context.Background()); !client.IsDown(err) {
		t.Errorf("the daemon still answers after stop: %v", err)
	}
	out, errOut, code := w.run("backup", filepath.Join(w.dir, "after-stop.db"))
	if code != 0 || !strings.Contains(out, "no daemon was running") {
		t.Errorf("backup after stop: exit %d, %q %q", code, out, errOut)
	}
}
