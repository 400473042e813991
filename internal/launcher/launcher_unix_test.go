//go:build !windows

package launcher

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipcd/ipcd/internal/client"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Ensure starts the binary it is given with the client's data dir, socket
// and secret file, and reports a daemon that never answers with its log.
func TestEnsureStartsBinWithLocation(t *testing.T) {
	dir := t.TempDir()
	sockDir, err := os.MkdirTemp("/tmp", "ipl-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	argsFile := filepath.Join(dir, "args")
	// A stand-in "ipcd" that records how it was started and serves nothing.
	bin := filepath.Join(dir, "fake-ipcd")
	script := "#!/bin/sh\necho \"$@\" > " + argsFile + ".tmp && mv " + argsFile + ".tmp " + argsFile + "\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	o := Options{DataDir: filepath.Join(dir, "data"), Socket: filepath.Join(sockDir, "s"),
		SecretFile: filepath.Join(dir, "my secret"), Bin: bin, Wait: 300 * time.Millisecond,
		LookPath: func(string) (string, error) { t.Fatal("Bin was given; nothing should be looked up"); return "", nil }}
	c := client.New(client.Options{Socket: o.Socket})
	defer c.Close()

	started, err := Ensure(context.Background(), c, o)
	if !started || err == nil || !strings.Contains(err.Error(), filepath.Join(o.DataDir, "ipcd.log")) {
		t.Fatalf("Ensure = %v, %v; want started, and an error naming the log", started, err)
	}
	var got []byte
	for deadline := time.Now().Add(10 * time.Second); ; {
		if got, err = os.ReadFile(argsFile); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	want := "run --data-dir " + o.DataDir + " --socket " + o.Socket + " --secret-file " + o.SecretFile + "\n"
	if string(got) != want {
		t.Errorf("started with %q, want %q", got, want)
	}
}

// A daemon that stops at start is reported at once, with the line of its
// log that says why; one that lost the race to another daemon is not an
// error, and Ensure waits for the winner.
func TestEnsureReportsADaemonThatStops(t *testing.T) {
	for _, tc := range []struct {
		name, output, want string
	}{
		{"its error", "time=x level=WARN msg=checking\nipcd: the database is damaged: /d/ipc.db: restore a backup\n",
			"it stopped at once: ipcd: the database is damaged: /d/ipc.db: restore a backup"},
		{"a panic", "panic: assertion failed: Page expected to be: 4\n\ngoroutine 23 [running]:\nbbolt.(*Page).FastCheck()\n",
			"it stopped at once: ipcd panic: assertion failed: Page expected to be: 4"},
		{"the last line", "something\nsomething else\n", "it stopped at once: something else"},
		{"lost the race", "ipcd: another ipcd is already running with data dir /d\n", "did not answer within"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			sockDir, err := os.MkdirTemp("/tmp", "ipl-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(sockDir) })
			out := filepath.Join(dir, "out")
			if err := os.WriteFile(out, []byte(tc.output), 0o600); err != nil {
				t.Fatal(err)
			}
			bin := filepath.Join(dir, "fake-ipcd")
			if err := os.WriteFile(bin, []byte("#!/bin/sh\ncat "+out+" >&2\nexit 1\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			o := Options{DataDir: filepath.Join(dir, "data"), Socket: filepath.Join(sockDir, "s"), Bin: bin, Wait: time.Minute}
			if tc.name == "lost the race" {
				o.Wait = 300 * time.Millisecond
			}
			// An earlier start's words in the log are not this start's.
			if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(o.DataDir, "ipcd.log"), []byte("ipcd: an old failure\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			c := client.New(client.Options{Socket: o.Socket})
			defer c.Close()
			started, err := Ensure(context.Background(), c, o)
			if !started || err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "old failure") {
				t.Errorf("Ensure = %v, %v; want an error with %q", started, err, tc.want)
			}
		})
	}
}

// A daemon that panics at start (bbolt on a damaged database) is started
// once more: that start checks the file and says what is wrong with it,
// which is what Ensure reports.
func TestEnsureStartsAgainAfterAPanic(t *testing.T) {
	dir := t.TempDir()
	sockDir, err := os.MkdirTemp("/tmp", "ipl-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	ran := filepath.Join(dir, "ran")
	script := "#!/bin/sh\nif [ ! -e " + ran + " ]; then touch " + ran + "; echo 'panic: assertion failed' >&2; exit 2; fi\n" +
		"echo 'ipcd: the database /d/ipc.db: damaged: bbolt stopped on it' >&2; exit 1\n"
	bin := filepath.Join(dir, "fake-ipcd")
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	o := Options{DataDir: filepath.Join(dir, "data"), Socket: filepath.Join(sockDir, "s"), Bin: bin, Wait: time.Minute}
	c := client.New(client.Options{Socket: o.Socket})
	defer c.Close()
	_, err = Ensure(context.Background(), c, o)
	if err == nil || !strings.Contains(err.Error(), "it stopped at once: ipcd: the database /d/ipc.db: damaged") {
		t.Errorf("Ensure = %v; want the second start's words", err)
	}
}
