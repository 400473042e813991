package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ipcd/ipcd/internal/store"
)

// Target is one goal of docs/performance.md and how this run did.
type Target struct {
	Figure   string `json:"figure"`
	Goal     string `json:"goal"`
	Measured string `json:"measured"`
	// Met is nil when the run did not measure the figure.
	Met *bool `json:"met"`
}

// groupCommit fills in what the store's counters say about a run.
func (t *Throughput) groupCommit(before, after store.Stats) {
	c := after.Commits - before.Commits
	if c == 0 {
		return
	}
	t.SendsPerCommit = float64(after.Writes-before.Writes) / float64(c)
	t.CommitMS = ms(after.CommitTime-before.CommitTime) / float64(c)
	t.LingerMS = ms(after.LingerTime-before.LingerTime) / float64(c)
}

const mib = 1 << 20

// targets compares the run with the goals of issue 5.
func targets(r Report, o Options) []Target {
	met := func(ok bool) *bool { return &ok }
	t := []Target{
		{fmt.Sprintf("acknowledged sends/s, %d senders, %d-byte messages", o.Senders, o.Size), ">= 20,000",
			fmt.Sprintf("%.0f", r.Throughput.PerSecond), met(r.Throughput.PerSecond >= 20000)},
		{"single sender send latency p50", "<= 1 ms", fmtMS(r.SendLatency.P50), met(r.SendLatency.P50 <= 1)},
		{"single sender send latency p99", "<= 5 ms", fmtMS(r.SendLatency.P99), met(r.SendLatency.P99 <= 5)},
		{"waiting reader wakes after the ack, p50", "<= 2 ms", fmtMS(r.Delivery.AckToWake.P50), met(r.Delivery.AckToWake.P50 <= 2)},
		{fmt.Sprintf("check %d queued messages, p50", r.Check.Queued), "<= 10 ms", fmtMS(r.Check.Fetch.P50), met(r.Check.Fetch.P50 <= 10)},
	}
	pre := Target{Figure: "throughput with 1,000,000 stored vs empty", Goal: ">= 80 %", Measured: "not run (--prefill 1000000)"}
	if p := r.Prefilled; p != nil {
		pre.Figure = fmt.Sprintf("throughput with %d stored vs empty", p.Stored)
		pre.Measured = fmt.Sprintf("%.0f %% (%.0f/s vs %.0f/s)", p.Ratio*100, p.Throughput.PerSecond, p.Empty.PerSecond)
		pre.Met = met(p.Ratio >= 0.8)
	}
	t = append(t, pre)
	memT := Target{Figure: "daemon resident memory under load", Goal: "<= 50 MiB", Measured: "not measured"}
	if m := peakMemory(r); m != nil {
		memT.Measured = fmt.Sprintf("%.1f MiB", float64(m.RSSBytes)/mib)
		memT.Met = met(m.RSSBytes <= 50*mib)
	}
	t = append(t, memT)
	mcpT := Target{Figure: "ipc-mcp answers tools/list after start, p50", Goal: "<= 20 ms", Measured: "skipped: " + r.MCP.Skipped}
	if r.MCP.Skipped == "" {
		mcpT.Measured = fmtMS(r.MCP.StartToToolsList.P50)
		mcpT.Met = met(r.MCP.StartToToolsList.P50 <= 20)
	}
	return append(t, mcpT)
}

// peakMemory is the daemon's own memory if a separate daemon was
// measured, else the larger of the in-process runs' peaks (an upper bound).
func peakMemory(r Report) *Memory {
	if r.DaemonMemory != nil {
		return r.DaemonMemory
	}
	m := r.Memory
	if p := r.Prefilled; p != nil && p.Memory != nil && (m == nil || p.Memory.RSSBytes > m.RSSBytes) {
		m = p.Memory
	}
	return m
}

func fmtMS(v float64) string {
	if v < 1 {
		return fmt.Sprintf("%.3f ms", v)
	}
	return fmt.Sprintf("%.2f ms", v)
}

func fmtP(p Percentiles) string {
	return fmt.Sprintf("%s / %s / %s  (max %s, n=%d)", trimMS(p.P50), trimMS(p.P90), fmtMS(p.P99), fmtMS(p.Max), p.N)
}

func trimMS(v float64) string { return strings.TrimSuffix(fmtMS(v), " ms") }

