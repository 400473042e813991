package bench

import (
	"os"
	"testing"
	"time"
)

func TestStatCPU(t *testing.T) {
	// Fields 14 and 15 (utime, stime) are 250 and 50 ticks: 3 s.
	tail := " S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 4 0 100 0 0"
	for _, tc := range []struct {
		name, line string
		want       time.Duration
		ok         bool
	}{
		{"plain", "4242 (ipcd)" + tail, 3 * time.Second, true},
		{"name with spaces and parentheses", "4242 (a) (b c))" + tail, 3 * time.Second, true},
		{"name that looks like fields", "4242 (x 1 2 3 4 5 6 7 8 9 10 11 12 13)" + tail, 3 * time.Second, true},
		{"cut short", "4242 (ipcd) S 1 2 3", 0, false},
		{"no name", "4242 ipcd S", 0, false},
		{"not numbers", "4242 (ipcd) S 1 2 3 4 5 6 7 8 9 10 x y", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := statCPU([]byte(tc.line))
			if got != tc.want || ok != tc.ok {
				t.Errorf("statCPU = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// Both clocks see this process burn CPU: spin until getrusage counts 100
// ms more, and /proc/self/stat must count most of it too.
func TestCPUClocks(t *testing.T) {
	proc0, ok1 := procCPU(os.Getpid())
	self0, ok2 := selfCPU()
	if !ok1 || !ok2 {
		t.Fatalf("no CPU time: proc %v, self %v", ok1, ok2)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		self, _ := selfCPU()
		if self-self0 >= 100*time.Millisecond {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("getrusage grew by only %v in 20 s of spinning", self-self0)
		}
	}
	// /proc counts in 10 ms ticks.
	if proc1, _ := procCPU(os.Getpid()); proc1-proc0 < 80*time.Millisecond {
		t.Errorf("/proc/self/stat grew by %v while getrusage grew by 100 ms", proc1-proc0)
	}
}
