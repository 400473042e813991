package ipcdcli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// NewCmdWatch builds ipcd watch.
func NewCmdWatch(app *App) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Show the AIs' messages, registrations and renames live, as they happen",
		Long: `Show what happens in the mailbox as it happens, one line per event: each message
as it is sent (time, sender -> recipient, its first line, size), broadcasts,
registrations and renames. It never shows more of a message than its first line
(at most 80 bytes); read whole messages as their recipient (ipc-mcp check).

Watching is an admin call: only your OS user, holding the shared secret, may watch.
It runs until Ctrl-C, or until the daemon stops (exit status 3). A watcher that
cannot keep up loses events rather than slowing the AIs; the daemon logs how many.

With --json each event is one JSON object per line (the protocol's Event):
time, type (message, broadcast, register, rename), id, from, to, name, old_name,
size, first_line, count.`,
		Example: `  ipcd watch
  ipcd watch --json | jq -r 'select(.type == "message") | .from + " -> " + .to'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := app.Loc.Resolve(app.Env.Getenv)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			c := client.New(l.ClientOptions(app.Env.Getenv))
			defer c.Close()
			out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
			if !asJSON {
				fmt.Fprintf(errw, "Watching ipcd at %s; Ctrl-C stops.\n", l.Socket)
			}
			enc := json.NewEncoder(out)
			enc.SetEscapeHTML(false)
			err = c.Watch(ctx, func(ev protocol.Event) error {
				if asJSON {
					return enc.Encode(ev)
				}
				_, err := io.WriteString(out, formatEvent(ev)+"\n")
				return err
			})
			switch {
			case client.IsDown(err):
				return &cli.ExitError{Code: cli.ExitDown, Err: err}
			case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET):
				// The stream broke off: the daemon died (kill -9, a crash).
				return &cli.ExitError{Code: cli.ExitDown, Err: errors.New("the daemon stopped")}
			case err != nil:
				return err
			case ctx.Err() != nil:
				return nil
			}
			return &cli.ExitError{Code: cli.ExitDown, Err: errors.New("the daemon stopped")}
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print each event as one line of JSON")
	return cmd
}

// formatEvent is one line for people, in local time.
func formatEvent(ev protocol.Event) string {
	at := ev.Time.Local().Format(time.TimeOnly)
	switch ev.Type {
	case protocol.EventMessage:
		return fmt.Sprintf("%s  %s -> %s  %s  (%s)", at, ev.From, ev.To, cli.Printable(ev.FirstLine), cli.Bytes(int64(ev.Size)))
	case protocol.EventBroadcast:
		copies := "copies"
		if ev.Count == 1 {
			copies = "copy"
		}
		return fmt.Sprintf("%s  %s -> all (%d %s)  %s  (%s)", at, ev.From, ev.Count, copies, cli.Printable(ev.FirstLine), cli.Bytes(int64(ev.Size)))
	case protocol.EventRegister:
		return fmt.Sprintf("%s  %s registered", at, ev.Name)
	case protocol.EventRename:
		return fmt.Sprintf("%s  %s renamed itself to %s", at, ev.OldName, ev.Name)
	}
	return fmt.Sprintf("%s  %s event", at, cli.Printable(ev.Type))
}
