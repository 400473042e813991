//go:build unix

package daemon_test

import (
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ipcd/ipcd/internal/daemon"
	"github.com/ipcd/ipcd/internal/paths"
	"github.com/ipcd/ipcd/internal/syncbuf"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// Tests behind the claims of docs/security.md that no other test makes.

// TestPrivateFiles: the socket, the data dir and everything in it are
// the daemon user's alone.
func TestPrivateFiles(t *testing.T) {
	td := startDaemon(t, nil)
	send(t, td.as("a"), "b", strings.Repeat("large ", 3000))
	for _, tc := range []struct {
		path string
		mode os.FileMode
	}{
		{td.socket, 0o600},
		{td.cfg.DataDir, 0o700},
		{filepath.Join(td.cfg.DataDir, paths.DBFile), 0o600},
		{filepath.Join(td.cfg.DataDir, paths.SecretFile), 0o600},
		{filepath.Join(td.cfg.DataDir, paths.LargeDir), 0o700},
	} {
		fi, err := os.Stat(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != tc.mode {
			t.Errorf("%s has mode %o, want %o", tc.path, fi.Mode().Perm(), tc.mode)
		}
	}
	// A socket in a directory the daemon makes gets a 0700 directory.
	sock := filepath.Join(shortDir(t), "new", "s.sock")
	ln, err := daemon.ListenUnix(sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if fi, _ := os.Stat(filepath.Dir(sock)); fi.Mode().Perm() != 0o700 {
		t.Errorf("socket dir has mode %o, want 700", fi.Mode().Perm())
	}
}

// TestOtherUserRefused: another OS user cannot open the socket (mode
// 0600), and with the file modes loosened on purpose, the daemon itself
// refuses the connection because the kernel says the peer is another user.
// It needs root (to act as another user) and curl.
func TestOtherUserRefused(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if os.Getuid() != 0 || err != nil {
		t.Skip("needs root, to run curl as another user")
	}
	td := startDaemon(t, nil)
	asNobody := func() (string, int) {
		cmd := exec.Command(curl, "-s", "--unix-socket", td.socket, "http://ipcd/v1/health")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.Output()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	// curl exit code 7: could not connect (permission denied).
	if out, code := asNobody(); code != 7 {
		t.Fatalf("another user reached the 0600 socket: exit %d, %s", code, out)
	}
	if err := os.Chmod(filepath.Dir(td.socket), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(td.socket, 0o666); err != nil {
		t.Fatal(err)
	}
	if out, _ := asNobody(); !strings.Contains(out, string(protocol.CodePeerForbidden)) {
		t.Fatalf("another user on a world-writable socket got: %s", out)
	}
	stillServes(t, td, "alice", "bob")
}

// TestLogsHoldNoSecrets: at debug level, through registrations right and
// wrong, a takeover, mail, a rename and bad input, the daemon's log never
// holds the secret, a token, a proof or a message body.
func TestLogsHoldNoSecrets(t *testing.T) {
	var logs syncbuf.Buffer
	td := startDaemon(t, func(c *daemon.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	r := rawClient(td)
	tok := registerRaw(t, td, r, "alice")
	nonce := r.challenge(t)
	wrongProof := protocol.Proof([]byte("guess"), protocol.LabelRegister, nonce, "bob")
	r.call(t, "POST", "/v1/auth/register", registerBody("bob", nonce, wrongProof), nil)
	auth := map[string]string{"Authorization": "Bearer " + tok}
	const body = "the-body-must-not-be-logged"
	r.call(t, "POST", "/v1/send", `{"to":"bob","content":"`+body+`"}`, auth)
	r.call(t, "POST", "/v1/send", `{"to":"bob","content":"`+body+`","bad":1}`, auth)
	r.call(t, "POST", "/v1/rename", `{"new_name":"alice2"}`, auth)
	c := td.client()
	if _, err := c.Register(bg, "alice2", true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Status(bg); err != nil {
		t.Fatal(err)
	}
	td.shutdown()
	out := logs.String()
	if !strings.Contains(out, "registered") {
		t.Fatalf("the log shows nothing; the test is blind:\n%s", out)
	}
	for what, s := range map[string]string{
		"the secret": string(td.secret), "a token": tok, "a proof": wrongProof, "a message body": body,
		"the token prefix": "ipcd_",
	} {
		if strings.Contains(out, s) {
			t.Errorf("the log holds %s:\n%s", what, out)
		}
	}
}
