package bench

import (
	"runtime"
	"time"
)

// CPU is the processor time a throughput run cost. On a machine with few
// CPUs it is what bounds throughput besides the disk: the CPUs can do at
// most CeilingPerSecond sends a second at this cost, even if no send ever
// waited for an fsync.
type CPU struct {
	// PerSendUS is the user and system CPU time of the processes in
	// Covers, per acknowledged send, in microseconds.
	PerSendUS float64 `json:"per_send_us"`
	// DaemonUS and DriverUS split PerSendUS when the daemon runs as a
	// process of its own.
	DaemonUS float64 `json:"daemon_us,omitempty"`
	DriverUS float64 `json:"driver_us,omitempty"`
	// CeilingPerSecond is the machine's CPUs (one second each) over
	// PerSendUS.
	CeilingPerSecond float64 `json:"ceiling_per_second"`
	// Covers says whose CPU time was counted.
	Covers string `json:"covers"`
}

// cpuMeter takes the CPU time of the bench process, and of the daemon
// when it is a separate process, across a run.
type cpuMeter struct {
	daemonPID        int // 0: the daemon runs in this process
	self, daemon     time.Duration
	selfOK, daemonOK bool
}

func startCPU(daemonPID int) *cpuMeter {
	m := &cpuMeter{daemonPID: daemonPID}
	m.self, m.selfOK = selfCPU()
	if daemonPID != 0 {
		m.daemon, m.daemonOK = procCPU(daemonPID)
	}
	return m
}

// stop returns the CPU time per send of the n sends made since start,
// or nil where the OS does not tell.
func (m *cpuMeter) stop(n int) *CPU {
	self, ok := selfCPU()
	if !ok || !m.selfOK || n <= 0 {
		return nil
	}
	perSend := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(n) }
	c := &CPU{PerSendUS: perSend(self - m.self), Covers: "the bench process: the in-process daemon and the load driver together"}
	if m.daemonPID != 0 {
		daemon, ok := procCPU(m.daemonPID)
		if !ok || !m.daemonOK {
			return nil
		}
		c.DriverUS, c.DaemonUS = c.PerSendUS, perSend(daemon-m.daemon)
		c.PerSendUS = c.DriverUS + c.DaemonUS
		c.Covers = "the daemon process and the bench process (the load driver)"
	}
	if c.PerSendUS > 0 {
		c.CeilingPerSecond = float64(runtime.NumCPU()) * 1e6 / c.PerSendUS
	}
	return c
}
