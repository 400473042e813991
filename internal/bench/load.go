package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// Throughput is many senders sending at once, each waiting for its
// acknowledgement (the message on disk) before sending the next.
type Throughput struct {
	Senders  int     `json:"senders"`
	Messages int     `json:"messages"`
	Bytes    int     `json:"bytes_each"`
	Seconds  float64 `json:"seconds"`
	// PerSecond is acknowledged sends per second.
	PerSecond float64 `json:"per_second"`
	// Latency of each send under this load.
	Latency Percentiles `json:"latency"`
	// SendsPerCommit is how many writes shared each fsync (group commit);
	// known only for an in-process daemon, like the two means below.
	SendsPerCommit float64 `json:"sends_per_commit,omitempty"`
	// CommitMS is the mean time of one commit: an append to the
	// write-ahead log and its fsync (checkpoints spread over them).
	CommitMS float64 `json:"commit_ms,omitempty"`
	// LingerMS is the mean time a commit waited for its stragglers.
	LingerMS float64 `json:"linger_ms,omitempty"`
	// RateLimited counts sends the daemon refused for the rate limit and
	// the bench retried (a running daemon keeps its limits).
	RateLimited int64 `json:"rate_limited,omitempty"`
	// CPU is what the sends cost in CPU time; known when the bench
	// started the daemon (in this process or as its own).
	CPU *CPU `json:"cpu,omitempty"`
}

// throughput has senders sN send n messages in all, sender i to rN.
func (dr *driver) throughput(ctx context.Context, senders, n, size int) (Throughput, error) {
	t, _, err := dr.throughputRaw(ctx, senders, n, size)
	return t, err
}

