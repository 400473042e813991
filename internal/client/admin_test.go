package client

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/ipcd/ipcd/internal/daemon"
	"github.com/ipcd/ipcd/internal/daemon/daemontest"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// Each operator command makes an admin session; Close ends it, so a run
// of `ipcd status` every second leaves no sessions behind in the daemon.
func TestCloseEndsTheAdminSession(t *testing.T) {
	dir := daemontest.TempDir(t)
	secret := daemontest.Secret(t, filepath.Join(dir, "secret"))
	sock := filepath.Join(dir, "s")
	daemontest.Serve(t, daemon.Config{DataDir: filepath.Join(dir, "data"), Socket: sock, Secret: &secret})
	opts := Options{Socket: sock, Secret: func() ([]byte, error) { return secret.Bytes(), nil }}
	ctx := context.Background()

	c := New(opts)
	if _, err := c.Status(ctx); err != nil {
		t.Fatal(err)
	}
	token := c.admin
	if token == "" {
		t.Fatal("no admin session after Status")
	}
	c.Close()
	if c.admin != "" {
		t.Error("Close kept the admin token")
	}

	// The token no longer works.
	stale := New(opts)
	defer stale.Close()
	stale.admin = token
	_, err := stale.Status(ctx)
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != protocol.CodeSessionExpired {
		t.Fatalf("status with the closed client's admin token: %v, want session_expired", err)
	}
}
