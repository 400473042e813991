package store

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// mappedKB sums the resident kB of this process's mappings of path, from
// /proc/self/smaps.
func mappedKB(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	total, in := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) >= 5 && strings.Contains(fields[0], "-") {
			in = len(fields) >= 6 && fields[5] == path // a mapping's header line
			continue
		}
		if in && len(fields) == 3 && fields[0] == "Rss:" {
			n, err := strconv.Atoi(fields[1])
			if err != nil {
				t.Fatal(err)
			}
			total += n
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return total
}

// After a checkpoint the pages of the database file that reads mapped in
// are no longer counted in the process's resident set.
func TestCheckpointDropsMappedPages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ipc.db")
	s := openManual(t, path)
	mustRegister(t, s, "alice", "bob")
	body := strings.Repeat("x", 1000)
	for i := range 2000 {
		mustSend(t, s, "alice", "bob", fmt.Sprint(i, body))
	}
	if err := s.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	// Read every message: bbolt reads the file through its mapping.
	if n := len(inbox(t, s, "bob")); n != 2000 {
		t.Fatalf("bob has %d messages, want 2000", n)
	}
	before := mappedKB(t, path)
	if before < 1024 {
		t.Fatalf("reading 2 MB of mail mapped in only %d kB: the test measures nothing", before)
	}
	mustSend(t, s, "alice", "bob", "one more") // something to checkpoint
	if err := s.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if after := mappedKB(t, path); after > before/4 {
		t.Fatalf("resident pages of the mapping: %d kB before the checkpoint, %d kB after", before, after)
	}
}
