package daemon

import (
	"log/slog"
	"time"

	"github.com/ipcd/ipcd/internal/auth"
	"github.com/ipcd/ipcd/internal/clock"
	"github.com/ipcd/ipcd/internal/store"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// Limits are every bound the daemon enforces. Each has a flag on ipcd run.
type Limits struct {
	MaxMessageBytes     int
	MaxInbox            int
	SendRate            float64 // messages per second per identity; 0: no limit
	SendBurst           int
	MaxPendingPerSender int
	SessionIdle         time.Duration
	ReadRetention       time.Duration
	PendingRetention    time.Duration
	MaxDBBytes          int64 // 0: no cap
}

// DefaultLimits are the limits of a daemon started with no flags.
func DefaultLimits() Limits {
	return Limits{
		MaxMessageBytes:     1 << 20,
		MaxInbox:            store.DefaultMaxInbox,
		SendRate:            100,
		SendBurst:           200,
		MaxPendingPerSender: store.DefaultMaxPendingPerSender,
		SessionIdle:         24 * time.Hour,
		ReadRetention:       7 * 24 * time.Hour,
		PendingRetention:    7 * 24 * time.Hour,
		MaxDBBytes:          4 << 30,
	}
}

// Fixed rules of rename (DESIGN.md).
const (
	RenameCooldown = time.Hour
	RenameForward  = 2 * time.Hour
)

// Config is everything a Daemon needs. Zero durations take defaults.
type Config struct {
	DataDir string
	// Socket and Listen are only reported by status; the caller makes the
	// listeners and hands them to Serve.
	Socket string
	Listen string
	// ServiceManager names the service manager that runs the daemon
	// ("systemd", "launchd", "windows"; "" for none); only reported by
	// status, so that "ipcd stop" leaves such a daemon to its manager.
	ServiceManager string
	// Secret is nil in open mode, which Open must then say explicitly.
	Secret *auth.Secret
	Open   bool
	Limits Limits
	Clock  clock.Clock
	Logger *slog.Logger
	// OnlineWindow: an identity seen this recently counts as online
	// (default 5 minutes); one blocked in a wait always does.
	OnlineWindow time.Duration
	// SweepInterval is how often retention runs (default 10 minutes).
	SweepInterval time.Duration
	// FlushInterval is how often last-seen times are written (default 30s).
	FlushInterval time.Duration
	// NonceTTL is how long a challenge nonce lives (default 30s).
	NonceTTL time.Duration
	// NoSync skips fsync: benchmarks of everything but the disk only.
	NoSync bool
	// Conns bound each listener's connections and how long a request may
	// take to arrive (connlimit.go).
	Conns ConnLimits
}

func (c *Config) setDefaults() {
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.OnlineWindow <= 0 {
		c.OnlineWindow = 5 * time.Minute
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = 10 * time.Minute
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = 30 * time.Second
	}
	if c.NonceTTL <= 0 {
		c.NonceTTL = 30 * time.Second
	}
	def := DefaultLimits()
	l := &c.Limits
	if l.MaxMessageBytes <= 0 {
		l.MaxMessageBytes = def.MaxMessageBytes
	}
	if l.MaxInbox <= 0 {
		l.MaxInbox = def.MaxInbox
	}
	if l.SendBurst <= 0 {
		l.SendBurst = def.SendBurst
	}
	if l.MaxPendingPerSender <= 0 {
		l.MaxPendingPerSender = def.MaxPendingPerSender
	}
	if l.SessionIdle <= 0 {
		l.SessionIdle = def.SessionIdle
	}
	if l.ReadRetention <= 0 {
		l.ReadRetention = def.ReadRetention
	}
	if l.PendingRetention <= 0 {
		l.PendingRetention = def.PendingRetention
	}
}

// maxBody bounds a request body: a message at the size limit even if
// every byte were JSON-escaped as \u00XX, plus room for the other fields.
func (c *Config) maxBody() int64 {
	return int64(c.Limits.MaxMessageBytes)*6 + 64<<10
}

func (c *Config) mode() string {
	if c.Secret == nil {
		return protocol.ModeOpen
	}
	return protocol.ModeSecure
}

// Wire is l as status reports it.
func (l Limits) Wire() protocol.Limits {
	return protocol.Limits{
		MaxMessageBytes:      l.MaxMessageBytes,
		MaxInboxDepth:        l.MaxInbox,
		SendRatePerSecond:    l.SendRate,
		SendBurst:            l.SendBurst,
		MaxPendingPerSender:  l.MaxPendingPerSender,
		SessionIdleSeconds:   int64(l.SessionIdle / time.Second),
		ReadRetentionSeconds: int64(l.ReadRetention / time.Second),
		PendingRetentionSecs: int64(l.PendingRetention / time.Second),
		MaxDatabaseBytes:     l.MaxDBBytes,
	}
}