// throughputRaw is throughput with every send's latency.
func (dr *driver) throughputRaw(ctx context.Context, senders, n, size int) (Throughput, []time.Duration, error) {
	body := content(size)
	cs := make([]*client.Client, senders)
	for i := range senders {
		var err error
		if cs[i], err = dr.as(ctx, fmt.Sprintf("s%02d", i)); err != nil {
			return Throughput{}, nil, err
		}
		if _, err := dr.as(ctx, fmt.Sprintf("r%02d", i)); err != nil {
			return Throughput{}, nil, err
		}
		// Warm up: a connection is open and the session known.
		if _, _, err := dr.send(ctx, cs[i], dr.name(fmt.Sprintf("r%02d", i)), body); err != nil {
			return Throughput{}, nil, err
		}
	}
	limitedBefore := dr.limited.Load()
	lat := make([][]time.Duration, senders)
	errs := make([]error, senders)
	var wg sync.WaitGroup
	var cpu *cpuMeter
	if dr.meterCPU {
		cpu = startCPU(dr.daemonPID)
	}
	start := time.Now()
	for i := range senders {
		share := n / senders
		if i < n%senders {
			share++
		}
		to := dr.name(fmt.Sprintf("r%02d", i))
		lat[i] = make([]time.Duration, 0, share)
		wg.Go(func() {
			for range share {
				_, took, err := dr.send(ctx, cs[i], to, body)
				if err != nil {
					errs[i] = err
					return
				}
				lat[i] = append(lat[i], took)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	var cpuUse *CPU
	if cpu != nil {
		cpuUse = cpu.stop(n)
	}
	var all []time.Duration
	for i := range senders {
		if errs[i] != nil {
			return Throughput{}, nil, fmt.Errorf("send: %w", errs[i])
		}
		all = append(all, lat[i]...)
	}
	return Throughput{
		Senders: senders, Messages: n, Bytes: size, Seconds: elapsed.Seconds(),
		PerSecond: float64(n) / elapsed.Seconds(), Latency: summarize(all),
		RateLimited: dr.limited.Load() - limitedBefore, CPU: cpuUse,
	}, all, nil
}

// combine merges runs of the same shape into one figure.
func combine(ts []Throughput, lat []time.Duration) Throughput {
	if len(ts) == 0 {
		return Throughput{}
	}
	out := Throughput{Senders: ts[0].Senders, Bytes: ts[0].Bytes}
	for _, t := range ts {
		out.Messages += t.Messages
		out.Seconds += t.Seconds
		out.RateLimited += t.RateLimited
	}
	if out.Seconds > 0 {
		out.PerSecond = float64(out.Messages) / out.Seconds
	}
	out.Latency = summarize(lat)
	return out
}

// sendLatency times n sends of one sender with nothing else going on.
func (dr *driver) sendLatency(ctx context.Context, n, size int) (Percentiles, error) {
	body := content(size)
	c, err := dr.as(ctx, "lat")
	if err != nil {
		return Percentiles{}, err
	}
	to := dr.name("lat-r")
	if _, err := dr.as(ctx, "lat-r"); err != nil {
		return Percentiles{}, err
	}
	for range 20 { // warm up
		if _, _, err := dr.send(ctx, c, to, body); err != nil {
			return Percentiles{}, err
		}
	}
	ds := make([]time.Duration, 0, n)
	for range n {
		_, took, err := dr.send(ctx, c, to, body)
		if err != nil {
			return Percentiles{}, err
		}
		ds = append(ds, took)
	}
	return summarize(ds), nil
}

// Delivery is how soon a reader blocked in wait has a message.
type Delivery struct {
	// AckToWake runs from the sender holding its acknowledgement to the
	// reader's wait returning with the message. Negative samples (the
	// reader had it before the sender had its answer) count as zero.
	AckToWake Percentiles `json:"ack_to_wake"`
	// SendToWake runs from the start of the send to the reader having it:
	// the fsync included.
	SendToWake Percentiles `json:"send_to_wake"`
}

// settle is how long the sender lets the reader's wait reach the daemon
// before sending, so the reader is blocked rather than just arriving.
const settle = 2 * time.Millisecond

// delivery times n sends to a reader blocked in wait, one at a time.
func (dr *driver) delivery(ctx context.Context, n, size int) (Delivery, error) {
	body := content(size)
	sender, err := dr.as(ctx, "dsend")
	if err != nil {
		return Delivery{}, err
	}
	reader, err := dr.as(ctx, "dwait")
	if err != nil {
		return Delivery{}, err
	}
	to := dr.name("dwait")
	type woke struct {
		at   time.Time
		resp protocol.CheckResponse
		err  error
	}
	var after uint64
	ackToWake := make([]time.Duration, 0, n)
	sendToWake := make([]time.Duration, 0, n)
	for range n {
		started, got := make(chan struct{}), make(chan woke, 1)
		wctx, cancel := context.WithCancel(ctx)
		go func() {
			close(started)
			r, err := reader.Wait(wctx, protocol.WaitRequest{
				CheckRequest: protocol.CheckRequest{Ack: after}, After: after, TimeoutMS: 30000,
			})
			got <- woke{at: time.Now(), resp: r, err: err}
		}()
		<-started
		time.Sleep(settle)
		sent, took, err := dr.send(ctx, sender, to, body)
		tAck := time.Now()
		t0 := tAck.Add(-took)
		if err != nil {
			cancel()
			<-got
			return Delivery{}, err
		}
		w := <-got
		cancel()
		switch {
		case w.err != nil:
			return Delivery{}, fmt.Errorf("wait: %w", w.err)
		case len(w.resp.Messages) == 0 || w.resp.Messages[len(w.resp.Messages)-1].ID != sent.ID:
			return Delivery{}, fmt.Errorf("wait returned without message %d (timed out: %v)", sent.ID, w.resp.TimedOut)
		}
		after = w.resp.Through
		ackToWake = append(ackToWake, max(w.at.Sub(tAck), 0))
		sendToWake = append(sendToWake, w.at.Sub(t0))
	}
	if _, err := reader.Ack(ctx, after); err != nil {
		return Delivery{}, err
	}
	return Delivery{AckToWake: summarize(ackToWake), SendToWake: summarize(sendToWake)}, nil
}

// Check is how long a reader takes to get k queued messages.
type Check struct {
	Queued int `json:"queued"`
	// Fetch is the check calls that return all k messages.
	Fetch Percentiles `json:"fetch"`
	// Drain adds the acknowledgement that follows (a durable write).
	Drain Percentiles `json:"drain"`
}

// check queues k messages rounds times and times reading them.
func (dr *driver) check(ctx context.Context, k, rounds, senders, size int) (Check, error) {
	body := content(size)
	reader, err := dr.as(ctx, "ck")
	if err != nil {
		return Check{}, err
	}
	to := dr.name("ck")
	cs := make([]*client.Client, senders)
	for i := range cs {
		if cs[i], err = dr.as(ctx, fmt.Sprintf("ck%02d", i)); err != nil {
			return Check{}, err
		}
	}
	fetch := make([]time.Duration, 0, rounds)
	drain := make([]time.Duration, 0, rounds)
	for range rounds {
		if err := dr.fill(ctx, cs, to, body, k); err != nil {
			return Check{}, err
		}
		t0 := time.Now()
		var through uint64
		got := 0
		for {
			r, err := reader.Check(ctx, protocol.CheckRequest{Ack: through, Limit: min(k-got, 1000)})
			if err != nil {
				return Check{}, err
			}
			got += len(r.Messages)
			through = r.Through
			if !r.More || got >= k {
				break
			}
		}
		t1 := time.Now()
		if _, err := reader.Ack(ctx, through); err != nil {
			return Check{}, err
		}
		t2 := time.Now()
		if got != k {
			return Check{}, fmt.Errorf("check returned %d of %d queued messages", got, k)
		}
		fetch = append(fetch, t1.Sub(t0))
		drain = append(drain, t2.Sub(t0))
	}
	return Check{Queued: k, Fetch: summarize(fetch), Drain: summarize(drain)}, nil
}

// fill has the clients send k messages to one name, all at once.
func (dr *driver) fill(ctx context.Context, cs []*client.Client, to, body string, k int) error {
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		share := k / len(cs)
		if i < k%len(cs) {
			share++
		}
		wg.Go(func() {
			for range share {
				if _, _, err := dr.send(ctx, c, to, body); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