// WriteText prints the report for people.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "ipcd bench: %s daemon", r.Daemon)
	if r.DataDir != "" {
		fmt.Fprintf(&b, ", data dir %s", r.DataDir)
	}
	if m.Filesystem != "" {
		fmt.Fprintf(&b, " (%s)", m.Filesystem)
	}
	fmt.Fprintf(&b, "\nmachine: %s/%s, %d CPUs", m.OS, m.Arch, m.CPUs)
	if m.CPUModel != "" {
		fmt.Fprintf(&b, " (%s)", m.CPUModel)
	}
	fmt.Fprintf(&b, ", %s", m.GoVersion)
	if m.LoadAverage != "" {
		fmt.Fprintf(&b, ", load average %s at start", m.LoadAverage)
	}
	b.WriteString("\n")
	if m.Fdatasync.N > 0 {
		fmt.Fprintf(&b, "disk: 4 KiB write + fdatasync p50/p90/p99 %s (a logged group of sends needs one, a bbolt commit two)\n", fmtP(m.Fdatasync))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	th := r.Throughput
	fmt.Fprintf(tw, "send throughput\t%.0f acknowledged sends/s (%d senders, %d x %d bytes, %.2f s)\n",
		th.PerSecond, th.Senders, th.Messages, th.Bytes, th.Seconds)
	fmt.Fprintf(tw, "  latency under that load p50/p90/p99\t%s\n", fmtP(th.Latency))
	if th.SendsPerCommit > 0 {
		fmt.Fprintf(tw, "  group commit\t%.1f sends per fsync of the log; one append and fsync takes %.2f ms (checkpoints included), after waiting %.2f ms for stragglers\n",
			th.SendsPerCommit, th.CommitMS, th.LingerMS)
	}
	if th.RateLimited > 0 {
		fmt.Fprintf(tw, "  sends refused by the rate limit, retried\t%d\n", th.RateLimited)
	}
	if th.CPU != nil {
		fmt.Fprintf(tw, "  CPU time per send\t%s\n", fmtCPU(*th.CPU, m.CPUs))
	}
	fmt.Fprintf(tw, "single sender send latency p50/p90/p99\t%s\n", fmtP(r.SendLatency))
	fmt.Fprintf(tw, "waiting reader wakes after the ack p50/p90/p99\t%s\n", fmtP(r.Delivery.AckToWake))
	fmt.Fprintf(tw, "  from the start of the send (fsync included)\t%s\n", fmtP(r.Delivery.SendToWake))
	fmt.Fprintf(tw, "check %d queued messages p50/p90/p99\t%s\n", r.Check.Queued, fmtP(r.Check.Fetch))
	fmt.Fprintf(tw, "  with the acknowledgement that follows\t%s\n", fmtP(r.Check.Drain))
	if mem := r.Memory; mem != nil {
		fmt.Fprintf(tw, "resident memory, peak under load\t%s\n", fmtMem(*mem))
	}
	if dp := r.DaemonProcess; dp != nil {
		fmt.Fprintf(tw, "send throughput, daemon as its own process\t%.0f acknowledged sends/s (%d senders, %d x %d bytes, %.2f s)\n",
			dp.PerSecond, dp.Senders, dp.Messages, dp.Bytes, dp.Seconds)
		fmt.Fprintf(tw, "  latency under that load p50/p90/p99\t%s\n", fmtP(dp.Latency))
		if dp.CPU != nil {
			fmt.Fprintf(tw, "  CPU time per send\t%s\n", fmtCPU(*dp.CPU, m.CPUs))
		}
	}
	if mem := r.DaemonMemory; mem != nil {
		fmt.Fprintf(tw, "daemon process alone, peak under load\t%s\n", fmtMem(*mem))
	}
	if p := r.Prefilled; p != nil {
		fmt.Fprintf(tw, "throughput with %d stored\t%.0f sends/s against %.0f/s empty, in turns: %.0f %% (db %.0f MiB, filled in %.0f s)\n",
			p.Stored, p.Throughput.PerSecond, p.Empty.PerSecond, p.Ratio*100, float64(p.DBBytes)/mib, p.PrefillSeconds)
		fmt.Fprintf(tw, "  latency under that load p50/p90/p99\t%s\n", fmtP(p.Throughput.Latency))
		if p.Memory != nil {
			fmt.Fprintf(tw, "  resident memory, peak\t%s\n", fmtMem(*p.Memory))
		}
	}
	if r.MCP.Skipped != "" {
		fmt.Fprintf(tw, "ipc-mcp tools/list\tskipped: %s\n", r.MCP.Skipped)
	} else {
		fmt.Fprintf(tw, "ipc-mcp start to tools/list answer\t%s\n", fmtP(r.MCP.StartToToolsList))
		fmt.Fprintf(tw, "  tools/list round trip\t%s (%d tools)\n", fmtP(r.MCP.ToolsList), r.MCP.Tools)
	}
	tw.Flush()
	b.WriteString("\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tGOAL\tMEASURED\tMET")
	for _, t := range r.Targets {
		met := "-"
		if t.Met != nil {
			met = map[bool]string{true: "yes", false: "NO"}[*t.Met]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Figure, t.Goal, t.Measured, met)
	}
	tw.Flush()
	_, err := io.WriteString(w, b.String())
	return err
}

func fmtCPU(c CPU, cpus int) string {
	s := fmt.Sprintf("%.0f us", c.PerSendUS)
	if c.DaemonUS > 0 {
		s += fmt.Sprintf(" (daemon %.0f, driver %.0f)", c.DaemonUS, c.DriverUS)
	} else {
		s += " (daemon and driver together)"
	}
	return s + fmt.Sprintf(": %d CPUs could do at most %.0f sends/s at that cost, waiting for no disk", cpus, c.CeilingPerSecond)
}

func fmtMem(m Memory) string {
	s := fmt.Sprintf("%.1f MiB", float64(m.RSSBytes)/mib)
	if m.AnonBytes > 0 || m.FileBytes > 0 {
		s += fmt.Sprintf(" (anonymous %.1f, mapped file %.1f)", float64(m.AnonBytes)/mib, float64(m.FileBytes)/mib)
	}
	if m.GoHeapBytes > 0 {
		s += fmt.Sprintf(", Go heap %.1f MiB", float64(m.GoHeapBytes)/mib)
	}
	return s + "; " + m.Source
}
