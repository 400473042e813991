package ipcdcli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipcd/ipcd/internal/auth"
	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/daemon"
	"github.com/ipcd/ipcd/internal/paths"
	"github.com/ipcd/ipcd/internal/service"
	"github.com/ipcd/ipcd/internal/store"
)

// RunOptions are the flags of ipcd run.
type RunOptions struct {
	Listen       string
	Open         bool
	LogLevel     string
	LogFormat    string
	LogFile      string
	MaxMessage   cli.Size
	MaxDB        cli.Size
	Limits       daemon.Limits
	Conns        daemon.ConnLimits
	OnlineWindow time.Duration
}

// NewCmdRun builds ipcd run.
func NewCmdRun(env cli.Env, loc *cli.LocationFlags) *cobra.Command {
	def := daemon.DefaultLimits()
	o := &RunOptions{Limits: def, MaxMessage: cli.Size(def.MaxMessageBytes), MaxDB: cli.Size(def.MaxDBBytes)}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the daemon in the foreground",
		Long: `Run the daemon in the foreground until SIGINT or SIGTERM, then stop gracefully:
requests in flight finish, nothing acknowledged is lost.

The shared secret comes from $IPC_SHARED_SECRET, else --secret-file / $IPC_SECRET_FILE,
else DATA_DIR/secret, which is created (random, mode 0600) on first start. Every client
of the same OS user reads that file, so a same-user set-up is secure with no set-up.
Logs go to stderr and never contain secrets, tokens or message bodies.

The Go garbage collector runs with GOGC=200 (a little more memory for less CPU
per send) unless $GOGC is set.`,
		Example: `  ipcd run
  ipcd run --listen 127.0.0.1:9876          # also serve TCP (for WSL or containers)
  ipcd run --data-dir /tmp/ipcd-test --socket /tmp/ipcd-test.sock
  ipcd run --max-message-size 4MiB --send-rate 500`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := loc.Resolve(env.Getenv)
			if err != nil {
				return err
			}
			tuneGC(env.Getenv)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return service.RunAsService(ctx, func(ctx context.Context) error {
				return runDaemon(ctx, env, l, o)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Listen, "listen", "", "also listen on TCP HOST:PORT (needs a secret; for WSL and containers)")
	f.BoolVar(&o.Open, "open", false, "run WITHOUT a secret: any process of your user may register any name (not with --listen)")
	f.StringVar(&o.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.StringVar(&o.LogFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&o.LogFile, "log-file", "", "append logs to this file instead of stderr")
	f.Var(&o.MaxMessage, "max-message-size", "largest message content accepted (e.g. 1MiB)")
	f.IntVar(&o.Limits.MaxInbox, "max-inbox", def.MaxInbox, "most unread messages one inbox holds")
	f.Float64Var(&o.Limits.SendRate, "send-rate", def.SendRate, "messages per second each identity may send on average (0: no limit)")
	f.IntVar(&o.Limits.SendBurst, "send-burst", def.SendBurst, "messages an identity may send in a burst above the rate")
	f.IntVar(&o.Limits.MaxPendingPerSender, "max-pending", def.MaxPendingPerSender, "names nobody has registered that one sender may have mail waiting for")
	f.DurationVar(&o.Limits.SessionIdle, "session-idle", def.SessionIdle, "a session token expires after this long unused")
	f.DurationVar(&o.Limits.ReadRetention, "read-retention", def.ReadRetention, "how long read mail is kept for history")
	f.DurationVar(&o.Limits.PendingRetention, "pending-retention", def.PendingRetention, "how long mail for a name nobody registers is kept")
	f.Var(&o.MaxDB, "max-db-size", "cap on the database file (0: none); sends fail with storage_full past it")
	f.IntVar(&o.Conns.MaxConns, "max-conns", daemon.DefaultMaxConns, "most connections each listener holds open; at the cap the one idle longest is closed")
	f.DurationVar(&o.OnlineWindow, "online-window", 5*time.Minute, "an identity seen this recently is listed as online")
	return cmd
}

func runDaemon(ctx context.Context, env cli.Env, l cli.Location, o *RunOptions) error {
	logger, closeLog, err := newLogger(env.Stderr, o, l)
	if err != nil {
		return err
	}
	defer closeLog()
	if o.Open && o.Listen != "" {
		return daemon.ErrOpenWithTCP
	}
	var secret *auth.Secret
	if !o.Open {
		s, err := auth.LoadSecret(l.SecretOptions(env.Getenv, true))
		if err != nil {
			return err
		}
		secret = &s
	}
	limits := o.Limits
	limits.MaxMessageBytes = int(o.MaxMessage)
	limits.MaxDBBytes = int64(o.MaxDB)
	mark := filepath.Join(l.DataDir, openingMark)
	if _, err := os.Stat(mark); err == nil {
		logger.Warn("the last start ended while opening the database, or another start is opening it; checking it first")
		if err := refuseDamaged(ctx, env.Executable, filepath.Join(l.DataDir, paths.DBFile)); err != nil {
			return err
		}
	}
	// A mark that is there already stays another start's (it may be
	// opening the file this moment). The data dir may not exist yet: then
	// there is no file to damage.
	created := false
	if f, err := os.OpenFile(mark, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		created = true
		f.Close()
	}
	d, err := daemon.New(daemon.Config{
		DataDir: l.DataDir, Socket: l.Socket, Listen: o.Listen, Secret: secret, Open: o.Open,
		Limits: limits, Logger: logger, OnlineWindow: o.OnlineWindow, Conns: o.Conns,
		ServiceManager: service.ManagedBy(env.Getenv),
	})
	if err == nil || created {
		// Opened: any mark is stale. Not opened (another daemon has the
		// file, say): only this start's own mark goes.
		_ = os.Remove(mark)
	}
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("another ipcd is already running with data dir %s", l.DataDir)
	}
	if err != nil {
		return err
	}
	defer d.Close()

	if strings.HasPrefix(l.Socket, "tcp://") {
		return fmt.Errorf("--socket %s: the daemon's own socket must be a path; use --listen for TCP", l.Socket)
	}
	lns := []net.Listener{}
	uln, err := daemon.ListenUnix(l.Socket)
	if err != nil {
		return err
	}
	lns = append(lns, uln)
	if o.Listen != "" {
		tln, err := net.Listen("tcp", o.Listen)
		if err != nil {
			uln.Close()
			return fmt.Errorf("listen on %s: %w", o.Listen, err)
		}
		lns = append(lns, tln)
	}
	attrs := []any{"socket", l.Socket, "data_dir", l.DataDir, "pid", os.Getpid()}
	if o.Listen != "" {
		attrs = append(attrs, "tcp", o.Listen)
	}
	if secret == nil {
		logger.Warn("OPEN MODE: no secret is checked; any process of this user can register any name and read its mail")
		attrs = append(attrs, "mode", "open")
	} else {
		attrs = append(attrs, "mode", "secure", "secret", secret.Source)
	}
	logger.Info("ipcd started", attrs...)
	err = d.Serve(ctx, lns...)
	logger.Info("ipcd stopped")
	return err
}

func newLogger(stderr io.Writer, o *RunOptions, l cli.Location) (*slog.Logger, func(), error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.LogLevel)); err != nil {
		return nil, nil, cli.UsageErrorf("--log-level %q: use debug, info, warn or error", o.LogLevel)
	}
	w, closeFn := stderr, func() {}
	logFile := o.LogFile
	if logFile == "" && service.UnderWindowsSCM() {
		// The Windows service manager discards stderr.
		logFile = filepath.Join(l.DataDir, paths.DaemonLogFile)
	}
	if logFile != "" {
		if err := os.MkdirAll(filepath.Dir(logFile), 0o700); err != nil {
			return nil, nil, fmt.Errorf("create log dir: %w", err)
		}
		f, err := os.OpenFile(logFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("open log file: %w", err)
		}
		w, closeFn = f, func() { f.Close() }
	}
	opts := &slog.HandlerOptions{Level: level}
	switch o.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), closeFn, nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), closeFn, nil
	}
	closeFn()
	return nil, nil, cli.UsageErrorf("--log-format %q: use text or json", o.LogFormat)
}
