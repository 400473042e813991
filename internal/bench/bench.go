// Package bench measures an ipcd daemon over its real socket: acknowledged
// send throughput with many concurrent senders, single-sender send
// latency, how soon a reader blocked in wait has a message, how long a
// reader takes to check queued mail, throughput with a large store, the
// daemon's resident memory, and how soon a fresh ipc-mcp answers
// tools/list. It drives either a daemon it starts in this process (a
// temp data dir, real fsync, no rate limit) or one already running.
// `ipcd bench` is its command line; docs/performance.md has the method.
package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/ipcd/ipcd/internal/client"
)

// Options choose what the bench does. Zero values take the defaults.
type Options struct {
	// Senders is how many clients send at once (default 16).
	Senders int
	// Messages is how many messages they send in all (default 50,000).
	Messages int
	// Size is the content size of each message in bytes (default 100).
	Size int
	// LatencySends is how many sends one sender alone times (default 2,000).
	LatencySends int
	// Deliveries is how many sends to a waiting reader are timed (default 500).
	Deliveries int
	// Check is how many queued messages a reader checks (default 1,000),
	// CheckRounds how many times (default 20).
	Check       int
	CheckRounds int
	// Prefill, if above zero, stores that many messages and measures
	// throughput again (in-process daemon only).
	Prefill int
	// Running drives the daemon at Socket, proving Secret, instead of
	// starting one. Its limits (the send rate) apply.
	Running bool
	Socket  string
	Secret  func() ([]byte, error)
	// DaemonExe, if set, is an ipcd binary: after the other parts the
	// bench runs `DaemonExe run` on the same data dir as a separate
	// process, drives it with the throughput load, and samples that
	// process's memory and CPU time.
	DaemonExe string
	// Dir is where the in-process daemon's data dir is made (default the
	// OS temp dir). fsync costs what the disk under Dir costs.
	Dir string
	// MCP is the ipc-mcp binary to time; "" skips that part (NoMCP says
	// it was asked for).
	MCP     string
	NoMCP   bool
	MCPRuns int
	// Log gets a line as each part starts; nil is quiet.
	Log io.Writer
}

func (o *Options) defaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Senders, 16)
	def(&o.Messages, 50000)
	def(&o.Size, 100)
	def(&o.LatencySends, 2000)
	def(&o.Deliveries, 500)
	def(&o.Check, 1000)
	def(&o.CheckRounds, 20)
	def(&o.MCPRuns, 20)
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Dir == "" {
		o.Dir = os.TempDir()
	}
}

// Report is every figure of one run; ipcd bench --json prints it.
type Report struct {
	Machine Machine `json:"machine"`
	// Daemon is "in-process" or "running".
	Daemon  string   `json:"daemon"`
	DataDir string   `json:"data_dir,omitempty"`
	Notes   []string `json:"notes,omitempty"`

	Throughput  Throughput  `json:"throughput"`
	SendLatency Percentiles `json:"send_latency"`
	Delivery    Delivery    `json:"delivery"`
	Check       Check       `json:"check"`
	// Memory is the in-process run's: daemon and load driver together.
	Memory *Memory `json:"memory,omitempty"`
	// DaemonMemory is a separate daemon process's alone, when measured.
	DaemonMemory *Memory `json:"daemon_memory,omitempty"`
	// DaemonProcess is the throughput load against that separate
	// process: daemon and clients in processes of their own, as ipcd is
	// used, with the CPU time of each.
	DaemonProcess *Throughput `json:"daemon_process,omitempty"`
	Prefilled     *Prefilled  `json:"prefilled,omitempty"`
	MCP           MCP         `json:"mcp"`
	Targets       []Target    `json:"targets"`
}

// Machine is where the bench ran.
type Machine struct {
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	CPUs       int    `json:"cpus"`
	CPUModel   string `json:"cpu_model,omitempty"`
	GoVersion  string `json:"go_version"`
	Filesystem string `json:"filesystem,omitempty"`
	// LoadAverage is the 1-minute load when the bench started: other
	// work on the machine slows every figure.
	LoadAverage string `json:"load_average,omitempty"`
	// Fdatasync is what one 4 KiB write and fdatasync cost in the data
	// dir: a group of sends appended to the write-ahead log needs one, a
	// bbolt commit two (data pages, then the meta page); it bounds what
	// group commit can reach.
	Fdatasync Percentiles `json:"fdatasync"`
}

