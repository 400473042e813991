package ipcdcli

import "runtime/debug"

// daemonGCPercent is the garbage collector's target for a daemon: the heap
// may grow to three times what is live before a collection, instead of
// twice (Go's default of 100). Under the bench's load of 16 senders it
// took about 10 us of the daemon's CPU off each send (96 -> 85 us) and
// raised sends/s by 5 - 10 %, for about 4 MiB more resident memory at the
// peak; an idle daemon's heap does not grow. See docs/performance.md.
const daemonGCPercent = 200

// tuneGC sets the collector's target of a daemon's process ("ipcd run", the
// bench's in-process daemon) unless $GOGC chooses one.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(daemonGCPercent)
	}
}
