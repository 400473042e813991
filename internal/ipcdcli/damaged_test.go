package ipcdcli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/syncbuf"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// damageDB fills a stopped daemon's database with mail and then writes
// over three of its pages, as a failing disk would: bbolt panics on the
// file when it opens it.
func (w *world) damageDB() {
	w.t.Helper()
	db := filepath.Join(w.dataDir, "ipc.db")
	f, err := os.OpenFile(db, os.O_RDWR, 0)
	if err != nil {
		w.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xFF}, 3*4096), 2*4096); err != nil {
		w.t.Fatal(err)
	}
}

// filledAndDamaged is a world whose stopped daemon left a database with
// mail in it, then damaged.
func filledAndDamaged(t *testing.T) *world {
	w := newWorld(t)
	w.start()
	alice := w.as("alice")
	for range 50 {
		w.send(alice, "bob", "some mail to fill a few pages")
	}
	w.shutdown()
	w.damageDB()
	return w
}

// Offline backup and compact check the file in a child process first and
// say it is damaged, instead of dying in bbolt's panic.
func TestBackupAndCompactRefuseDamagedDatabase(t *testing.T) {
	w := filledAndDamaged(t)
	w.ipcdIsThisBinary()
	file := filepath.Join(w.dir, "copy.db")
	_, errOut, code := w.run("backup", file)
	if code == 0 || !strings.Contains(errOut, "damaged") || !strings.Contains(errOut, "restore a backup") {
		t.Errorf("backup: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("backup of a damaged database wrote %s (%v)", file, err)
	}
	_, errOut, code = w.run("compact")
	if code == 0 || !strings.Contains(errOut, "compact: ") || !strings.Contains(errOut, "damaged") {
		t.Errorf("compact: exit %d, %q", code, errOut)
	}
}

// runChild starts this test binary as "ipcd run" on the world's data dir
// and socket.
func (w *world) runChild() (*exec.Cmd, *syncbuf.Buffer) {
	w.t.Helper()
	self, err := os.Executable()
	if err != nil {
		w.t.Fatal(err)
	}
	cmd := exec.Command(self, "run", "--data-dir", w.dataDir, "--socket", w.socket)
	cmd.Env = append(os.Environ(), envRunAsIPCD+"=1", "HOME="+w.home)
	errb := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = errb, errb
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, errb
}

// waitExit waits at most a minute for cmd to end and returns its status.
func waitExit(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(time.Minute):
		t.Fatal("ipcd run did not end")
		return -1
	}
}

// A daemon that dies opening a damaged database (bbolt's panic) leaves a
// mark; the next start checks the file in a child process and says what is
// wrong and what to do, instead of crashing again.
func TestRunSaysTheDatabaseIsDamaged(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake ipc-mcp of the world is a shell script")
	}
	w := filledAndDamaged(t)
	mark := filepath.Join(w.dataDir, openingMark)

	cmd, out := w.runChild()
	if code := waitExit(t, cmd); code == 0 || !strings.Contains(out.String(), "panic") {
		t.Fatalf("first start on the damaged file: exit %d, %q", code, out.String())
	}
	if _, err := os.Stat(mark); err != nil {
		t.Fatalf("the start that died left no mark: %v", err)
	}

	cmd, out = w.runChild()
	code := waitExit(t, cmd)
	got := out.String()
	if code == 0 || strings.Contains(got, "panic") || !strings.Contains(got, "ipcd: the database "+filepath.Join(w.dataDir, "ipc.db")+": damaged") ||
		!strings.Contains(got, "restore a backup") {
		t.Errorf("second start: exit %d, %q", code, got)
	}
}

// A mark left by a start that was killed while opening a sound database
// costs a check and nothing else: the daemon serves and removes the mark.
func TestRunAfterAStartThatDiedOpening(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake ipc-mcp of the world is a shell script")
	}
	w := newWorld(t)
	w.start()
	w.send(w.as("alice"), "bob", "kept")
	w.shutdown()
	mark := filepath.Join(w.dataDir, openingMark)
	if err := os.WriteFile(mark, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, out := w.runChild()
	c := w.client()
	defer c.Close()
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := c.Health(context.Background())
		if err == nil {
			break
		}
		if !client.IsDown(err) || time.Now().After(deadline) {
			t.Fatalf("the daemon did not come up: %v; its output: %q", err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(mark); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the mark is still there once the daemon serves: %v", err)
	}
	if !strings.Contains(out.String(), "checking it first") {
		t.Errorf("the daemon did not say it checked the file: %q", out.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, cmd); code != 0 {
		t.Errorf("exit %d after SIGTERM: %q", code, out.String())
	}
	w.start()
	defer w.shutdown()
	ck, err := w.as("bob").Check(context.Background(), protocol.CheckRequest{Peek: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(ck.Messages) != 1 || ck.Messages[0].Content != "kept" {
		t.Errorf("bob has %+v", ck.Messages)
	}
}

// A start that loses the data dir to a running daemon leaves the mark of
// a start in progress alone (it may be that daemon's own), and leaves none
// of its own behind.
func TestRunThatLosesLeavesTheMark(t *testing.T) {
	w := newWorld(t)
	w.start()
	defer w.shutdown()
	mark := filepath.Join(w.dataDir, openingMark)
	lose := func() {
		t.Helper()
		_, errOut, code := w.run("run")
		if code == 0 || !strings.Contains(errOut, "another ipcd is already running") {
			t.Fatalf("exit %d: %q", code, errOut)
		}
	}
	lose()
	if _, err := os.Stat(mark); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the losing start left its mark behind: %v", err)
	}
	if err := os.WriteFile(mark, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	lose()
	if _, err := os.Stat(mark); err != nil {
		t.Errorf("the losing start removed the other start's mark: %v", err)
	}
}
