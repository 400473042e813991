package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/ipcd/ipcd/internal/auth"
	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/daemon"
)

func TestMain(m *testing.M) {
	switch os.Getenv("IPCD_BENCH_FAKE_MCP") {
	case "serve":
		fakeMCP()
		return
	case "exit":
		return // a program that is no MCP server
	}
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"))
}

// fakeMCP is a minimal MCP server on stdio: enough for tools/list.
func fakeMCP() {
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var req struct {
			ID     *int   `json:"id"`
			Method string `json:"method"`
		}
		if json.Unmarshal(in.Bytes(), &req) != nil || req.ID == nil {
			continue
		}
		var result any = map[string]any{}
		switch req.Method {
		case "initialize":
			result = map[string]any{"protocolVersion": "2025-06-18", "capabilities": map[string]any{"tools": map[string]any{}},
				"serverInfo": map[string]any{"name": "fake", "version": "0"}}
		case "tools/list":
			result = map[string]any{"tools": []any{map[string]any{"name": "send"}, map[string]any{"name": "check"}}}
		}
		raw, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": *req.ID, "result": result})
		fmt.Printf("%s\n", raw)
	}
}

func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "ipb-t-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// tiny is a run small enough for CI that still exercises every part.
func tiny(dir string) Options {
	return Options{
		Senders: 3, Messages: 30, Size: 64, LatencySends: 5, Deliveries: 3,
		Check: 12, CheckRounds: 2, Dir: dir, NoMCP: true, MCPRuns: 1,
	}
}

