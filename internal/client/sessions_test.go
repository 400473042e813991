package client

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestFileSessionsPerNamePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sessions")
	s := FileSessions{Dir: dir}
	if s.Last() != "" {
		t.Fatal("Last of an empty store is not empty")
	}
	if tok, err := s.Load("barney"); tok != "" || err != nil {
		t.Fatalf("Load of an unknown name = %q, %v", tok, err)
	}
	if err := s.Save("barney", "ipcd_aaa"); err != nil {
		t.Fatal(err)
	}
	if err := s.Save("nessa", "ipcd_bbb"); err != nil {
		t.Fatal(err)
	}
	// Two names under one OS user keep separate tokens.
	for name, want := range map[string]string{"barney": "ipcd_aaa", "nessa": "ipcd_bbb"} {
		if got, err := s.Load(name); got != want || err != nil {
			t.Errorf("Load(%s) = %q, %v; want %q", name, got, err, want)
		}
	}
	// Saving a token does not make it the default name: only SetLast
	// (the register command) does.
	if s.Last() != "" {
		t.Errorf("Last = %q after saves, want none", s.Last())
	}
	if err := s.SetLast("nessa"); err != nil {
		t.Fatal(err)
	}
	if s.Last() != "nessa" {
		t.Errorf("Last = %q, want nessa", s.Last())
	}
	if err := s.SetLast("../x"); err == nil {
		t.Error("SetLast took an invalid name")
	}
	if runtime.GOOS != "windows" {
		for _, f := range []string{"barney.token", "nessa.token", "last"} {
			fi, err := os.Stat(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %v, want 0600", f, fi.Mode().Perm())
			}
		}
		if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
			t.Errorf("sessions dir has mode %v, want 0700", fi.Mode().Perm())
		}
	}
	if err := s.Delete("barney"); err != nil {
		t.Fatal(err)
	}
	if tok, _ := s.Load("barney"); tok != "" {
		t.Errorf("token survived Delete: %q", tok)
	}
	if err := s.Delete("barney"); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
	// A name that is not a valid name never becomes a path.
	if err := s.Save("../escape", "x"); err == nil {
		t.Error("Save accepted a name with a path in it")
	}
	if err := os.WriteFile(filepath.Join(dir, "last"), []byte("../../etc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s.Last() != "" {
		t.Errorf("Last returned an invalid name %q", s.Last())
	}
}

// Names that differ only in case keep separate token files, whose names
// also differ to a file system that ignores case (macOS, Windows).
func TestFileSessionsCase(t *testing.T) {
	dir := t.TempDir()
	s := FileSessions{Dir: dir}
	for name, tok := range map[string]string{"carol": "ipcd_low", "Carol": "ipcd_cap"} {
		if err := s.Save(name, tok); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]string{"carol": "ipcd_low", "Carol": "ipcd_cap"} {
		if got, _ := s.Load(name); got != want {
			t.Errorf("Load(%s) = %q, want %q", name, got, want)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	folded := map[string]bool{}
	for _, e := range entries {
		folded[strings.ToLower(e.Name())] = true
	}
	if len(entries) != 2 || len(folded) != 2 {
		t.Errorf("token files %v share a name when case is ignored", entries)
	}
}

// A token saved by an earlier ipc-mcp as NAME.token for a name with
// capitals is still found, where the file system tells it from the
// small-letter name's.
func TestFileSessionsEarlierName(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Carol.token"), []byte("ipcd_earlier\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := FileSessions{Dir: dir}
	want := "ipcd_earlier"
	if _, err := os.Stat(filepath.Join(dir, "carol.token")); err == nil {
		want = "" // this file system ignores case: it may be carol's
	}
	if got, _ := s.Load("Carol"); got != want {
		t.Errorf("Load(Carol) = %q, want %q", got, want)
	}
	if err := s.Save("Carol", "ipcd_new"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Load("Carol"); got != "ipcd_new" {
		t.Errorf("after Save, Load(Carol) = %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "Carol.token")); want != "" && err == nil {
		t.Error("Save left the earlier Carol.token")
	}
	// The earlier file goes with the session: a deleted one does not
	// come back from it.
	if err := s.Delete("Carol"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Load("Carol"); got != "" {
		t.Errorf("after Delete, Load(Carol) = %q", got)
	}
}