// Prefilled is throughput with many messages already stored, measured in
// turns with an empty daemon under the same conditions.
type Prefilled struct {
	Stored         int     `json:"stored"`
	PrefillSeconds float64 `json:"prefill_seconds"`
	DBBytes        int64   `json:"db_bytes"`
	// Throughput is the prefilled daemon's, Empty the empty one's.
	Throughput Throughput `json:"throughput"`
	Empty      Throughput `json:"empty"`
	// Ratio is Throughput over Empty.
	Ratio  float64 `json:"ratio"`
	Memory *Memory `json:"memory,omitempty"`
}

// Run runs the bench.
func Run(ctx context.Context, o Options) (Report, error) {
	o.defaults()
	rep := Report{Machine: Machine{
		OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), CPUModel: cpuModel(),
		GoVersion: runtime.Version(), LoadAverage: loadAverage(),
	}}
	if o.Running {
		return runRunning(ctx, o, rep)
	}
	rep.Daemon = "in-process"
	dir, err := os.MkdirTemp(o.Dir, "ipcd-bench-")
	if err != nil {
		return rep, fmt.Errorf("make bench dir: %w", err)
	}
	defer os.RemoveAll(dir)
	sockDir, err := os.MkdirTemp("", "ipb")
	if err != nil {
		return rep, fmt.Errorf("make socket dir: %w", err)
	}
	defer os.RemoveAll(sockDir)
	rep.DataDir = filepath.Join(dir, "data")
	rep.Machine.Filesystem = filesystem(dir)
	if rep.Machine.Fdatasync, err = syncCost(dir, 200); err != nil {
		return rep, err
	}
	loc, err := StartLocal(rep.DataDir, filepath.Join(sockDir, "s"))
	if err != nil {
		return rep, err
	}
	defer loc.Stop()
	rep.Notes = append(rep.Notes,
		"in-process daemon: fsync before every acknowledgement, send rate limit off, inbox cap raised",
		"memory is this process's: the daemon and the load driver together (an upper bound on the daemon's)")
	dr := newDriver(loc.Socket, loc.Secret, false)
	dr.meterCPU = true
	defer func() { dr.close(context.Background(), false) }()

	mem := sampleMemory(0)
	before := loc.StoreStats()
	if err := measure(ctx, o, dr, &rep); err != nil {
		mem.finish()
		return rep, err
	}
	rep.Throughput.groupCommit(before, loc.StoreStats())
	if m, err := mem.finish(); err == nil {
		m.Source = "/proc/self/status of the bench process (daemon and load driver together)"
		if m.AnonBytes == 0 {
			m.Source = "Go runtime memory of the bench process (no /proc here)"
		}
		rep.Memory = &m
	}
	fmt.Fprintln(o.Log, "timing ipc-mcp tools/list")
	rep.MCP = measureMCP(ctx, o, mcpEnv(loc.Socket, loc.DataDir))
	if o.Prefill > 0 {
		p, err := prefilled(ctx, o, dir, loc, dr)
		if err != nil {
			return rep, err
		}
		rep.Prefilled = &p
	}
	if o.DaemonExe != "" {
		fmt.Fprintln(o.Log, "throughput and memory of a separate daemon process")
		if err := loc.Stop(); err != nil {
			return rep, err
		}
		m, th, err := childRun(ctx, o, o.DaemonExe, loc)
		if err != nil {
			rep.Notes = append(rep.Notes, "the separate daemon process was not measured: "+err.Error())
		} else {
			rep.DaemonMemory, rep.DaemonProcess = &m, &th
		}
	}
	rep.Targets = targets(rep, o)
	return rep, nil
}

// measure runs the parts every daemon gets: throughput, latency,
// delivery, check.
func measure(ctx context.Context, o Options, dr *driver, rep *Report) error {
	var err error
	fmt.Fprintf(o.Log, "throughput: %d senders, %d messages of %d bytes\n", o.Senders, o.Messages, o.Size)
	if rep.Throughput, err = dr.throughput(ctx, o.Senders, o.Messages, o.Size); err != nil {
		return fmt.Errorf("throughput: %w", err)
	}
	fmt.Fprintf(o.Log, "single-sender latency: %d sends\n", o.LatencySends)
	if rep.SendLatency, err = dr.sendLatency(ctx, o.LatencySends, o.Size); err != nil {
		return fmt.Errorf("send latency: %w", err)
	}
	fmt.Fprintf(o.Log, "delivery to a waiting reader: %d sends\n", o.Deliveries)
	if rep.Delivery, err = dr.delivery(ctx, o.Deliveries, o.Size); err != nil {
		return fmt.Errorf("delivery: %w", err)
	}
	fmt.Fprintf(o.Log, "check: %d queued messages, %d rounds\n", o.Check, o.CheckRounds)
	if rep.Check, err = dr.check(ctx, o.Check, o.CheckRounds, o.Senders, o.Size); err != nil {
		return fmt.Errorf("check: %w", err)
	}
	return nil
}

