package ipcdcli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/service"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// ExitAttention is the exit status of status when the daemon runs but
// something needs attention: versions differ or the service has failed.
const ExitAttention = 4

// serviceTimeout bounds asking the service manager.
const serviceTimeout = 5 * time.Second

// StatusReport is what ipcd status --json prints.
type StatusReport struct {
	Running bool   `json:"running"`
	Socket  string `json:"socket"`
	DataDir string `json:"data_dir"`
	// CLIVersion is the version of this ipcd binary.
	CLIVersion string `json:"cli_version"`
	// Service is the state of the installed service (service.State).
	Service      service.State            `json:"service"`
	ServiceError string                   `json:"service_error,omitempty"`
	Shim         ShimInfo                 `json:"shim"`
	Daemon       *protocol.StatusResponse `json:"daemon,omitempty"`
	Error        string                   `json:"error,omitempty"`
	// Attention lists what is wrong although the daemon runs.
	Attention []string `json:"attention,omitempty"`
}

// NewCmdStatus builds ipcd status.
func NewCmdStatus(app *App) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show whether the daemon runs, its service, versions, identities and counters",
		Long: `Show the service state, whether the daemon is reachable and, if it is: the versions of
the daemon, of this ipcd and of ipc-mcp (found beside ipcd or on PATH), secure or open
mode, socket, data dir, database size, uptime, counters (messages sent, delivered,
rejected requests) and every identity with online state, last seen and unread mail.

Status is an admin call: it proves knowledge of the shared secret like a registration.

Exit status, for scripts:
  0  the daemon runs and all is well
  1  it answers but cannot be queried (for example the secret differs)
  3  the daemon is not running
  4  it runs but needs attention: the versions of daemon, ipcd and ipc-mcp
     differ (restart it after an upgrade), or the service has failed`,
		Example: `  ipcd status
  ipcd status --json | jq '.daemon.identities[] | select(.unread > 0)'
  ipcd status >/dev/null || echo "ipcd needs a look: run ipcd doctor"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep, code, err := app.status(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if err := cli.PrintJSON(out, rep); err != nil {
					return err
				}
			} else {
				printStatus(out, rep, time.Now())
			}
			if code != cli.ExitOK {
				return &cli.ExitError{Code: code}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	return cmd
}

// status gathers the report and its exit code.
func (a *App) status(ctx context.Context) (StatusReport, int, error) {
	l, err := a.Loc.Resolve(a.Env.Getenv)
	if err != nil {
		return StatusReport{}, 0, err
	}
	c := client.New(l.ClientOptions(a.Env.Getenv))
	defer c.Close()
	rep := StatusReport{Socket: l.Socket, DataDir: l.DataDir, CLIVersion: protocol.Version}
	sctx, cancel := context.WithTimeout(ctx, serviceTimeout)
	rep.Service, err = a.Service.Status(sctx)
	cancel()
	if err != nil {
		rep.ServiceError = err.Error()
	}
	rep.Shim = a.shim(ctx)
	st, err := c.Status(ctx)
	code := cli.ExitOK
	switch {
	case err == nil:
		rep.Running, rep.Daemon = true, &st
	case client.IsDown(err):
		rep.Error, code = err.Error(), cli.ExitDown
	default:
		rep.Running, rep.Error, code = true, cli.Describe(err), cli.ExitFailure
	}
	if rep.Daemon != nil {
		rep.Attention = attention(rep)
		if len(rep.Attention) > 0 {
			code = ExitAttention
		}
	}
	return rep, code, nil
}

// attention lists what needs a look on a running daemon.
func attention(rep StatusReport) []string {
	var out []string
	d := rep.Daemon
	if rep.CLIVersion != d.Version {
		out = append(out, fmt.Sprintf("this ipcd binary is %s but the daemon runs %s; restart the daemon (ipcd restart, or stop it and let ipc-mcp start it)", rep.CLIVersion, d.Version))
	}
	if rep.Shim.Version != "" && rep.Shim.Version != d.Version {
		out = append(out, fmt.Sprintf("ipc-mcp (%s) is %s but the daemon runs %s; install both binaries from one release", rep.Shim.Path, rep.Shim.Version, d.Version))
	}
	if rep.Service == service.StateFailed {
		out = append(out, "the service has failed; see its log (ipcd doctor says where) and run ipcd restart")
	}
	return out
}

func printStatus(w io.Writer, rep StatusReport, now time.Time) {
	svc := string(rep.Service)
	if rep.ServiceError != "" {
		svc = "unknown (" + rep.ServiceError + ")"
	}
	shim := rep.Shim.Version
	if shim == "" {
		shim = rep.Shim.Error
	}
	if !rep.Running {
		fmt.Fprintf(w, "ipcd is not running (socket %s).\n", rep.Socket)
		fmt.Fprintf(w, "  service  %s\n  ipc-mcp  %s\n", svc, shim)
		fmt.Fprintln(w, "Start it with: ipcd start   (in the background; ipcd run keeps it in this terminal, ipcd install makes it a service)")
		return
	}
	if rep.Daemon == nil {
		fmt.Fprintf(w, "ipcd answers on %s but status failed: %s\n", rep.Socket, rep.Error)
		return
	}
	d := rep.Daemon
	fmt.Fprintf(w, "ipcd %s is running, %s mode (pid %d)\n", d.Version, d.Mode, d.PID)
	if d.Mode == protocol.ModeOpen {
		fmt.Fprintln(w, "  WARNING: open mode: no secret is checked")
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  service\t%s\n", svc)
	fmt.Fprintf(tw, "  versions\tdaemon %s, ipcd %s, ipc-mcp %s\n", d.Version, rep.CLIVersion, shim)
	fmt.Fprintf(tw, "  socket\t%s\n", d.Socket)
	if d.Listen != "" {
		fmt.Fprintf(tw, "  tcp\t%s\n", d.Listen)
	}
	fmt.Fprintf(tw, "  data dir\t%s\n", d.DataDir)
	fmt.Fprintf(tw, "  database\t%s\n", cli.Bytes(d.DatabaseBytes))
	fmt.Fprintf(tw, "  uptime\t%s\n", (time.Duration(d.UptimeSeconds) * time.Second).String())
	fmt.Fprintf(tw, "  messages\tsent %d, delivered %d, rejected requests %d\n", d.Counters.Sent, d.Counters.Delivered, d.Counters.Rejected)
	fmt.Fprintf(tw, "  unread\t%d in all\n", d.UnreadTotal)
	tw.Flush()
	for _, a := range rep.Attention {
		fmt.Fprintf(w, "  ATTENTION: %s\n", a)
	}
	fmt.Fprintln(w)
	printIdentities(w, d.Identities, now)
}

func printIdentities(w io.Writer, ids []protocol.Identity, now time.Time) {
	if len(ids) == 0 {
		fmt.Fprintln(w, "No identities yet. Register one with: ipc-mcp register NAME")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tONLINE\tLAST SEEN\tUNREAD\tAUTO-CHECK")
	for _, id := range ids {
		online, seen, ac := "no", "never", "off"
		switch {
		case !id.Registered:
			online = "-"
			seen = "not registered yet"
		case id.Waiting:
			online = "waiting"
		case id.Online:
			online = "yes"
		}
		if id.LastSeen != nil {
			seen = cli.Ago(now, *id.LastSeen)
		}
		if id.AutoCheck != nil && id.AutoCheck.Enabled {
			ac = fmt.Sprintf("every %d min", id.AutoCheck.IntervalMinutes)
		}
		name := id.Name
		if len(id.ForwardedFrom) > 0 {
			name += " (was " + strings.Join(id.ForwardedFrom, ", ") + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", name, online, seen, id.Unread, ac)
	}
	tw.Flush()
}
