package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ipcd/ipcd/internal/clock"
)

// openManual opens a store at path that checkpoints only when told to, so
// that a test knows what lies in the log and what in the database file.
func openManual(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, Options{Clock: clock.NewFake(t0), manualCheckpoints: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// crash stops s as a SIGKILL would: the open transaction is dropped, the
// log is left as it is on disk, nothing is checkpointed.
func crash(t *testing.T, s *Store) {
	t.Helper()
	s.abandon = true
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// fileMessages counts the messages the database file itself holds in
// name's inbox, without the log.
func fileMessages(t *testing.T, path, name string) int {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	err = db.View(func(tx *bolt.Tx) error {
		var nr nameRecord
		if ok, err := getJSON(tx.Bucket(bNames), []byte(name), &nr); err != nil || !ok {
			return fmt.Errorf("no name %q: %v", name, err)
		}
		n = tx.Bucket(bMail).Bucket(key(nr.ID)).Stats().KeyN
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func inbox(t *testing.T, s *Store, name string) []string {
	t.Helper()
	b, err := s.Fetch(name, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	return contents(b.Messages)
}

// numbered is what contents shows for alice's messages prefix<from> to
// prefix<to-1>.
func numbered(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("alice:%s%d", prefix, i))
	}
	return out
}

func wantStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: got %q, want %q", what, got, want)
	}
}

// Acknowledged sends and acks that only the log holds come back after a
// crash, in order, with their ids; later sends continue the numbering.
func TestLogReplaysAfterCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ipc.db")
	s := openManual(t, path)
	mustRegister(t, s, "alice", "bob")
	var lastID uint64
	for i := range 20 {
		lastID = mustSend(t, s, "alice", "bob", fmt.Sprint("m", i)).Message.ID
	}
	if _, _, err := s.Ack("bob", 5); err != nil {
		t.Fatal(err)
	}
	if !s.dirty.Load() {
		t.Fatal("the sends were checkpointed: this test needs them in the log only")
	}
	// Reads see what only the log holds.
	wantStrings(t, "inbox before the crash", inbox(t, s, "bob"), numbered("m", 5, 20))
	crash(t, s)

	if n := fileMessages(t, path, "bob"); n != 0 {
		t.Fatalf("the database file holds %d of the logged messages before replay", n)
	}
	s2 := openManual(t, path)
	if st := s2.Stats(); st.Replayed != 21 {
		t.Fatalf("replayed %d records, want 21 (20 sends, 1 ack)", st.Replayed)
	}
	wantStrings(t, "inbox after replay", inbox(t, s2, "bob"), numbered("m", 5, 20))
	if n, last, err := s2.Unread("bob"); err != nil || n != 15 || last != 20 {
		t.Fatalf("unread %d, last seq %d, err %v; want 15, 20", n, last, err)
	}
	r := mustSend(t, s2, "alice", "bob", "after")
	if r.Message.ID != lastID+1 || r.Message.Seq != 21 {
		t.Fatalf("the next send got id %d seq %d, want %d and 21", r.Message.ID, r.Message.ID, lastID+1)
	}
	// The replay was checkpointed: the file holds the messages now.
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	if n := fileMessages(t, path, "bob"); n != 21 {
		t.Fatalf("the database file holds %d messages after replay and close, want 21", n)
	}
}

// A record cut short or damaged (a crash in the middle of its write, so
// never acknowledged) ends the replay; what came before it is kept.
func TestLogTornTailStopsReplay(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(b []byte, lastStart int) []byte
	}{
		{"cut short", func(b []byte, last int) []byte { return b[:last+walHeader+3] }},
		{"flipped bit", func(b []byte, last int) []byte { b[len(b)-1] ^= 1; return b }},
		{"header only", func(b []byte, last int) []byte { return b[:last+walHeader] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ipc.db")
			s := openManual(t, path)
			mustRegister(t, s, "alice", "bob")
			var ends []int64
			for i := range 5 {
				mustSend(t, s, "alice", "bob", fmt.Sprint("m", i))
				ends = append(ends, s.wal.off)
			}
			crash(t, s)
			raw, err := os.ReadFile(WALPath(path))
			if err != nil {
				t.Fatal(err)
			}
			raw = tc.damage(raw[:ends[4]], int(ends[3]))
			if err := os.WriteFile(WALPath(path), raw, 0o600); err != nil {
				t.Fatal(err)
			}
			s2 := openManual(t, path)
			wantStrings(t, "inbox", inbox(t, s2, "bob"), numbered("m", 0, 4))
			if r := mustSend(t, s2, "alice", "bob", "next"); r.Message.Seq != 5 {
				t.Fatalf("the next send got seq %d, want 5", r.Message.Seq)
			}
		})
	}
}

// After a checkpoint the log is reused from its start; records of the
// older cycle that lie beyond the newer one's end are never replayed.
func TestLogOlderCycleNotReplayed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ipc.db")
	s := openManual(t, path)
	mustRegister(t, s, "alice", "bob")
	for i := range 10 {
		mustSend(t, s, "alice", "bob", fmt.Sprint("a", i))
	}
	if err := s.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if s.dirty.Load() || s.wal.off != 0 {
		t.Fatalf("after a checkpoint: dirty %v, log offset %d", s.dirty.Load(), s.wal.off)
	}
	for i := range 2 {
		mustSend(t, s, "alice", "bob", fmt.Sprint("b", i))
	}
	crash(t, s)
	s2 := openManual(t, path)
	if st := s2.Stats(); st.Replayed != 2 {
		t.Fatalf("replayed %d records, want 2", st.Replayed)
	}
	wantStrings(t, "inbox", inbox(t, s2, "bob"), append(numbered("a", 0, 10), numbered("b", 0, 2)...))
}

