package ipcdcli

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/ipcd/ipcd/internal/bench"
)

// tinyBench is a bench small enough for CI that still runs every part.
var tinyBench = []string{"bench", "--senders", "2", "--messages", "20", "--size", "50", "--latency-sends", "3",
	"--deliveries", "2", "--check", "5", "--check-rounds", "1", "--mcp-runs", "1", "--no-daemon-process"}

func TestBenchJSON(t *testing.T) {
	w := newWorld(t)
	out, errOut, code := w.run(append(tinyBench, "--json", "--dir", w.dir)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep bench.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if rep.Daemon != "in-process" || rep.Throughput.Messages != 20 || rep.Throughput.PerSecond <= 0 ||
		rep.SendLatency.N != 3 || rep.Check.Queued != 5 || len(rep.Targets) != 8 {
		t.Errorf("report = %+v", rep)
	}
	// The ipc-mcp beside this ipcd is a stand-in that speaks no MCP: the
	// part is skipped with the reason, the rest still reported.
	if !strings.Contains(rep.MCP.Skipped, "did not answer MCP") {
		t.Errorf("mcp = %+v", rep.MCP)
	}
	if errOut != "" {
		t.Errorf("--json wrote progress to stderr: %s", errOut)
	}
}

func TestBenchText(t *testing.T) {
	w := newWorld(t)
	out, errOut, code := w.run(append(tinyBench, "--no-mcp", "--dir", w.dir)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"send throughput", "acknowledged sends/s", "TARGET", "skipped: not asked for (--no-mcp)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "throughput: 2 senders") {
		t.Errorf("no progress on stderr: %q", errOut)
	}
}

// The bench runs "ipcd run" as a process of its own (here this test
// binary, which turns into ipcd in the child), drives it, and reports its
// throughput, memory, and the CPU time of each process.
func TestBenchDaemonProcess(t *testing.T) {
	w := newWorld(t)
	w.ipcdIsThisBinary()
	args := append([]string{}, tinyBench[:len(tinyBench)-1]...) // without --no-daemon-process
	args = append(args, "--messages", "600", "--no-mcp", "--json", "--dir", w.dir)
	out, errOut, code := w.run(args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep bench.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	for _, n := range rep.Notes {
		if strings.Contains(n, "not measured") {
			t.Fatalf("note: %s", n)
		}
	}
	dp := rep.DaemonProcess
	if dp == nil || dp.Messages != 600 || dp.PerSecond <= 0 || dp.Latency.N != 600 {
		t.Fatalf("daemon process throughput = %+v", dp)
	}
	if rep.DaemonMemory == nil || rep.DaemonMemory.RSSBytes <= 0 {
		t.Errorf("daemon memory = %+v", rep.DaemonMemory)
	}
	if in := rep.Throughput.CPU; in == nil || in.PerSendUS <= 0 || in.DaemonUS != 0 || in.CeilingPerSecond <= 0 {
		t.Errorf("in-process CPU = %+v", in)
	}
	if runtime.GOOS != "linux" {
		return // only Linux tells another process's CPU time
	}
	c := dp.CPU
	t.Logf("daemon process: %.0f sends/s, CPU %+v", dp.PerSecond, c)
	if c == nil || c.DaemonUS <= 0 || c.DriverUS <= 0 || c.PerSendUS != c.DaemonUS+c.DriverUS ||
		!strings.Contains(c.Covers, "daemon process") {
		t.Fatalf("daemon process CPU = %+v", c)
	}
	if want := float64(runtime.NumCPU()) * 1e6 / c.PerSendUS; c.CeilingPerSecond != want {
		t.Errorf("ceiling %.0f, want %.0f", c.CeilingPerSecond, want)
	}
}