// prefillRounds is how many times the prefilled and an empty daemon take
// turns, so that a change in the machine's load hits both alike.
const prefillRounds = 4

// prefilled fills loc's store, starts a second, empty daemon beside it,
// and has them take turns under the same load.
func prefilled(ctx context.Context, o Options, dir string, loc *Local, dr *driver) (Prefilled, error) {
	p := Prefilled{Stored: o.Prefill}
	dr.close(ctx, false)
	if err := loc.Stop(); err != nil {
		return p, err
	}
	fmt.Fprintf(o.Log, "prefill: storing %d messages (no fsync; set-up only)\n", o.Prefill)
	t := time.Now()
	err := Prefill(loc.DBPath(), o.Prefill, o.Size, func(done int) { fmt.Fprintf(o.Log, "  %d stored\n", done) })
	if err != nil {
		return p, err
	}
	p.PrefillSeconds = time.Since(t).Seconds()
	if fi, err := os.Stat(loc.DBPath()); err == nil {
		p.DBBytes = fi.Size()
	}
	if err := loc.start(); err != nil {
		return p, err
	}
	empty, err := StartLocal(filepath.Join(dir, "empty"), loc.Socket+"e")
	if err != nil {
		return p, err
	}
	defer empty.Stop()
	edr := newDriver(empty.Socket, empty.Secret, false)
	defer func() { edr.close(context.Background(), false) }()

	fmt.Fprintf(o.Log, "throughput with %d stored against an empty store, %d rounds each\n", o.Prefill, prefillRounds)
	mem := sampleMemory(0)
	var full, none []Throughput
	var fullLat, noneLat []time.Duration
	before := loc.StoreStats()
	per := max(o.Messages/prefillRounds, o.Senders)
	for range prefillRounds {
		th, lat, err := edr.throughputRaw(ctx, o.Senders, per, o.Size)
		if err != nil {
			mem.finish()
			return p, fmt.Errorf("throughput of the empty store: %w", err)
		}
		none, noneLat = append(none, th), append(noneLat, lat...)
		if th, lat, err = dr.throughputRaw(ctx, o.Senders, per, o.Size); err != nil {
			mem.finish()
			return p, fmt.Errorf("throughput with %d stored: %w", o.Prefill, err)
		}
		full, fullLat = append(full, th), append(fullLat, lat...)
	}
	m, merr := mem.finish()
	p.Throughput, p.Empty = combine(full, fullLat), combine(none, noneLat)
	p.Throughput.groupCommit(before, loc.StoreStats())
	if merr == nil {
		m.Source = "/proc/self/status of the bench process (two daemons and the load driver together)"
		p.Memory = &m
	}
	if p.Empty.PerSecond > 0 {
		p.Ratio = p.Throughput.PerSecond / p.Empty.PerSecond
	}
	return p, nil
}

func runRunning(ctx context.Context, o Options, rep Report) (Report, error) {
	rep.Daemon = "running"
	rep.Notes = append(rep.Notes,
		"running daemon at "+o.Socket+": its limits apply, among them the send rate per identity "+
			"(default 100/s, bursts of 200); rate-limited sends are retried and counted",
		"the bench registers names bench-XXXXXX-* there and acknowledges their mail when done")
	admin := client.New(client.Options{Socket: o.Socket, Secret: o.Secret})
	defer admin.Close()
	st, err := admin.Status(ctx)
	if err != nil {
		return rep, fmt.Errorf("reach the running daemon: %w", err)
	}
	rep.DataDir = st.DataDir
	rep.Machine.Filesystem = filesystem(st.DataDir)
	if rep.Machine.Fdatasync, err = syncCost(st.DataDir, 200); err != nil {
		rep.Notes = append(rep.Notes, "fdatasync cost not measured: "+err.Error())
	}
	dr := newDriver(o.Socket, o.Secret, true)
	defer func() { dr.close(context.Background(), true) }()
	mem := sampleMemory(st.PID)
	if err := measure(ctx, o, dr, &rep); err != nil {
		mem.finish()
		return rep, err
	}
	if m, err := mem.finish(); err == nil {
		m.Source = fmt.Sprintf("/proc/%d/status of the daemon", st.PID)
		rep.Memory = &m
	} else {
		rep.Notes = append(rep.Notes, "the daemon's memory could not be read: "+err.Error())
	}
	fmt.Fprintln(o.Log, "timing ipc-mcp tools/list")
	rep.MCP = measureMCP(ctx, o, mcpEnv(o.Socket, ""))
	if o.Prefill > 0 {
		rep.Notes = append(rep.Notes, "--prefill needs the in-process daemon; skipped")
	}
	rep.Targets = targets(rep, o)
	return rep, nil
}
