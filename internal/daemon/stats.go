package daemon

import "github.com/ipcd/ipcd/internal/store"

// StoreStats returns the store's group-commit counters, so a benchmark
// can say how many sends shared each fsync.
func (d *Daemon) StoreStats() store.Stats { return d.store.Stats() }
