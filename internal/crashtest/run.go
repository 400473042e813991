package crashtest

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"time"
)

// Options shape one run. Zero values take the defaults.
type Options struct {
	// Binary is the ipcd to test.
	Binary string
	// Dir holds the data dir and the log; Socket is the socket path,
	// which must be short (about 100 bytes at most).
	Dir, Socket string
	// Kills is how many times the daemon is killed (default 3).
	Kills int
	// Duration, if set, keeps killing until it has passed, however many
	// kills that takes.
	Duration time.Duration
	// Senders and Readers are the concurrent clients (default 4 and 2).
	Senders, Readers int
	// MinAcks is how many sends must be acknowledged in each life of the
	// daemon before it may be killed, so every kill lands under load
	// (default 20). The kill then comes after a random delay of up to
	// MaxDelay (default 300ms).
	MinAcks  int
	MaxDelay time.Duration
	// Seed makes the kill moments repeatable (default: random).
	Seed uint64
	// Logf reports progress; nil is silent.
	Logf func(format string, args ...any)
}

// Report is what a run saw. Problems lists every broken promise; a run
// passes when it is empty.
type Report struct {
	Seed       uint64
	Kills      int
	Acked      int      // sends acknowledged
	Unacked    int      // send attempts with no acknowledgement (cut off by a kill, or made while the daemon was down)
	Redelivers int      // messages handed to a reader more than once
	Replays    int      // kills after which the write-ahead log held acknowledged writes to replay
	Missing    []string // acknowledged sends never handed over
	Problems   []string // order, duplicates, corruption, refused sends, bad database
}

// OK reports whether the run kept every promise.
func (r Report) OK() bool { return len(r.Missing) == 0 && len(r.Problems) == 0 }

func (r Report) String() string {
	return fmt.Sprintf("seed %d: %d kills (%d with writes to replay from the log), %d sends acknowledged, %d attempts not acknowledged, %d redeliveries, %d missing, %d problems",
		r.Seed, r.Kills, r.Replays, r.Acked, r.Unacked, r.Redelivers, len(r.Missing), len(r.Problems))
}

func (o *Options) defaults() {
	if o.Kills <= 0 {
		o.Kills = 3
	}
	if o.Senders <= 0 {
		o.Senders = 4
	}
	if o.Readers <= 0 {
		o.Readers = 2
	}
	if o.MinAcks <= 0 {
		o.MinAcks = 20
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 300 * time.Millisecond
	}
	if o.Seed == 0 {
		o.Seed = rand.Uint64()
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
}

// Run kills and restarts the daemon under load as o says, then drains the
// mail and checks it. An error means the harness itself could not go on
// (the daemon would not start, say); broken promises are in the Report.
func Run(ctx context.Context, o Options) (Report, error) {
	o.defaults()
	rep := Report{Seed: o.Seed}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed>>1|1))
	secret := make([]byte, 32)
	crand.Read(secret)
	l := layout{bin: o.Binary, dataDir: filepath.Join(o.Dir, "data"), socket: o.Socket,
		logFile: filepath.Join(o.Dir, "ipcd.log"), secret: hex.EncodeToString(secret)}

	d, err := l.start(ctx)
	if err != nil {
		return rep, err
	}
	lg := newLedger()
	ld := startLoad(l, lg, o.Senders, o.Readers)
	defer ld.stop()
	began := time.Now()
	for rep.Kills < o.Kills || (o.Duration > 0 && time.Since(began) < o.Duration) {
		// Let the load get going in this life, then kill at a random moment.
		base := lg.acks()
		for lg.acks() < base+o.MinAcks {
			select {
			case <-ctx.Done():
				d.kill()
				return rep, ctx.Err()
			case <-d.done:
				return rep, fmt.Errorf("ipcd exited on its own: %v; its log:\n%s", d.err, tail(l.logFile))
			case <-time.After(time.Millisecond):
			}
		}
		time.Sleep(time.Duration(rng.Int64N(int64(o.MaxDelay))))
		d.kill()
		rep.Kills++
		o.Logf("kill %d: %d sends acknowledged so far", rep.Kills, lg.acks())
		if n, err := checkDB(l.dbPath()); err != nil {
			lg.mu.Lock()
			lg.problem("after kill %d: %v", rep.Kills, err)
			lg.mu.Unlock()
		} else if n > 0 {
			rep.Replays++
		}
		if d, err = l.start(ctx); err != nil {
			return rep, fmt.Errorf("restart after kill %d: %w", rep.Kills, err)
		}
	}
	ld.drain(30 * time.Second)
	stopErr := d.stop()
	if n, err := checkDB(l.dbPath()); err != nil {
		lg.problem("after the last stop: %v", err)
	} else if n > 0 {
		lg.problem("after a clean stop the log still held %d records to replay", n)
	}
	if stopErr != nil {
		lg.problem("%v", stopErr)
	}
	lg.mu.Lock()
	rep.Acked, rep.Unacked, rep.Redelivers, rep.Problems = lg.ackedN, lg.failed, lg.dups, lg.problems
	lg.mu.Unlock()
	rep.Missing = lg.missing()
	return rep, nil
}
