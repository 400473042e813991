package ipcdcli

import (
	"encoding/json"
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
