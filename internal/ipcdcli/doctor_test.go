package ipcdcli

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/service"
	"github.com/ipcd/ipcd/internal/store"
)

// doctorRun runs doctor --json and returns its checks by name.
func doctorRun(t *testing.T, w *world) (map[string]Check, DoctorReport, int) {
	t.Helper()
	out, errOut, code := w.run("doctor", "--json")
	var rep DoctorReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("decode %q (stderr %q): %v", out, errOut, err)
	}
	checks := map[string]Check{}
	for _, c := range rep.Checks {
		checks[c.Name] = c
	}
	return checks, rep, code
}

func wantCheck(t *testing.T, checks map[string]Check, name string, o Outcome, detail, fix string) {
	t.Helper()
	c, ok := checks[name]
	if !ok {
		t.Errorf("no %q check", name)
		return
	}
	if c.Outcome != o || !strings.Contains(c.Detail, detail) || !strings.Contains(c.Fix, fix) {
		t.Errorf("%s: %+v; want %s, detail with %q, fix with %q", name, c, o, detail, fix)
	}
}

func TestDoctorHealthy(t *testing.T) {
	w := newWorld(t)
	w.svc.set(service.StateRunning)
	w.start()
	checks, rep, code := doctorRun(t, w)
	if code != 0 || rep.Problems != 0 {
		t.Fatalf("exit %d, %d problems: %+v", code, rep.Problems, rep.Checks)
	}
	for _, name := range []string{"data dir", "secret", "socket", "daemon", "admin access", "mode", "versions", "service", "disk space", "database"} {
		wantCheck(t, checks, name, OutcomeOK, "", "")
	}
	out, _, _ := w.run("doctor")
	if !strings.Contains(out, "No problems found.") {
		t.Errorf("text output:\n%s", out)
	}
}

