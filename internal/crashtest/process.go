package crashtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/paths"
	"github.com/ipcd/ipcd/internal/store"
)

// Build compiles cmd/ipcd into dir with the go command on PATH and returns
// the binary's path. It must run inside the ipcd module.
func Build(ctx context.Context, dir string) (string, error) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("build ipcd: %w", err)
	}
	bin := filepath.Join(dir, "ipcd")
	if os.PathSeparator == '\\' {
		bin += ".exe"
	}
	cmd := exec.CommandContext(ctx, goCmd, "build", "-o", bin, "github.com/ipcd/ipcd/cmd/ipcd")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build ipcd: %w\n%s", err, out)
	}
	return bin, nil
}

// daemon is the ipcd child process of one life between kills.
type daemon struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// layout is where the daemon under test keeps its things.
type layout struct {
	bin, dataDir, socket, logFile, secret string
}

func (l layout) dbPath() string { return filepath.Join(l.dataDir, paths.DBFile) }

// start runs "ipcd run" and waits until it answers. No send rate limit:
// the clients send as fast as the daemon acknowledges.
func (l layout) start(ctx context.Context) (*daemon, error) {
	log, err := os.OpenFile(l.logFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd := exec.Command(l.bin, "run", "--data-dir", l.dataDir, "--socket", l.socket,
		"--send-rate", "0", "--log-level", "warn")
	cmd.Env = append(cleanEnv(), paths.EnvSecret+"="+l.secret)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start ipcd: %w", err)
	}
	d := &daemon{cmd: cmd, done: make(chan struct{})}
	go func() { d.err = cmd.Wait(); close(d.done) }()

	c := client.New(client.Options{Socket: l.socket, Timeout: time.Second})
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := c.Health(ctx); err == nil {
			return d, nil
		}
		select {
		case <-d.done:
			return nil, fmt.Errorf("ipcd exited while starting: %v; its log:\n%s", d.err, tail(l.logFile))
		case <-ctx.Done():
			d.kill()
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			d.kill()
			return nil, fmt.Errorf("ipcd did not answer within 20s; its log:\n%s", tail(l.logFile))
		}
	}
}

// kill ends the daemon with SIGKILL (TerminateProcess on Windows): no
// shutdown code runs, as in a power cut of the process.
func (d *daemon) kill() {
	d.cmd.Process.Kill()
	<-d.done
}

// stop ends the daemon gracefully, or kills it after 15s.
func (d *daemon) stop() error {
	if err := d.cmd.Process.Signal(os.Interrupt); err != nil {
		d.kill()
		return nil
	}
	select {
	case <-d.done:
		return d.err
	case <-time.After(15 * time.Second):
		d.kill()
		return errors.New("ipcd did not stop within 15s of SIGINT")
	}
}

// checkDB verifies the database file as the kill left it (page structure
// and free list), then opens it as the next daemon would, replaying its
// write-ahead log, and verifies it again. It returns how many log records
// the open replayed: writes acknowledged but not yet checkpointed.
func checkDB(path string) (replayed int, err error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return 0, fmt.Errorf("open the database file after a kill: %w", err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
	db.Close()
	if err != nil {
		return 0, fmt.Errorf("the database file is inconsistent after a kill: %w", err)
	}
	st, err := store.Open(path, store.Options{LockTimeout: 5 * time.Second})
	if err != nil {
		return 0, fmt.Errorf("open the database after a kill: %w", err)
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		return 0, fmt.Errorf("the database is inconsistent after replaying its log: %w", err)
	}
	return st.Stats().Replayed, nil
}

// cleanEnv is this process's environment without IPC_ settings, so the
// child uses only what the harness gives it.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "IPC_") {
			out = append(out, kv)
		}
	}
	return out
}

// tail returns the end of a log file for an error message.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
