package store

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ipcd/ipcd/internal/clock"
)

// Benchmarks of the store alone, durable (fsync on every commit) unless
// the name says NoSync. Run: go test -run '^$' -bench . ./internal/store

var benchContent = strings.Repeat("x", 100)

func openBench(b *testing.B, noSync bool) *Store {
	b.Helper()
	s, err := Open(filepath.Join(b.TempDir(), "ipc.db"), Options{
		Clock: clock.Real{}, NoSync: noSync, MaxInbox: 1 << 30,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func registerBench(b *testing.B, s *Store, names ...string) {
	b.Helper()
	for _, n := range names {
		if _, err := s.Register(n); err != nil {
			b.Fatal(err)
		}
	}
}

func benchNames(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%02d", prefix, i)
	}
	return out
}

// BenchmarkSend is one sender: every send waits for its own fsync.
func BenchmarkSend(b *testing.B) {
	for _, noSync := range []bool{false, true} {
		b.Run(fmt.Sprintf("nosync=%v", noSync), func(b *testing.B) {
			s := openBench(b, noSync)
			registerBench(b, s, "from", "to")
			b.SetBytes(int64(len(benchContent)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Send(SendParams{From: "from", To: "to", Content: benchContent}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSendParallel is 16 senders to 16 recipients at once: group
// commit shares each fsync among the sends waiting at that moment.
func BenchmarkSendParallel(b *testing.B) {
	s := openBench(b, false)
	senders, recipients := benchNames("s", 16), benchNames("r", 16)
	registerBench(b, s, senders...)
	registerBench(b, s, recipients...)
	var next atomic.Int64
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0))) // about 16 goroutines
	b.SetBytes(int64(len(benchContent)))
	b.ReportAllocs()
	before := s.Stats()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(1)-1) % len(senders)
		for pb.Next() {
			if _, err := s.Send(SendParams{From: senders[i], To: recipients[i], Content: benchContent}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportBatching(b, before, s.Stats())
}

// reportBatching reports how many writes shared each commit (each fsync).
func reportBatching(b *testing.B, before, after Stats) {
	if c := after.Commits - before.Commits; c > 0 {
		b.ReportMetric(float64(after.Writes-before.Writes)/float64(c), "writes/commit")
		b.ReportMetric(float64(after.CommitTime-before.CommitTime)/float64(c)/1e3, "µs/commit")
	}
}

// BenchmarkFetchAck reads and acknowledges 100 messages at a time.
func BenchmarkFetchAck(b *testing.B) {
	s := openBench(b, false)
	registerBench(b, s, "from", "to")
	const batch = 100
	fill := func() {
		done := make(chan error, batch)
		for range batch {
			go func() {
				_, err := s.Send(SendParams{From: "from", To: "to", Content: benchContent})
				done <- err
			}()
		}
		for range batch {
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		fill()
		b.StartTimer()
		got, err := s.Fetch("to", 0, batch)
		if err != nil || len(got.Messages) != batch {
			b.Fatalf("fetch: %d messages, %v", len(got.Messages), err)
		}
		if _, _, err := s.Ack("to", got.Through); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFetch1000 reads 1,000 queued messages without acknowledging.
func BenchmarkFetch1000(b *testing.B) {
	s := openBench(b, true)
	registerBench(b, s, "from", "to")
	for range 1000 {
		if _, err := s.Send(SendParams{From: "from", To: "to", Content: benchContent}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		got, err := s.Fetch("to", 0, 1000)
		if err != nil || len(got.Messages) != 1000 {
			b.Fatalf("fetch: %d messages, %v", len(got.Messages), err)
		}
	}
}

// BenchmarkBroadcast sends one copy to each of 16 recipients per op.
func BenchmarkBroadcast(b *testing.B) {
	s := openBench(b, false)
	registerBench(b, s, "from")
	registerBench(b, s, benchNames("r", 16)...)
	b.ReportAllocs()
	for b.Loop() {
		sent, skipped, err := s.Broadcast(BroadcastParams{From: "from", Content: benchContent})
		if err != nil || len(sent) != 16 || len(skipped) != 0 {
			b.Fatalf("broadcast: %d sent, %d skipped, %v", len(sent), len(skipped), err)
		}
	}
}
