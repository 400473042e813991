package ipcdcli

import (
	"runtime/debug"
	"testing"
)

// A daemon's process collects at daemonGCPercent, unless $GOGC is set.
func TestTuneGC(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	tuneGC(func(string) string { return "50" })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC=50 the target became %d; the runtime's own reading of GOGC must stand", got)
	}
	tuneGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != daemonGCPercent {
		t.Errorf("without GOGC the target is %d, want %d", got, daemonGCPercent)
	}
}
