package ipcdcli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ipcd/ipcd/internal/cli"
)

// Outcome is how a doctor check ended.
type Outcome string

// Outcomes of a check. Only OutcomeProblem makes doctor exit non-zero.
const (
	OutcomeOK      Outcome = "ok"
	OutcomeNote    Outcome = "note"    // worth knowing, nothing to fix
	OutcomeWarn    Outcome = "warn"    // may become a problem
	OutcomeProblem Outcome = "problem" // something is broken; Fix says what to do
)

// Check is one finding of ipcd doctor.
type Check struct {
	Name    string  `json:"name"`
	Outcome Outcome `json:"outcome"`
	Detail  string  `json:"detail"`
	Fix     string  `json:"fix,omitempty"`
}

// DoctorReport is what ipcd doctor --json prints.
type DoctorReport struct {
	Checks   []Check `json:"checks"`
	Problems int     `json:"problems"`
	// DaemonDown is true when no daemon answers (exit status 3).
	DaemonDown bool `json:"daemon_down"`
}

// NewCmdDoctor builds ipcd doctor.
func NewCmdDoctor(app *App) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the set-up and say how to fix each problem found",
		Long: `Check everything ipcd depends on and print, for each problem, the command or step
that fixes it:

  data dir     exists, mode 0700
  secret       the secret file exists, is not empty, mode 0600
  socket       present, a socket, answering; a stale socket left by a daemon that died
  daemon       answers on the socket; the secret is accepted (an admin call)
  versions     daemon, this ipcd and ipc-mcp (beside ipcd or on PATH) are one release
  service      state of the user service (systemd, launchd, Windows)
  mode         secure, or open (no secret) which is called out
  disk space   free space where the data dir lives; the database against --max-db-size
  database     consistency: through the daemon when it runs, else by opening the
               file itself (it waits at most a second for the file lock)

Exit status: 0 no problem (warnings allowed), 1 at least one problem,
3 the daemon is not running (the other checks still run).`,
		Example: `  ipcd doctor
  ipcd doctor --json | jq '.checks[] | select(.outcome == "problem")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := app.Loc.Resolve(app.Env.Getenv)
			if err != nil {
				return err
			}
			rep := app.doctor(cmd.Context(), l)
			out := cmd.OutOrStdout()
			if asJSON {
				if err := cli.PrintJSON(out, rep); err != nil {
					return err
				}
			} else {
				printDoctor(out, rep)
			}
			switch {
			case rep.DaemonDown:
				return &cli.ExitError{Code: cli.ExitDown}
			case rep.Problems > 0:
				return &cli.ExitError{Code: cli.ExitFailure}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the checks as JSON")
	return cmd
}

func (a *App) doctor(ctx context.Context, l cli.Location) DoctorReport {
	d := &doctor{app: a, loc: l}
	d.run(ctx)
	rep := DoctorReport{Checks: d.checks, DaemonDown: d.down}
	for _, c := range d.checks {
		if c.Outcome == OutcomeProblem {
			rep.Problems++
		}
	}
	return rep
}

func printDoctor(w io.Writer, rep DoctorReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range rep.Checks {
		label := string(c.Outcome)
		if c.Outcome == OutcomeProblem {
			label = "PROBLEM"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", label, c.Name, c.Detail)
		if c.Fix != "" {
			fmt.Fprintf(tw, "\t\tfix: %s\n", c.Fix)
		}
	}
	tw.Flush()
	switch rep.Problems {
	case 0:
		fmt.Fprintln(w, "\nNo problems found.")
	case 1:
		fmt.Fprintln(w, "\n1 problem found.")
	default:
		fmt.Fprintf(w, "\n%d problems found.\n", rep.Problems)
	}
}
