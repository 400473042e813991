//go:build unix

package crashtest

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// The long run: go test ./internal/crashtest -crash.long [-crash.kills 200]
// [-crash.duration 10m] -timeout 0, or the same through IPC_CRASH_LONG=1,
// IPC_CRASH_KILLS and IPC_CRASH_DURATION. IPC_CRASH_IPCD tests a given
// binary instead of building one.
var (
	long     = flag.Bool("crash.long", os.Getenv("IPC_CRASH_LONG") == "1", "run the long crash test")
	kills    = flag.Int("crash.kills", envInt("IPC_CRASH_KILLS", 100), "kills in the long run")
	duration = flag.Duration("crash.duration", envDuration("IPC_CRASH_DURATION", 0), "keep killing for at least this long in the long run")
	seed     = flag.Uint64("crash.seed", uint64(envInt("IPC_CRASH_SEED", 0)), "seed of the kill moments (0: random)")
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"))
}

// TestKillNineLosesNothing kills the daemon with SIGKILL at random moments
// under four senders and two readers, restarting it each time; every
// acknowledged send must arrive in per-sender order, and the database must
// open cleanly after every kill.
func TestKillNineLosesNothing(t *testing.T) {
	o := Options{Kills: 3, Seed: *seed, Logf: t.Logf}
	if *long {
		o.Kills, o.Duration, o.Senders, o.Readers = *kills, *duration, 8, 3
	}
	o.Dir = t.TempDir()
	sockDir, err := os.MkdirTemp("/tmp", "ipcc-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	o.Socket = filepath.Join(sockDir, "s.sock")

	o.Binary = os.Getenv("IPC_CRASH_IPCD")
	if o.Binary == "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if o.Binary, err = Build(ctx, t.TempDir()); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("%v (%s)", err, rep)
	}
	t.Log(rep)
	if rep.Acked == 0 {
		t.Fatal("no send was acknowledged")
	}
	if *long && rep.Replays == 0 {
		t.Errorf("no kill found acknowledged writes in the write-ahead log: the replay went untested")
	}
	if len(rep.Missing) > 0 {
		t.Errorf("%d acknowledged sends lost, for example: %s", len(rep.Missing), strings.Join(rep.Missing[:min(10, len(rep.Missing))], ", "))
	}
	for _, p := range rep.Problems {
		t.Error(p)
	}
	if !rep.OK() {
		t.Logf("repeat the kill moments with -crash.seed %d; the end of the daemon's log:\n%s",
			rep.Seed, tail(filepath.Join(o.Dir, "ipcd.log")))
	}
}

func envInt(key string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(key)); err == nil {
		return n
	}
	return def
}

func envDuration(key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(key)); err == nil {
		return d
	}
	return def
}
