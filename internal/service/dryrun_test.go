package service

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestInstallDryRunGolden(t *testing.T) {
	tests := []struct {
		name      string
		opts      Options
		detectErr error
	}{
		{name: "linux-systemd", opts: Options{GOOS: "linux", Executable: "/usr/local/bin/ipcd", Home: "/home/ann"}},
		{name: "linux-systemd-paths", opts: Options{
			GOOS: "linux", Executable: "/opt/ipc tools/ipcd", Home: "/home/ann",
			DataDir: "/home/ann/ipc data", DataDirSet: true,
			Socket: "/run/user/1000/ipcd%1$x/ipcd.sock", SocketSet: true,
		}},
		{name: "linux-systemd-unsupported", opts: Options{GOOS: "linux", Executable: "/usr/local/bin/ipcd", Home: "/home/ann"},
			detectErr: &UnsupportedError{Detected: "unix-systemv", Reason: `systemd is installed but is not running (PID 1 is "bash"), as in most containers`}},
		{name: "darwin-launchd", opts: Options{GOOS: "darwin", Executable: "/usr/local/bin/ipcd", Home: "/Users/ann"}},
		{name: "darwin-launchd-paths", opts: Options{
			GOOS: "darwin", Executable: "/Applications/ipcd & co/ipcd", Home: "/Users/ann",
			DataDir: "/Users/ann/Mail <ipc>", DataDirSet: true,
		}},
		{name: "windows", opts: Options{
			GOOS: "windows", Executable: `C:\Program Files\ipcd\ipcd.exe`,
			DataDir: `C:\Users\Ann Lee\AppData\Local\ipcd`, Socket: `C:\Users\Ann Lee\AppData\Local\ipcd\ipcd.sock`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			platform, _ := PlatformFor(tt.opts.GOOS)
			fake := newFake(platform)
			fake.detectErr = tt.detectErr
			opts := tt.opts
			opts.Manager = fake
			out, err := execute(t, command(t, &opts, "install"), "--dry-run")
			if err != nil {
				t.Fatalf("install --dry-run: %v", err)
			}
			checkGolden(t, filepath.Join("testdata", "dryrun-"+tt.name+".golden"), out)
			if diff := cmp.Diff([]string{"detect"}, fake.calls); diff != "" {
				t.Errorf("dry run called the manager (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInstallDryRunWritesNothing(t *testing.T) {
	skipOnWindows(t)
	home := t.TempDir()
	fake := newFake(PlatformSystemd)
	opts := &Options{Manager: fake, GOOS: "linux", Executable: "/usr/local/bin/ipcd", Home: home}
	out, err := execute(t, command(t, opts, "install"), "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	if files := listFiles(t, home); len(files) != 0 {
		t.Errorf("dry run wrote %v", files)
	}
	want := "Would write " + filepath.Join(home, ".config/systemd/user/ipcd.service") + ":\n"
	if !strings.HasPrefix(out, want) {
		t.Errorf("output starts %q, want %q", out[:min(len(out), len(want))], want)
	}
}

// The secret must never reach the service definition, whatever the
// environment holds.
func TestRenderNeverCarriesTheSecret(t *testing.T) {
	t.Setenv("IPC_SHARED_SECRET", "s3cr3t-value")
	for _, goos := range []string{"linux", "darwin", "windows"} {
		t.Run(goos, func(t *testing.T) {
			platform, _ := PlatformFor(goos)
			exe, home := "/usr/local/bin/ipcd", "/home/ann"
			if goos == "windows" {
				exe = `C:\ipcd\ipcd.exe`
			}
			opts := &Options{Manager: newFake(platform), GOOS: goos, Executable: exe, Home: home}
			out, err := execute(t, command(t, opts, "install"), "--dry-run")
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range []string{"s3cr3t", "Environment"} {
				if strings.Contains(out, bad) {
					t.Errorf("dry run output contains %q:\n%s", bad, out)
				}
			}
			if opts.SecretFile != "" || strings.Contains(out, "IPC_SHARED_SECRET") {
				t.Errorf("IPC_SHARED_SECRET reached the plan:\n%s", out)
			}
		})
	}
}

func TestRenderArguments(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"defaults are not pinned", Options{GOOS: "linux", Executable: "/bin/ipcd", Home: "/h",
			DataDir: "/h/.local/share/ipcd", Socket: "/run/user/1/ipcd/ipcd.sock"}, []string{"run"}},
		{"explicit data dir", Options{GOOS: "linux", Executable: "/bin/ipcd", Home: "/h",
			DataDir: "/srv/ipc", DataDirSet: true}, []string{"run", "--data-dir", "/srv/ipc"}},
		{"explicit socket", Options{GOOS: "darwin", Executable: "/bin/ipcd", Home: "/h",
			Socket: "/tmp/s.sock", SocketSet: true}, []string{"run", "--socket", "/tmp/s.sock"}},
		{"explicit secret file", Options{GOOS: "linux", Executable: "/bin/ipcd", Home: "/h",
			SecretFile: "/h/keys/ipcd"}, []string{"run", "--secret-file", "/h/keys/ipcd"}},
		{"windows always pins", Options{GOOS: "windows", Executable: `C:\ipcd.exe`,
			DataDir: `C:\Users\a\AppData\Local\ipcd`, Socket: `C:\Users\a\AppData\Local\ipcd\ipcd.sock`},
			[]string{"run", "--data-dir", `C:\Users\a\AppData\Local\ipcd`, "--socket", `C:\Users\a\AppData\Local\ipcd\ipcd.sock`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			platform, _ := PlatformFor(tt.opts.GOOS)
			p, err := tt.opts.plan(platform, true)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, p.Arguments); diff != "" {
				t.Errorf("arguments (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderRejects(t *testing.T) {
	tests := []struct {
		name     string
		platform Platform
		cfg      Config
	}{
		{"relative executable", PlatformSystemd, Config{Executable: "bin/ipcd", Home: "/h"}},
		{"empty executable", PlatformLaunchd, Config{Home: "/h"}},
		{"no home", PlatformSystemd, Config{Executable: "/bin/ipcd"}},
		{"newline in data dir", PlatformSystemd, Config{Executable: "/bin/ipcd", Home: "/h", DataDir: "/a\nExecStartPre=/bin/evil"}},
		{"unix path on windows", PlatformWindows, Config{Executable: "/usr/bin/ipcd"}},
		{"not UTF-8 in data dir", PlatformSystemd, Config{Executable: "/bin/ipcd", Home: "/h", DataDir: "/srv/\xff"}},
		{"template braces in data dir", PlatformSystemd, Config{Executable: "/bin/ipcd", Home: "/h", DataDir: "/srv/{{d}}"}},
		{"newline in secret file", PlatformSystemd, Config{Executable: "/bin/ipcd", Home: "/h", SecretFile: "/k\nExecStartPre=/bin/evil"}},
		{"relative secret file on windows", PlatformWindows, Config{Executable: `C:\ipcd.exe`, SecretFile: `secret`}},
		{"relative socket", PlatformWindows, Config{Executable: `C:\ipcd.exe`, Socket: `ipcd.sock`}},
		{"quote in a systemd executable", PlatformSystemd, Config{Executable: "/home/o'brien/bin/ipcd", Home: "/h"}},
		{"backslash in a systemd executable", PlatformSystemd, Config{Executable: `/opt/a\b/ipcd`, Home: "/h"}},
		{"unknown platform", Platform("linux-openrc"), Config{Executable: "/bin/ipcd", Home: "/h"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(tt.platform, tt.cfg)
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("Render = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestSystemdWords(t *testing.T) {
	args := map[string]string{
		"/usr/bin/ipcd":      "/usr/bin/ipcd",
		"/a b/ipcd":          `"/a b/ipcd"`,
		"/a%i/$HOME":         "/a%%i/$$HOME",
		`/a"b\c`:             `"/a\"b\\c"`,
		"it's":               `"it's"`,
		";":                  `";"`,
		"":                   `""`,
		"/x %h $y z\\\"w\t.": `"/x %%h $$y z\\\"w` + "\t" + `."`,
	}
	for in, want := range args {
		if got := systemdArg(in); got != want {
			t.Errorf("systemdArg(%q) = %q, want %q", in, got, want)
		}
	}
	execs := map[string]string{
		"/usr/bin/ipcd":     "/usr/bin/ipcd",
		"/a b/ipcd":         `"/a b/ipcd"`,
		"/a%i/$HOME/ipcd":   "/a%%i/$HOME/ipcd",
		"/x y%%z/$a b/ipcd": `"/x y%%%%z/$a b/ipcd"`,
	}
	for in, want := range execs {
		if got := systemdExec(in); got != want {
			t.Errorf("systemdExec(%q) = %q, want %q", in, got, want)
		}
	}
}