func TestRunInProcess(t *testing.T) {
	o := tiny(shortDir(t))
	o.Prefill = 200
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	th := rep.Throughput
	if th.Messages != 30 || th.Senders != 3 || th.PerSecond <= 0 || th.Latency.N != 30 || th.SendsPerCommit < 1 {
		t.Errorf("throughput = %+v", th)
	}
	if c := th.CPU; c == nil || c.PerSendUS <= 0 || c.DaemonUS != 0 || c.CeilingPerSecond <= 0 || !strings.Contains(c.Covers, "in-process daemon") {
		t.Errorf("CPU = %+v", th.CPU)
	}
	if rep.SendLatency.N != 5 || rep.SendLatency.P50 <= 0 {
		t.Errorf("send latency = %+v", rep.SendLatency)
	}
	if rep.Delivery.AckToWake.N != 3 || rep.Delivery.SendToWake.N != 3 {
		t.Errorf("delivery = %+v", rep.Delivery)
	}
	if rep.Check.Queued != 12 || rep.Check.Fetch.N != 2 || rep.Check.Drain.P50 < rep.Check.Fetch.P50 {
		t.Errorf("check = %+v", rep.Check)
	}
	p := rep.Prefilled
	if p == nil || p.Stored != 200 || p.Ratio <= 0 || p.Throughput.Messages != 28 || p.Empty.Messages != 28 || p.DBBytes == 0 {
		t.Fatalf("prefilled = %+v", p)
	}
	if rep.Memory == nil || rep.Memory.RSSBytes <= 0 {
		t.Errorf("memory = %+v", rep.Memory)
	}
	if runtime.GOOS == "linux" && rep.Machine.Fdatasync.N != 200 {
		t.Errorf("fdatasync probe = %+v", rep.Machine.Fdatasync)
	}
	if rep.MCP.Skipped == "" || len(rep.Targets) != 8 {
		t.Errorf("mcp = %+v, %d targets", rep.MCP, len(rep.Targets))
	}
	entries, _ := os.ReadDir(o.Dir)
	if len(entries) != 0 {
		t.Errorf("the bench left %d entries in its dir", len(entries))
	}
	var text strings.Builder
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"send throughput", "single sender", "waiting reader", "check 12 queued", "CPU time per send", "throughput with 200 stored", "TARGET"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	raw, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"per_second"`, `"p99_ms"`, `"ack_to_wake"`, `"rss_bytes"`, `"ratio"`, `"per_send_us"`, `"targets"`} {
		if !strings.Contains(string(raw), key) {
			t.Errorf("JSON report lacks %s", key)
		}
	}
}

// A running daemon keeps no unread bench mail and no bench sessions.
func TestRunRunningLeavesNothingUnread(t *testing.T) {
	dir := shortDir(t)
	loc, err := StartLocal(filepath.Join(dir, "data"), filepath.Join(dir, "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer loc.Stop()
	o := tiny(dir)
	o.Running, o.Socket, o.Secret, o.Prefill = true, loc.Socket, loc.Secret, 100
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Daemon != "running" || rep.Prefilled != nil || rep.Memory == nil || rep.Throughput.Messages != 30 {
		t.Errorf("report = %+v", rep)
	}
	admin := client.New(client.Options{Socket: loc.Socket, Secret: loc.Secret})
	defer admin.Close()
	st, err := admin.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Identities) == 0 {
		t.Fatal("no identities listed")
	}
	for _, id := range st.Identities {
		if id.Unread != 0 {
			t.Errorf("%s has %d unread after the bench", id.Name, id.Unread)
		}
	}
}

func TestSummarize(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		out := make([]time.Duration, len(vs))
		for i, v := range vs {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i
	}
	tests := []struct {
		name string
		in   []time.Duration
		want Percentiles
	}{
		{"empty", nil, Percentiles{}},
		{"one", ms(7), Percentiles{N: 1, P50: 7, P90: 7, P99: 7, Max: 7}},
		{"unsorted hundred", ms(hundred...), Percentiles{N: 100, P50: 50, P90: 90, P99: 99, Max: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, summarize(tt.in)); diff != "" {
				t.Errorf("summarize (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMeasureMCP(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got := measureMCP(ctx, Options{MCP: self, MCPRuns: 2}, append(os.Environ(), "IPCD_BENCH_FAKE_MCP=serve"))
	if got.Skipped != "" || got.Tools != 2 || got.StartToToolsList.N != 2 || got.StartToToolsList.P50 < got.ToolsList.P50 {
		t.Errorf("fake MCP server: %+v", got)
	}
	if got := measureMCP(ctx, Options{NoMCP: true}, nil); !strings.Contains(got.Skipped, "--no-mcp") {
		t.Errorf("--no-mcp: %+v", got)
	}
	if got := measureMCP(ctx, Options{}, nil); !strings.Contains(got.Skipped, "not found") {
		t.Errorf("no binary: %+v", got)
	}
	// A program that is not an MCP server is skipped with a reason.
	if got := measureMCP(ctx, Options{MCP: self, MCPRuns: 1}, append(os.Environ(), "IPCD_BENCH_FAKE_MCP=exit")); !strings.Contains(got.Skipped, "did not answer") {
		t.Errorf("not an MCP server: %+v", got)
	}
}

// Against a daemon that keeps its send rate limit, rate-limited sends are
// retried as the daemon says and counted, and their waits are not taken
// for the daemon's latency.
func TestRateLimitedSendsAreRetried(t *testing.T) {
	dir := shortDir(t)
	secret, err := auth.LoadSecret(auth.SecretOptions{Default: filepath.Join(dir, "secret"), Create: true})
	if err != nil {
		t.Fatal(err)
	}
	limits := daemon.DefaultLimits()
	limits.SendRate, limits.SendBurst = 100, 2
	d, err := daemon.New(daemon.Config{DataDir: filepath.Join(dir, "data"), Secret: &secret, Limits: limits})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := daemon.ListenUnix(filepath.Join(dir, "s"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- d.Serve(ctx, ln) }()
	defer func() {
		cancel()
		<-served
		d.Close()
	}()
	dr := newDriver(filepath.Join(dir, "s"), func() ([]byte, error) { return secret.Bytes(), nil }, true)
	defer dr.close(context.Background(), true)
	th, err := dr.throughput(context.Background(), 2, 20, 10)
	if err != nil {
		t.Fatal(err)
	}
	if th.RateLimited == 0 || th.Latency.N != 20 {
		t.Errorf("throughput = %+v: want retried sends and 20 latencies", th)
	}
}