// A log found beside another database (a restored backup, a copied file)
// is not applied to it, and a cleanly closed store leaves a log that
// replays nothing.
func TestLogBelongsToItsDatabase(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	sb := openManual(t, b)
	mustRegister(t, sb, "alice", "bob")
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	sa := openManual(t, a)
	mustRegister(t, sa, "alice", "bob")
	mustSend(t, sa, "alice", "bob", "only in a's log")
	crash(t, sa)

	logA, err := os.ReadFile(WALPath(a))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(WALPath(b), logA, 0o600); err != nil {
		t.Fatal(err)
	}
	sb = openManual(t, b)
	if st := sb.Stats(); st.Replayed != 0 {
		t.Fatalf("b replayed %d records of a's log", st.Replayed)
	}
	wantStrings(t, "b's inbox", inbox(t, sb, "bob"), nil)

	sa = openManual(t, a)
	wantStrings(t, "a's inbox", inbox(t, sa, "bob"), []string{"alice:only in a's log"})
	mustSend(t, sa, "alice", "bob", "second")
	if err := sa.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(WALPath(a))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw[:walHeader], make([]byte, walHeader)) {
		t.Fatal("a clean close left a record at the start of the log")
	}
}

// Compacting a database whose log holds writes (the daemon compacts
// before it opens) keeps the log valid: the next open replays it.
func TestCompactKeepsLogValid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ipc.db")
	s := openManual(t, path)
	mustRegister(t, s, "alice", "bob")
	for i := range 3 {
		mustSend(t, s, "alice", "bob", fmt.Sprint("m", i))
	}
	crash(t, s)
	done, err := CompactIfSparse(path, CompactPolicy{MinBytes: 1, FreeRatio: 1e-9})
	if err != nil || !done {
		t.Fatalf("compact: %v, %v", done, err)
	}
	s2 := openManual(t, path)
	wantStrings(t, "inbox", inbox(t, s2, "bob"), numbered("m", 0, 3))
}

// A write that fails with an error other than a refusal, in the middle of
// logged writes, loses none of those acknowledged before it: the store
// rebuilds its open transaction from the log and carries on.
func TestFailedLoggedWriteRecovers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ipc.db")
	s := openManual(t, path)
	mustRegister(t, s, "alice", "bob")
	for i := range 3 {
		mustSend(t, s, "alice", "bob", fmt.Sprint("m", i))
	}
	boom := errors.New("boom")
	err := s.logged(func(tx *bolt.Tx, w *redo) error {
		// Half a write, then a failure: it must not survive.
		if err := tx.Bucket(bCursors).Put([]byte("junk"), []byte("x")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("the failed write answered %v", err)
	}
	mustSend(t, s, "alice", "bob", "m3")
	wantStrings(t, "inbox", inbox(t, s, "bob"), numbered("m", 0, 4))
	crash(t, s)
	s2 := openManual(t, path)
	wantStrings(t, "inbox after a crash", inbox(t, s2, "bob"), numbered("m", 0, 4))
	if err := s2.view(func(tx *bolt.Tx) error {
		if tx.Bucket(bCursors).Get([]byte("junk")) != nil {
			return errors.New("the failed write's half survived")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// A write the log cannot carry (mail that creates a pending name) is
// committed to the file with the logged writes before it.
func TestUnloggedWriteCheckpoints(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ipc.db")
	s := openManual(t, path)
	mustRegister(t, s, "alice", "bob")
	mustSend(t, s, "alice", "bob", "logged")
	if !s.dirty.Load() {
		t.Fatal("a send to a registered name was not logged")
	}
	if r := mustSend(t, s, "alice", "carol", "for later"); !r.Pending {
		t.Fatal("carol is registered?")
	}
	if s.dirty.Load() {
		t.Fatal("mail creating a pending name was logged, not committed")
	}
	crash(t, s)
	if n := fileMessages(t, path, "bob"); n != 1 {
		t.Fatalf("the file holds %d of bob's messages, want 1", n)
	}
	if n := fileMessages(t, path, "carol"); n != 1 {
		t.Fatalf("the file holds %d of carol's messages, want 1", n)
	}
}

// A backup holds what only the log held when it was taken: Backup
// checkpoints first, so the copy stands alone without a log.
func TestBackupHoldsLoggedWrites(t *testing.T) {
	dir := t.TempDir()
	s := openManual(t, filepath.Join(dir, "ipc.db"))
	mustRegister(t, s, "alice", "bob")
	mustSend(t, s, "alice", "bob", "logged only")
	if !s.dirty.Load() {
		t.Fatal("the send was checkpointed: this test needs it in the log only")
	}
	copyPath := filepath.Join(dir, "copy", "ipc.db")
	if err := os.MkdirAll(filepath.Dir(copyPath), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := writeBackup(s, copyPath); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(WALPath(copyPath)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a log beside the copy before it was opened: %v", err)
	}
	if n := fileMessages(t, copyPath, "bob"); n != 1 {
		t.Fatalf("the backup holds %d of bob's messages, want 1", n)
	}
}
