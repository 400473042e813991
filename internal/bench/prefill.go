package bench

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"github.com/ipcd/ipcd/internal/store"
)

// Prefill puts n messages of size bytes into the database at path,
// spread over 100 inboxes, straight through the store and without fsync
// (it is set-up, not measured); the file is synced once at the end. The
// daemon must not be running on it.
func Prefill(path string, n, size int, progress func(done int)) error {
	s, err := store.Open(path, store.Options{NoSync: true, MaxInbox: 1 << 30, MaxBatch: 4096})
	if err != nil {
		return err
	}
	const senders, inboxes = 64, 100
	for i := range senders {
		if _, err := s.Register(fmt.Sprintf("fill-s%02d", i)); err != nil {
			s.Close()
			return err
		}
	}
	for i := range inboxes {
		if _, err := s.Register(fmt.Sprintf("fill-r%02d", i)); err != nil {
			s.Close()
			return err
		}
	}
	body := content(size)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for i := range senders {
		from := fmt.Sprintf("fill-s%02d", i)
		wg.Go(func() {
			for {
				k := int(next.Add(1))
				if k > n {
					return
				}
				_, err := s.Send(store.SendParams{From: from, To: fmt.Sprintf("fill-r%02d", k%inboxes), Content: body})
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				if progress != nil && k%100000 == 0 {
					progress(k)
				}
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil && firstErr == nil {
		firstErr = err
	}
	if firstErr != nil {
		return fmt.Errorf("prefill: %w", firstErr)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
