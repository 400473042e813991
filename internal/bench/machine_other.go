//go:build !linux

package bench

import "os"

func filesystem(string) string { return "" }

func cpuModel() string { return "" }

func loadAverage() string { return "" }

func datasync(f *os.File) error { return f.Sync() }
