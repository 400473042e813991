package ipcdcli

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// StatusReport is what ipcd status --json prints.
type StatusReport struct {
	Running bool   `json:"running"`
	Socket  string `json:"socket"`
	DataDir string `json:"data_dir"`
	// CLIVersion is the version of this ipcd binary (and of the ipc-mcp
	// built with it).
	CLIVersion string                   `json:"cli_version"`
	Daemon     *protocol.StatusResponse `json:"daemon,omitempty"`
	Error      string                   `json:"error,omitempty"`
}

// NewCmdStatus builds ipcd status.
func NewCmdStatus(env cli.Env, loc *cli.LocationFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show whether the daemon runs, its mode, identities and counters",
		Long: `Show whether the daemon is reachable and, if it is: its version, secure or open mode,
socket, data dir, database size, uptime, counters and every identity with online state,
last seen and unread mail.

Exit status: 0 all is well, 3 the daemon is not running, 1 it runs but cannot be
queried (for example the secret differs).`,
		Example: `  ipcd status
  ipcd status --json | jq '.daemon.identities[] | select(.unread > 0)'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := loc.Resolve(env.Getenv)
			if err != nil {
				return err
			}
			c := client.New(l.ClientOptions(env.Getenv))
			defer c.Close()
			rep := StatusReport{Socket: l.Socket, DataDir: l.DataDir, CLIVersion: protocol.Version}
			st, err := c.Status(cmd.Context())
			code := cli.ExitOK
			switch {
			case err == nil:
				rep.Running, rep.Daemon = true, &st
			case client.IsDown(err):
				rep.Error, code = err.Error(), cli.ExitDown
			default:
				rep.Running, rep.Error, code = true, cli.Describe(err), cli.ExitFailure
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
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

func printStatus(w io.Writer, rep StatusReport, now time.Time) {
	if !rep.Running {
		fmt.Fprintf(w, "ipcd is not running (socket %s).\nStart it with: ipcd run   (or install the service: ipcd install)\n", rep.Socket)
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
	fmt.Fprintf(tw, "  socket\t%s\n", d.Socket)
	if d.Listen != "" {
		fmt.Fprintf(tw, "  tcp\t%s\n", d.Listen)
	}
	fmt.Fprintf(tw, "  data dir\t%s\n", d.DataDir)
	fmt.Fprintf(tw, "  database\t%s\n", cli.Bytes(d.DatabaseBytes))
	fmt.Fprintf(tw, "  uptime\t%s\n", (time.Duration(d.UptimeSeconds) * time.Second).String())
	fmt.Fprintf(tw, "  messages\tsent %d, delivered %d, rejected requests %d\n", d.Counters.Sent, d.Counters.Delivered, d.Counters.Rejected)
	fmt.Fprintf(tw, "  unread\t%d in all\n", d.UnreadTotal)
	if rep.CLIVersion != d.Version {
		fmt.Fprintf(tw, "  note\tthis ipcd binary is %s but the daemon runs %s; restart it\n", rep.CLIVersion, d.Version)
	}
	tw.Flush()
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
			name += fmt.Sprintf(" (was %v)", id.ForwardedFrom)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", name, online, seen, id.Unread, ac)
	}
	tw.Flush()
}
