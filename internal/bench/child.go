package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/paths"
)

// childRun runs exe ("ipcd") as its own process on loc's data dir, with
// the same raised limits as the in-process daemon, and drives it with the
// throughput load: daemon and clients in separate processes, as ipcd is
// used. It samples that process alone, the daemon's own resident memory
// without the load driver's, and the CPU time of each process.
func childRun(ctx context.Context, o Options, exe string, loc *Local) (Memory, Throughput, error) {
	cmd := exec.Command(exe, "run", "--data-dir", loc.DataDir, "--socket", loc.Socket,
		"--secret-file", filepath.Join(loc.DataDir, paths.SecretFile),
		"--send-rate", "0", "--max-inbox", "1073741824", "--max-db-size", "0", "--log-level", "error")
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return k == paths.EnvSecret || k == paths.EnvSecretFile || k == paths.EnvSocket || k == paths.EnvDataDir
	})
	cmd.Stderr = o.Log
	if err := cmd.Start(); err != nil {
		return Memory{}, Throughput{}, fmt.Errorf("start %s run: %w", exe, err)
	}
	defer stopChild(cmd)
	c := client.New(client.Options{Socket: loc.Socket, Secret: loc.Secret})
	defer c.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := c.Health(ctx); err == nil {
			break
		} else if time.Now().After(deadline) {
			return Memory{}, Throughput{}, fmt.Errorf("%s run did not answer on %s: %w", exe, loc.Socket, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	dr := newDriver(loc.Socket, loc.Secret, false)
	dr.meterCPU, dr.daemonPID = true, cmd.Process.Pid
	defer func() { dr.close(context.Background(), false) }()
	mem := sampleMemory(cmd.Process.Pid)
	th, err := dr.throughput(ctx, o.Senders, o.Messages, o.Size)
	m, merr := mem.finish()
	if err != nil {
		return Memory{}, Throughput{}, err
	}
	if merr != nil {
		return Memory{}, Throughput{}, merr
	}
	m.Source = fmt.Sprintf("/proc/%d/status of a separate `ipcd run` on the same data dir, under the throughput load", cmd.Process.Pid)
	return m, th, nil
}

// stopChild stops the daemon as a service manager would, then for sure.
func stopChild(cmd *exec.Cmd) {
	if runtime.GOOS == "windows" {
		cmd.Process.Kill()
	} else {
		cmd.Process.Signal(os.Interrupt)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}
