package client

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ipcd/ipcd/internal/daemon"
	"github.com/ipcd/ipcd/internal/daemon/daemontest"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// fakeClaims stands in for the MCP server's name locks: names in other
// are held by another process.
type fakeClaims struct {
	mu      sync.Mutex
	other   map[string]bool
	current string
}

func (f *fakeClaims) claim(name string) (func(error), bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	mine := !f.other[name]
	return func(err error) {
		if err == nil {
			f.mu.Lock()
			f.current = name
			f.mu.Unlock()
		}
	}, mine
}

func (f *fakeClaims) holds(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return name == f.current && !f.other[name]
}

func (f *fakeClaims) letGo(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.other, name)
}

// restartable serves a daemon on a fresh data dir and returns its config
// (to serve it again after stop), client options with its secret, and
// the function that stops it.
func restartable(t *testing.T) (daemon.Config, Options, func()) {
	dir := daemontest.TempDir(t)
	secret := daemontest.Secret(t, filepath.Join(dir, "secret"))
	sock := filepath.Join(dir, "s")
	cfg := daemon.Config{DataDir: filepath.Join(dir, "data"), Socket: sock, Secret: &secret}
	_, stop := daemontest.Serve(t, cfg)
	return cfg, Options{Socket: sock, Secret: func() ([]byte, error) { return secret.Bytes(), nil }}, stop
}

// A token got by taking over a name that another process still claims is
// kept out of the session store, yet this client keeps using it: after a
// refused registration of another name, and after a daemon restart that
// forgot every session. It is saved once the claim is this process's.
func TestTakeoverTokenWithheldUntilClaimed(t *testing.T) {
	cfg, opts, stop := restartable(t)
	ctx := context.Background()
	store := &MemorySessions{}
	claims := &fakeClaims{other: map[string]bool{"carol": true}}

	// The loser: another process, whose token the shared store holds.
	loserOpts := opts
	loserOpts.Sessions = store
	loser := New(loserOpts)
	defer loser.Close()
	if _, err := loser.Register(ctx, "carol", false); err != nil {
		t.Fatal(err)
	}
	loserToken, _ := store.Load("carol")

	takerOpts := opts
	takerOpts.Sessions, takerOpts.Claim, takerOpts.Holds = store, claims.claim, claims.holds
	taker := New(takerOpts)
	defer taker.Close()
	if _, err := taker.Register(ctx, "carol", false); !IsCode(err, protocol.CodeNameTaken) {
		t.Fatalf("register without takeover of a claimed name: %v, want name_taken", err)
	}
	if _, err := taker.Register(ctx, "carol", true); err != nil {
		t.Fatal(err)
	}
	saved := func() string { tok, _ := store.Load("carol"); return tok }
	if saved() != loserToken {
		t.Fatal("the taker saved its token while another process claims the name")
	}
	if _, err := taker.Whoami(ctx); err != nil {
		t.Fatalf("the taker's own call: %v", err)
	}

	// A refused registration of another name leaves the taker as it was
	// once it acts as its name again (what the MCP server's register tool
	// does).
	zed := New(opts)
	defer zed.Close()
	if _, err := zed.Register(ctx, "zed", false); err != nil {
		t.Fatal(err)
	}
	if _, err := taker.Register(ctx, "zed", false); !IsCode(err, protocol.CodeNameTaken) {
		t.Fatalf("register of a held name: %v, want name_taken", err)
	}
	taker.As("carol")
	if _, err := taker.Whoami(ctx); err != nil {
		t.Fatalf("after a refused registration: %v", err)
	}

	// A daemon restart forgets every session: the taker registers again
	// with what it holds, and still keeps it from the store.
	stop()
	_, stop = daemontest.Serve(t, cfg)
	defer stop()
	if _, err := taker.Whoami(ctx); err != nil {
		t.Fatalf("after a daemon restart: %v", err)
	}
	if saved() != loserToken {
		t.Fatal("the taker saved its token after the restart while another process claims the name")
	}

	// The other process lets go: the next call takes the claim and saves.
	claims.letGo("carol")
	if _, err := taker.Whoami(ctx); err != nil {
		t.Fatal(err)
	}
	if saved() == loserToken || saved() != taker.token {
		t.Fatal("the taker did not save its token once the claim was its own")
	}
}

// Calls that find their session gone together (the daemon restarted and
// forgot every session) register again once: a second registration would
// offer the dead token, meet the first one's new session and be refused
// with name_taken.
func TestCallsRegisterAgainOnce(t *testing.T) {
	cfg, opts, stop := restartable(t)
	ctx := context.Background()
	c := New(opts)
	defer c.Close()
	if _, err := c.Register(ctx, "kate", false); err != nil {
		t.Fatal(err)
	}
	for round := range 5 {
		stop()
		_, stop = daemontest.Serve(t, cfg)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		start := make(chan struct{})
		for range 16 {
			wg.Go(func() {
				<-start
				if _, err := c.Whoami(ctx); err != nil {
					errs <- err
				}
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("round %d: a call after the restart: %v", round, err)
		}
	}
	stop()
}
