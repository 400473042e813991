package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// FuzzLogReplay opens a database with arbitrary bytes as its write-ahead
// log. Half the inputs are taken as the raw file, the other half as the
// entries of one well-formed record (right log id, LSN and CRC), so that
// entry decoding is reached too. Open must never panic: it replays what
// is valid, or fails with an error about the log, and a store that opened
// still serves.
func FuzzLogReplay(f *testing.F) {
	// A template database with two names, and a real log of three sends.
	tmpl := f.TempDir()
	dbPath := filepath.Join(tmpl, "ipc.db")
	s, err := Open(dbPath, Options{manualCheckpoints: true})
	if err != nil {
		f.Fatal(err)
	}
	for _, n := range []string{"alice", "bob"} {
		if _, err := s.Register(n); err != nil {
			f.Fatal(err)
		}
	}
	walID := s.wal.id
	for _, c := range []string{"one", "two", "three"} {
		if _, err := s.Send(SendParams{From: "alice", To: "bob", Content: c}); err != nil {
			f.Fatal(err)
		}
	}
	end := s.wal.off
	s.abandon = true
	if err := s.Close(); err != nil {
		f.Fatal(err)
	}
	realLog, err := os.ReadFile(WALPath(dbPath))
	if err != nil {
		f.Fatal(err)
	}
	realLog = realLog[:end]
	if err := os.Remove(WALPath(dbPath)); err != nil {
		f.Fatal(err)
	}
	dbBytes, err := os.ReadFile(dbPath)
	if err != nil {
		f.Fatal(err)
	}
	var ckpt uint64 // the template was never checkpointed past its registrations
	f.Add(false, realLog)
	f.Add(false, realLog[:len(realLog)-1])
	f.Add(true, realLog[walHeader:min(len(realLog), 80)])
	f.Add(true, []byte{entryCursor, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Add(true, []byte{entryDeliver, 0, 0, 0, 0, 0, 0, 0, 99})
	f.Add(false, []byte{})

	f.Fuzz(func(t *testing.T, wrap bool, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "ipc.db")
		if err := os.WriteFile(path, dbBytes, 0o600); err != nil {
			t.Fatal(err)
		}
		log := data
		if wrap {
			rec := make([]byte, walHeader, walHeader+len(data))
			binary.BigEndian.PutUint32(rec[4:], uint32(len(data)))
			binary.BigEndian.PutUint64(rec[8:], walID)
			binary.BigEndian.PutUint64(rec[16:], ckpt+1)
			rec = append(rec, data...)
			binary.BigEndian.PutUint32(rec, crc32.Checksum(rec[4:], crcTable))
			log = rec
		}
		if err := os.WriteFile(WALPath(path), log, 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := Open(path, Options{manualCheckpoints: true})
		if err != nil {
			if !strings.Contains(err.Error(), "write-ahead log") {
				t.Fatalf("open failed, not on the log: %v", err)
			}
			return
		}
		defer st.Close()
		if bytes.Equal(log, realLog) {
			if got := inboxOf(t, st, "bob"); got != 3 {
				t.Fatalf("the real log replayed %d messages, want 3", got)
			}
		}
		// Entries no ipcd wrote (a cursor past the inbox's end, say) may
		// make a send be refused, but the store answers.
		var perr *protocol.Error
		if _, err := st.Send(SendParams{From: "alice", To: "bob", Content: "after"}); err != nil && !errors.As(err, &perr) {
			t.Fatalf("send after replay: %v", err)
		}
	})
}

func inboxOf(t *testing.T, s *Store, name string) int {
	t.Helper()
	b, err := s.Fetch(name, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(b.Messages)
}