func TestDoctorProblems(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes and stale sockets are Unix matters")
	}
	t.Run("secret readable by others", func(t *testing.T) {
		w := newWorld(t)
		w.start()
		secret := filepath.Join(w.dataDir, "secret")
		if err := os.Chmod(secret, 0o644); err != nil {
			t.Fatal(err)
		}
		checks, _, code := doctorRun(t, w)
		if code != cli.ExitFailure {
			t.Errorf("exit %d", code)
		}
		wantCheck(t, checks, "secret", OutcomeProblem, "mode 0644", "chmod 600 "+secret)
		// The secret is refused on this side, not by the daemon.
		wantCheck(t, checks, "admin access", OutcomeProblem, "", "the secret check names the file")
		out, _, _ := w.run("doctor")
		if !strings.Contains(out, "fix: chmod 600 "+secret) || !strings.Contains(out, "problems found.") {
			t.Errorf("text output:\n%s", out)
		}
	})
	t.Run("data dir readable by others", func(t *testing.T) {
		w := newWorld(t)
		w.start()
		if err := os.Chmod(w.dataDir, 0o755); err != nil {
			t.Fatal(err)
		}
		checks, _, code := doctorRun(t, w)
		if code != cli.ExitFailure {
			t.Errorf("exit %d", code)
		}
		wantCheck(t, checks, "data dir", OutcomeProblem, "mode 0755", "chmod 700 "+w.dataDir)
	})
	t.Run("daemon down", func(t *testing.T) {
		w := newWorld(t)
		w.start()
		alice := w.as("alice")
		w.send(alice, "bob", "kept while down")
		w.shutdown()
		checks, rep, code := doctorRun(t, w)
		if code != cli.ExitDown || !rep.DaemonDown {
			t.Errorf("exit %d", code)
		}
		wantCheck(t, checks, "daemon", OutcomeProblem, "not running", "ipcd run")
		wantCheck(t, checks, "socket", OutcomeNote, "no daemon is listening", "")
		wantCheck(t, checks, "database", OutcomeOK, "consistent", "")
		wantCheck(t, checks, "secret", OutcomeOK, "mode 0600", "")
	})
	t.Run("stale socket", func(t *testing.T) {
		w := newWorld(t)
		ln, err := net.Listen("unix", w.socket)
		if err != nil {
			t.Fatal(err)
		}
		ln.(*net.UnixListener).SetUnlinkOnClose(false)
		ln.Close()
		checks, _, code := doctorRun(t, w)
		if code != cli.ExitDown {
			t.Errorf("exit %d", code)
		}
		wantCheck(t, checks, "socket", OutcomeProblem, "is stale", "rm "+w.socket)
	})
	t.Run("not a socket", func(t *testing.T) {
		w := newWorld(t)
		if err := os.WriteFile(w.socket, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		checks, _, _ := doctorRun(t, w)
		wantCheck(t, checks, "socket", OutcomeProblem, "is a file, not a socket", "move it away")
	})
	t.Run("socket path too long", func(t *testing.T) {
		w := newWorld(t)
		long := filepath.Join(w.dir, strings.Repeat("s", 120)+".sock")
		out, _, _ := w.run("doctor", "--json", "--socket", long)
		var rep DoctorReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		checks := map[string]Check{}
		for _, c := range rep.Checks {
			checks[c.Name] = c
		}
		wantCheck(t, checks, "socket", OutcomeProblem, "over the", "shorter --socket")
	})
	t.Run("secret only white space", func(t *testing.T) {
		w := newWorld(t)
		w.start()
		w.shutdown()
		if err := os.WriteFile(filepath.Join(w.dataDir, "secret"), []byte("\n \n"), 0o600); err != nil {
			t.Fatal(err)
		}
		checks, _, _ := doctorRun(t, w)
		wantCheck(t, checks, "secret", OutcomeProblem, "is empty", "rm ")
	})
	t.Run("database locked by a daemon elsewhere", func(t *testing.T) {
		w := newWorld(t)
		st, err := store.Open(filepath.Join(w.dataDir, "ipc.db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		checks, _, _ := doctorRun(t, w)
		wantCheck(t, checks, "database", OutcomeProblem, "locked by another process", "--socket")
	})
	t.Run("wrong secret", func(t *testing.T) {
		w := newWorld(t)
		w.start()
		w.env["IPC_SHARED_SECRET"] = "not the daemon's"
		checks, _, code := doctorRun(t, w)
		if code != cli.ExitFailure {
			t.Errorf("exit %d", code)
		}
		wantCheck(t, checks, "admin access", OutcomeProblem, "bad_proof", "same IPC_SHARED_SECRET")
	})
	t.Run("versions differ", func(t *testing.T) {
		w := newWorld(t)
		w.fakeShim("0.0.1-old")
		w.start()
		checks, _, code := doctorRun(t, w)
		if code != cli.ExitFailure {
			t.Errorf("exit %d", code)
		}
		wantCheck(t, checks, "versions", OutcomeProblem, "is 0.0.1-old", "one release")
	})
	t.Run("service failed", func(t *testing.T) {
		w := newWorld(t)
		w.svc.set(service.StateFailed)
		w.start()
		checks, _, code := doctorRun(t, w)
		if code != cli.ExitFailure {
			t.Errorf("exit %d", code)
		}
		wantCheck(t, checks, "service", OutcomeProblem, "failure", "ipcd restart")
	})
	t.Run("fresh machine", func(t *testing.T) {
		w := newWorld(t)
		checks, _, code := doctorRun(t, w)
		if code != cli.ExitDown {
			t.Errorf("exit %d", code)
		}
		wantCheck(t, checks, "data dir", OutcomeNote, "does not exist yet", "")
		wantCheck(t, checks, "database", OutcomeNote, "does not exist yet", "")
		wantCheck(t, checks, "service", OutcomeNote, "not installed", "")
	})
}

// A damaged database makes bbolt panic where nothing can catch it; doctor
// checks it in a child process (this test binary, turned into ipcd) and
// reports the damage instead of crashing.
func TestDoctorDamagedDatabase(t *testing.T) {
	w := filledAndDamaged(t)
	w.ipcdIsThisBinary()
	checks, _, code := doctorRun(t, w)
	if code == 0 {
		t.Errorf("doctor exited 0 on a damaged database")
	}
	wantCheck(t, checks, "database", OutcomeProblem, "damaged", "restore a backup")
}
