package store

import (
	"fmt"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Concurrent writers share commits, every one of them is answered only
// after its commit, and each message lands in its own inbox in order.
func TestGroupCommitSharesCommits(t *testing.T) {
	s, _, path := openTest(t, Options{})
	const writers, each = 16, 40
	for i := range writers {
		mustRegister(t, s, fmt.Sprintf("s%02d", i), fmt.Sprintf("r%02d", i))
	}
	before := s.Stats()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Go(func() {
			for j := range each {
				_, err := s.Send(SendParams{From: fmt.Sprintf("s%02d", i), To: fmt.Sprintf("r%02d", i), Content: fmt.Sprint(j)})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	after := s.Stats()
	writes, commits := after.Writes-before.Writes, after.Commits-before.Commits
	if writes != writers*each {
		t.Errorf("%d writes counted, want %d", writes, writers*each)
	}
	if commits == 0 || commits >= writes {
		t.Errorf("%d writes took %d commits: none shared", writes, commits)
	}
	for i := range writers {
		b, err := s.Fetch(fmt.Sprintf("r%02d", i), 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Messages) != each {
			t.Fatalf("r%02d has %d messages, want %d", i, len(b.Messages), each)
		}
		for j, m := range b.Messages {
			if m.Content != fmt.Sprint(j) {
				t.Fatalf("r%02d message %d is %q: out of order", i, j, m.Content)
			}
		}
	}
	// What was acknowledged is in the file: a second handle sees it all.
	s.Close()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		if n := tx.Bucket(bIndex).Stats().KeyN; n != writers*each {
			return fmt.Errorf("index holds %d messages, want %d", n, writers*each)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

// A lone writer after a burst is not held back for writers that do not
// come: the wait for stragglers is bounded by what a commit costs.
func TestLingerIsBounded(t *testing.T) {
	for _, commit := range []time.Duration{0, 10 * time.Microsecond, time.Millisecond, time.Second} {
		got := lingerFor(commit)
		if got < 100*time.Microsecond || got > 5*time.Millisecond {
			t.Errorf("lingerFor(%v) = %v, outside [100µs, 5ms]", commit, got)
		}
	}
	s, _, _ := openTest(t, Options{})
	mustRegister(t, s, "a", "b")
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() { mustSend(t, s, "a", "b", "burst") })
	}
	wg.Wait()
	done := make(chan struct{})
	go func() {
		mustSend(t, s, "a", "b", "alone")
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second): // generous: a commit plus at most 5ms of waiting
		t.Fatal("a lone send after a burst did not finish")
	}
}

// The decode cache answers by exact bytes, so a changed record is never
// served stale.
func TestRecordCacheFollowsChanges(t *testing.T) {
	s, clk, _ := openTest(t, Options{})
	mustRegister(t, s, "a", "b")
	mustSend(t, s, "a", "b", "one")
	clk.Advance(2 * time.Hour)
	if _, err := s.Rename(RenameParams{Name: "b", NewName: "c", Cooldown: time.Hour, Forward: 2 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	r := mustSend(t, s, "a", "b", "two") // forwards to c
	if r.Message.To != "c" || r.Message.SentTo != "b" {
		t.Errorf("send to the old name went to %q (sent_to %q), want c via b", r.Message.To, r.Message.SentTo)
	}
}
