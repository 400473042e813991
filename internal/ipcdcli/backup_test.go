package ipcdcli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// restoredInbox starts a daemon on a fresh data dir holding backup as its
// database and returns what name finds unread there.
func restoredInbox(t *testing.T, backup, secretFrom, name string) []string {
	t.Helper()
	r := newWorld(t)
	if err := os.MkdirAll(r.dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for src, dst := range map[string]string{backup: "ipc.db", secretFrom: "secret"} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(r.dataDir, dst), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r.start()
	defer r.shutdown()
	ck, err := r.as(name).Check(context.Background(), protocol.CheckRequest{Peek: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ck.Messages {
		got = append(got, m.Content)
	}
	return got
}

func TestBackupWhileRunning(t *testing.T) {
	w := newWorld(t)
	w.start()
	alice := w.as("alice")
	w.send(alice, "bob", "first")
	w.send(alice, "bob", strings.Repeat("large ", 4000))
	file := filepath.Join(w.dir, "backup.db")

	out, errOut, code := w.run("backup", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "from the running daemon") {
		t.Errorf("output: %s", out)
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %o, want 600", fi.Mode().Perm())
	}
	if _, err := os.Stat(file + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("the temporary file is left: %v", err)
	}
	db, err := bolt.Open(file, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatalf("the backup is no bbolt database: %v", err)
	}
	db.Close()
	// The daemon keeps serving during and after the backup.
	w.send(alice, "bob", "after the backup")

	got := restoredInbox(t, file, filepath.Join(w.dataDir, "secret"), "bob")
	if len(got) != 2 || got[0] != "first" || !strings.HasPrefix(got[1], "large large") {
		t.Errorf("restored inbox: %.60q", got)
	}

	// An existing file is kept unless --force.
	_, errOut, code = w.run("backup", file)
	if code == 0 || !strings.Contains(errOut, "exists") {
		t.Errorf("overwrote without --force: exit %d %s", code, errOut)
	}
	if _, errOut, code = w.run("backup", "--force", file); code != 0 {
		t.Errorf("--force: exit %d %s", code, errOut)
	}
	if got := restoredInbox(t, file, filepath.Join(w.dataDir, "secret"), "bob"); len(got) != 3 {
		t.Errorf("the forced backup has %d messages, want 3", len(got))
	}
}

func TestBackupWithDaemonStopped(t *testing.T) {
	w := newWorld(t)
	w.start()
	w.send(w.as("alice"), "bob", "kept")
	w.shutdown()
	file := filepath.Join(w.dir, "offline.db")
	out, errOut, code := w.run("backup", file)
	if code != 0 || !strings.Contains(out, "no daemon was running") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	if got := restoredInbox(t, file, filepath.Join(w.dataDir, "secret"), "bob"); len(got) != 1 || got[0] != "kept" {
		t.Errorf("restored inbox: %q", got)
	}
}

func TestCompact(t *testing.T) {
	w := newWorld(t)
	w.limits.MaxMessageBytes = 1 << 20
	w.start()
	alice, bob := w.as("alice"), w.as("bob")
	for range 20 {
		w.send(alice, "bob", strings.Repeat("x", 200<<10))
	}
	w.send(alice, "bob", "keep me")

	_, errOut, code := w.run("compact")
	if code == 0 || !strings.Contains(errOut, "stop it first") {
		t.Errorf("compact while running: exit %d %s", code, errOut)
	}
	// Read the bulk so that it can be deleted, then let retention do so.
	ck, err := bob.Check(context.Background(), protocol.CheckRequest{Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Ack(context.Background(), ck.Through); err != nil {
		t.Fatal(err)
	}
	w.shutdown()
	w.limits.ReadRetention = time.Nanosecond
	w.start()
	w.d.Sweep()
	w.shutdown()

	db := filepath.Join(w.dataDir, "ipc.db")
	before, _ := os.Stat(db)
	out, errOut, code := w.run("compact")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	after, _ := os.Stat(db)
	t.Logf("%s (%d -> %d bytes)", strings.TrimSpace(out), before.Size(), after.Size())
	if after.Size() >= before.Size()/2 {
		t.Errorf("compaction left %d of %d bytes", after.Size(), before.Size())
	}
	if got := restoredInbox(t, db, filepath.Join(w.dataDir, "secret"), "bob"); len(got) != 1 || got[0] != "keep me" {
		t.Errorf("after compaction bob has %.40q", got)
	}
}

func TestCompactNoDatabase(t *testing.T) {
	w := newWorld(t)
	if _, errOut, code := w.run("compact"); code != cli.ExitFailure || !strings.Contains(errOut, "no database") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// A backup never overwrites the daemon's own files, --force or not.
func TestBackupRefusesTheLiveFiles(t *testing.T) {
	w := newWorld(t)
	w.start()
	w.send(w.as("alice"), "bob", "kept")
	for _, name := range []string{"ipc.db", "secret"} {
		path := filepath.Join(w.dataDir, name)
		before, _ := os.ReadFile(path)
		_, errOut, code := w.run("backup", "--force", path)
		if code == 0 || !strings.Contains(errOut, "the daemon's own "+name) {
			t.Errorf("backup --force %s: exit %d, %q", name, code, errOut)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Errorf("%s changed", name)
		}
	}
}
