package ipcdcli

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"

	"github.com/ipcd/ipcd/internal/bench"
	"github.com/ipcd/ipcd/internal/cli"
)

// BenchOptions are the flags of ipcd bench.
type BenchOptions struct {
	bench.Options
	UseRunning bool
	JSON       bool
	NoChild    bool
	CPUProfile string
}

// NewCmdBench builds ipcd bench.
func NewCmdBench(env cli.Env, loc *cli.LocationFlags) *cobra.Command {
	o := &BenchOptions{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure throughput, latency, delivery, check time and memory over the real socket",
		Long: `Measure a daemon over its real Unix socket: acknowledged sends per second with many
concurrent senders, one sender's send latency, how soon a reader blocked in wait has a
message after the send is acknowledged, how long checking queued mail takes, the
daemon's resident memory, and how soon a fresh ipc-mcp answers tools/list.

By default the bench starts its own daemon in this process on a temp data dir (under
--dir; fsync before every acknowledgement as always, send rate limit off) and removes
it afterwards. --use-running drives the daemon at --socket (or the default location)
instead: its limits apply, among them the send rate per identity (default 100/s,
bursts of 200), so throughput is capped by them; the bench registers names
bench-XXXXXX-* there and acknowledges their mail when done.

--prefill N stores N messages (straight into the store, without fsync) and measures
throughput again, in turns with an empty daemon, to compare a full store with an empty
one. Last, the bench runs "ipcd run" as a separate process on the same data dir, as
ipcd is used, and drives it with the throughput load again: its throughput, its own
resident memory without the load driver's, and the CPU time each process spends per
send (--no-daemon-process skips it). Throughput runs report CPU time per send and the
most sends/s the machine's CPUs could do at that cost. docs/performance.md describes
the method and the figures of a reference run.`,
		Example: `  ipcd bench
  ipcd bench --json > bench.json
  ipcd bench --prefill 1000000 --dir /var/tmp
  ipcd bench --use-running --messages 2000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.UseRunning {
				l, err := loc.Resolve(env.Getenv)
				if err != nil {
					return err
				}
				// Tokens stay in memory: the user's saved sessions are left alone.
				co := l.ClientOptions(env.Getenv)
				o.Running, o.Socket, o.Secret = true, l.Socket, co.Secret
			}
			if !o.UseRunning {
				// This process, its daemon and the load driver, collects
				// as "ipcd run" does.
				tuneGC(env.Getenv)
			}
			if !o.UseRunning && !o.NoChild {
				o.DaemonExe = env.Executable
			}
			if !o.NoMCP && o.MCP == "" {
				o.MCP = bench.FindMCP(env.Executable)
			}
			if !o.JSON {
				o.Log = env.Stderr
			}
			if o.CPUProfile != "" {
				f, err := os.Create(o.CPUProfile)
				if err != nil {
					return fmt.Errorf("create CPU profile: %w", err)
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return fmt.Errorf("start CPU profile: %w", err)
				}
				defer pprof.StopCPUProfile()
			}
			rep, err := bench.Run(cmd.Context(), o.Options)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if o.JSON {
				return cli.PrintJSON(out, rep)
			}
			return rep.WriteText(out)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Senders, "senders", 16, "clients sending at once")
	f.IntVar(&o.Messages, "messages", 50000, "messages sent in all for the throughput figure")
	f.IntVar(&o.Size, "size", 100, "content size of each message in bytes")
	f.IntVar(&o.LatencySends, "latency-sends", 2000, "sends one sender times alone")
	f.IntVar(&o.Deliveries, "deliveries", 500, "sends to a waiting reader that are timed")
	f.IntVar(&o.Check, "check", 1000, "queued messages a reader checks")
	f.IntVar(&o.CheckRounds, "check-rounds", 20, "how many times the check is timed")
	f.IntVar(&o.Prefill, "prefill", 0, "store this many messages first and measure throughput again (e.g. 1000000; takes a while)")
	f.StringVar(&o.Dir, "dir", "", "where the temp data dir is made (default the OS temp dir; a tmpfs makes fsync free)")
	f.BoolVar(&o.UseRunning, "use-running", false, "drive the daemon at --socket instead of starting one (its rate limits apply)")
	f.StringVar(&o.MCP, "mcp", "", "the ipc-mcp binary to time (default: beside ipcd, else on PATH)")
	f.BoolVar(&o.NoMCP, "no-mcp", false, "skip timing ipc-mcp")
	f.IntVar(&o.MCPRuns, "mcp-runs", 20, "how many times ipc-mcp is started and timed")
	f.BoolVar(&o.NoChild, "no-daemon-process", false, "skip the run against a separate ipcd run process (its throughput, memory and CPU time)")
	f.BoolVar(&o.JSON, "json", false, "print every figure as JSON")
	f.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the run (in-process daemon and driver) to this file")
	return cmd
}
