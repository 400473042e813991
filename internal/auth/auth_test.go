package auth

import (
	"crypto/sha256"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipcd/ipcd/internal/clock"
	"github.com/ipcd/ipcd/pkg/protocol"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func code(err error) protocol.Code {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func TestLoadSecret(t *testing.T) {
	dir := t.TempDir()
	def := filepath.Join(dir, "data", "secret")

	s, err := LoadSecret(SecretOptions{Default: def, Create: true})
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(def)
	if fi.Mode().Perm() != 0o600 || len(s.Bytes()) != 64 {
		t.Fatalf("created secret: mode %o, %d bytes", fi.Mode().Perm(), len(s.Bytes()))
	}
	if strings.Contains(s.String(), string(s.Bytes())) {
		t.Fatal("String shows the secret")
	}
	again, err := LoadSecret(SecretOptions{Default: def, Create: true})
	if err != nil || string(again.Bytes()) != string(s.Bytes()) {
		t.Fatal("second load made a new secret")
	}
	if _, err := LoadSecret(SecretOptions{Default: filepath.Join(dir, "none")}); err == nil {
		t.Fatal("clients must not create a secret")
	}

	env, _ := LoadSecret(SecretOptions{Env: "from-env", File: def, Default: def})
	if string(env.Bytes()) != "from-env" || env.Source != "IPC_SHARED_SECRET" {
		t.Fatalf("env should win: %v", env)
	}
	file := filepath.Join(dir, "custom")
	os.WriteFile(file, []byte("  custom secret \n"), 0o600)
	got, err := LoadSecret(SecretOptions{File: file, Default: def})
	if err != nil || string(got.Bytes()) != "custom secret" {
		t.Fatalf("file secret = %q, %v", got.Bytes(), err)
	}
	os.Chmod(file, 0o644)
	if _, err := LoadSecret(SecretOptions{File: file}); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable secret file: %v", err)
	}
}

func TestNonces(t *testing.T) {
	clk := clock.NewFake(t0)
	n := NewNonces(clk, 30*time.Second, 2)
	a, exp, err := n.Issue()
	if err != nil || !exp.Equal(t0.Add(30*time.Second)) {
		t.Fatal(err)
	}
	if err := n.Consume(a); err != nil {
		t.Fatal(err)
	}
	if c := code(n.Consume(a)); c != protocol.CodeNonceInvalid {
		t.Fatalf("replay: %s", c)
	}
	b, _, _ := n.Issue()
	c, _, _ := n.Issue()
	if _, _, err := n.Issue(); code(err) != protocol.CodeTooManyChallenges {
		t.Fatalf("over max: %v", err)
	}
	clk.Advance(30 * time.Second)
	if got := code(n.Consume(b)); got != protocol.CodeNonceExpired {
		t.Fatalf("expired: %s", got)
	}
	// Expired nonces make room again.
	if _, _, err := n.Issue(); err != nil {
		t.Fatal(err)
	}
	_ = c
}

func TestSessions(t *testing.T) {
	clk := clock.NewFake(t0)
	s := NewSessions(clk, time.Hour)
	tok := s.Create("claude", false)
	if !strings.HasPrefix(tok, TokenPrefix) || len(tok) < len(TokenPrefix)+43 {
		t.Fatalf("token %q too short for 256 bits", tok)
	}
	if _, ok := s.byID[sha256.Sum256([]byte(tok))]; !ok || len(s.byID) != 1 {
		t.Fatal("the table should hold the token's hash, and only that")
	}
	clk.Advance(50 * time.Minute)
	if _, err := s.Lookup(tok); err != nil {
		t.Fatal(err)
	}
	clk.Advance(50 * time.Minute) // renewed by the lookup: still alive
	sess, err := s.Lookup(tok)
	if err != nil || sess.Name != "claude" {
		t.Fatalf("%v %v", sess, err)
	}
	if last, held := s.Holder("claude"); !held || !last.Equal(clk.Now()) {
		t.Fatalf("holder = %v %v", last, held)
	}
	s.Rename("claude", "claude2")
	if sess, _ := s.Lookup(tok); sess.Name != "claude2" {
		t.Fatalf("after rename: %v", sess)
	}
	clk.Advance(time.Hour)
	if c := code(func() error { _, err := s.Lookup(tok); return err }()); c != protocol.CodeSessionExpired {
		t.Fatalf("idle: %s", c)
	}
	if _, held := s.Holder("claude2"); held {
		t.Fatal("expired session still holds the name")
	}
	t2 := s.Create("x", false)
	if tok, _, last, held := s.Claim("x", false); tok != "" || !held || !last.Equal(clk.Now()) {
		t.Fatalf("claim of a held name = %q, %v, %v", tok, last, held)
	}
	t3, tookOver, _, held := s.Claim("x", true)
	if t3 == "" || !tookOver || held {
		t.Fatalf("takeover = %q, %v, %v", t3, tookOver, held)
	}
	if _, err := s.Lookup(t2); err == nil {
		t.Fatal("revoked token works")
	}
	if sess, err := s.Lookup(t3); err != nil || sess.Name != "x" {
		t.Fatalf("the new session: %v %v", sess, err)
	}
	if _, err := s.Lookup("not-a-token"); code(err) != protocol.CodeSessionExpired {
		t.Fatal(err)
	}
}

func TestRateLimiter(t *testing.T) {
	clk := clock.NewFake(t0)
	r := NewRateLimiter(clk, 10, 5)
	for i := range 5 {
		if err := r.Allow("a", 1); err != nil {
			t.Fatalf("burst %d: %v", i, err)
		}
	}
	err := r.Allow("a", 1)
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != protocol.CodeRateLimited || pe.Details["retry_after_ms"].(int64) != 100 {
		t.Fatalf("over rate: %#v", err)
	}
	if err := r.Allow("b", 1); err != nil {
		t.Fatal("buckets are per key")
	}
	clk.Advance(100 * time.Millisecond)
	if err := r.Allow("a", 1); err != nil {
		t.Fatalf("after refill: %v", err)
	}
	if err := NewRateLimiter(clk, 0, 0).Allow("a", 1000); err != nil {
		t.Fatal("zero rate means no limit")
	}
}

func TestCheckPeer(t *testing.T) {
	for _, tc := range []struct {
		p    Peer
		want protocol.Code
	}{
		{Peer{UID: 1000, Known: true}, ""},
		{Peer{UID: 0, Known: true}, protocol.CodePeerForbidden},
		{Peer{}, ""},
		{Peer{TCP: true}, ""},
	} {
		if got := code(CheckPeer(tc.p, 1000)); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.p, got, tc.want)
		}
	}
}

func TestPeerOfRealSocket(t *testing.T) {
	dir, err := os.MkdirTemp("/tmp", "ipcd-peer-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ln, err := net.Listen("unix", filepath.Join(dir, "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := net.Dial("unix", filepath.Join(dir, "s")); err == nil {
			defer c.Close()
			c.Read(make([]byte, 1))
		}
	}()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := PeerOf(c)
	if !p.Known || p.UID != os.Getuid() {
		t.Fatalf("peer = %+v, want uid %d", p, os.Getuid())
	}
	if err := CheckPeer(p, os.Getuid()); err != nil {
		t.Fatal(err)
	}
}
