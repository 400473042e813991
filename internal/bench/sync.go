package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// syncCost times n rounds of a 4 KiB write and a data sync in dir: the
// disk's share of every durable commit.
func syncCost(dir string, n int) (Percentiles, error) {
	f, err := os.CreateTemp(dir, "fsync-probe-")
	if err != nil {
		return Percentiles{}, fmt.Errorf("probe fsync: %w", err)
	}
	defer os.Remove(filepath.Join(dir, filepath.Base(f.Name())))
	defer f.Close()
	page := make([]byte, 4096)
	ds := make([]time.Duration, 0, n)
	for i := range n {
		if _, err := f.WriteAt(page, int64(i%64)*4096); err != nil {
			return Percentiles{}, fmt.Errorf("probe fsync: %w", err)
		}
		t := time.Now()
		if err := datasync(f); err != nil {
			return Percentiles{}, fmt.Errorf("probe fsync: %w", err)
		}
		ds = append(ds, time.Since(t))
	}
	return summarize(ds), nil
}
