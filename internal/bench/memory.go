package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// Memory is the daemon's resident memory at its peak under the bench's
// load, sampled every 50 ms.
type Memory struct {
	// Source says whose memory this is and where it was read.
	Source string `json:"source"`
	// RSSBytes is the resident set: anonymous memory plus the pages of
	// the mapped database file that were touched.
	RSSBytes  int64 `json:"rss_bytes"`
	AnonBytes int64 `json:"rss_anon_bytes,omitempty"`
	FileBytes int64 `json:"rss_file_bytes,omitempty"`
	// GoHeapBytes is the Go heap in use (in-process daemon only).
	GoHeapBytes uint64 `json:"go_heap_bytes,omitempty"`
}

// procStatus reads the resident set of pid (0: this process) from
// /proc, which only Linux has.
func procStatus(pid int) (rss, anon, file int64, err error) {
	path := "/proc/self/status"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		k, v, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok {
			continue
		}
		f := bytes.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(string(f[0]), 10, 64)
		switch string(k) {
		case "VmRSS":
			rss = n << 10
		case "RssAnon":
			anon = n << 10
		case "RssFile":
			file = n << 10
		}
	}
	if rss == 0 {
		return 0, 0, 0, fmt.Errorf("no VmRSS in %s", path)
	}
	return rss, anon, file, nil
}

// sampler keeps the peak of one process's resident memory.
type sampler struct {
	pid  int
	stop chan struct{}
	done sync.WaitGroup

	mu   sync.Mutex
	peak Memory
	err  error
}

// sampleMemory starts sampling pid (0: this process) until stop.
func sampleMemory(pid int) *sampler {
	s := &sampler{pid: pid, stop: make(chan struct{})}
	s.done.Go(func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.stop:
				s.sample()
				return
			case <-t.C:
			}
		}
	})
	return s
}

func (s *sampler) sample() {
	m := Memory{}
	rss, anon, file, err := procStatus(s.pid)
	if err == nil {
		m.RSSBytes, m.AnonBytes, m.FileBytes = rss, anon, file
	} else if s.pid == 0 {
		// No /proc (macOS, Windows): what the Go runtime holds from the OS.
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		m.RSSBytes, err = int64(ms.Sys-ms.HeapReleased), nil
	}
	if s.pid == 0 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		m.GoHeapBytes = ms.HeapInuse
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.err = err
		return
	}
	if m.RSSBytes > s.peak.RSSBytes {
		s.peak = m
	}
}

// finish stops sampling and returns the peak.
func (s *sampler) finish() (Memory, error) {
	close(s.stop)
	s.done.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.peak.RSSBytes == 0 {
		return Memory{}, s.err
	}
	return s.peak, nil
}
