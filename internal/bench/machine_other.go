//go:build !linux

package bench

import (
	"os"
	"time"
)

func filesystem(string) string { return "" }

func cpuModel() string { return "" }

func loadAverage() string { return "" }

func datasync(f *os.File) error { return f.Sync() }

// procCPU would be another process's CPU time; only Linux is asked.
func procCPU(int) (time.Duration, bool) { return 0, false }
