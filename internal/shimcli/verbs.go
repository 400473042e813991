package shimcli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// messageText joins the message words; a lone "-" reads standard input.
func messageText(cmd *cobra.Command, words []string) (string, error) {
	if len(words) == 1 && words[0] == "-" {
		b, err := io.ReadAll(cmd.InOrStdin())
		if err != nil {
			return "", fmt.Errorf("read message from stdin: %w", err)
		}
		return string(b), nil
	}
	return strings.Join(words, " "), nil
}

func newCmdRegister(app *App) *cobra.Command {
	var takeover, asJSON bool
	cmd := &cobra.Command{
		Use:   "register NAME",
		Short: "Register this AI under a name (1-32 letters, digits, _ or -)",
		Long: `Register this AI under a name. Mail sent to the name before it was registered is
waiting. A name held by another live session is refused unless --takeover is given,
which ends that session. The session is saved, so later commands act as this name.`,
		Example: `  ipc-mcp register barney
  ipc-mcp register claude --takeover`,
		Args: cli.ArgsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, l, err := app.Connect(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			res, err := c.Register(cmd.Context(), args[0], takeover)
			if err != nil {
				return err
			}
			// Later commands without --as act as this name.
			if err := l.Sessions().SetLast(res.Name); err != nil {
				return fmt.Errorf("remember the name: %w", err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				res.Token = "" // a token belongs in its 0600 file, not in output
				return cli.PrintJSON(out, res)
			}
			fmt.Fprintf(out, "Registered as %s.", res.Name)
			if res.TookOver {
				fmt.Fprint(out, " (The earlier session of this name was ended.)")
			}
			switch res.Unread {
			case 0:
				fmt.Fprintln(out, " No messages waiting.")
			case 1:
				fmt.Fprintln(out, " 1 message is waiting: run ipc-mcp check")
			default:
				fmt.Fprintf(out, " %d messages are waiting: run ipc-mcp check\n", res.Unread)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&takeover, "takeover", false, "take the name over from a live session")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the protocol object")
	return cmd
}

func newCmdSend(app *App) *cobra.Command {
	var replyTo uint64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "send TO MESSAGE...",
		Short: "Send a message to a name (it waits if nobody has registered the name yet)",
		Long: `Send a message. The words after TO are the message; a lone "-" reads it from stdin.
Mail to a name nobody has registered yet waits for them; mail to an old name within two
hours of a rename reaches the new one. Over 10 KiB, the content is also saved to a file
the recipient can read with its own tools.`,
		Example: `  ipc-mcp send nessa "Welcome to the team!"
  ipc-mcp send barney The database migration is complete
  ipc-mcp send claude - < debug.log
  ipc-mcp send barney --reply-to 42 "Fixed, thanks"`,
		Args: cli.ArgsUsage(cobra.MinimumNArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			content, err := messageText(cmd, args[1:])
			if err != nil {
				return err
			}
			c, err := app.Identity(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			res, err := c.Send(cmd.Context(), protocol.SendRequest{To: args[0], Content: content, ReplyTo: replyTo})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return cli.PrintJSON(out, res)
			}
			fmt.Fprintln(out, cli.SendReceipt(res))
			return nil
		},
	}
	cmd.Flags().Uint64Var(&replyTo, "reply-to", 0, "id of the message this answers")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the protocol object")
	return cmd
}

// readOptions are the flags check and wait share.
type readOptions struct {
	peek   bool
	full   bool
	limit  int
	asJSON bool
}

func (o *readOptions) add(cmd *cobra.Command, peek bool) {
	if peek {
		cmd.Flags().BoolVar(&o.peek, "peek", false, "show unread mail without marking it read")
	}
	cmd.Flags().BoolVar(&o.full, "full", false, "print large messages whole instead of a summary and a file path")
	cmd.Flags().IntVar(&o.limit, "limit", 0, "most messages to show (default 100)")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print the protocol object")
}

func newCmdCheck(app *App) *cobra.Command {
	o := &readOptions{}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Show new messages and mark them read",
		Long: `Show new messages, oldest first. They count as read only after they were printed,
so if this command dies first they come again next time. --peek marks nothing read.
One check prints at most about 20 KB (at least one message), because an AI's shell
cuts longer output; the rest stays unread and the output says how many more wait.`,
		Example: `  ipc-mcp check
  ipc-mcp --as nessa check --peek
  ipc-mcp check --json | jq -r '.messages[].content'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkLimit(o.limit); err != nil {
				return err
			}
			c, err := app.Identity(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			res, err := c.Check(cmd.Context(), protocol.CheckRequest{Peek: o.peek, Limit: o.limit, Full: o.full})
			if err != nil {
				return err
			}
			return deliver(cmd, c, o, res, "No new messages.")
		},
	}
	o.add(cmd, true)
	return cmd
}

func newCmdWait(app *App) *cobra.Command {
	o := &readOptions{}
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "wait",
		Short: "Block until a message arrives (or the timeout passes), then show it",
		Long: `Block until mail arrives, then show it and mark it read, like check. Returns within
milliseconds of a send. With no mail before the timeout it prints that and exits 0.`,
		Example: `  ipc-mcp wait
  ipc-mcp wait --timeout 10m --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if timeout <= 0 {
				return cli.UsageErrorf("--timeout must be positive")
			}
			if err := checkLimit(o.limit); err != nil {
				return err
			}
			c, err := app.Identity(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			deadline := time.Now().Add(timeout)
			for {
				left := time.Until(deadline)
				step := min(left, time.Duration(protocol.MaxWaitMS)*time.Millisecond)
				res, err := c.Wait(cmd.Context(), protocol.WaitRequest{
					CheckRequest: protocol.CheckRequest{Limit: o.limit, Full: o.full},
					TimeoutMS:    max(step.Milliseconds(), 1),
				})
				if err != nil {
					return err
				}
				if len(res.Messages) > 0 || time.Until(deadline) <= 0 {
					return deliver(cmd, c, o, res, fmt.Sprintf("No messages within %s.", timeout))
				}
			}
		},
	}
	o.add(cmd, false)
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "how long to wait")
	return cmd
}

// checkLimit refuses a --limit the daemon would refuse, as a usage
// mistake (exit 2) before anything is asked.
func checkLimit(n int) error {
	if n < 0 || n > protocol.MaxLimit {
		return cli.UsageErrorf("--limit must be from 1 to %d (0: the default)", protocol.MaxLimit)
	}
	return nil
}

// deliver prints fetched mail, then acknowledges it: only mail that was
// written out counts as read.
func deliver(cmd *cobra.Command, c *client.Client, o *readOptions, res protocol.CheckResponse, none string) error {
	now := time.Now()
	render := func(part protocol.CheckResponse) string {
		var b strings.Builder
		if o.asJSON {
			cli.PrintJSON(&b, part)
		} else {
			printMessages(&b, part, none, now)
		}
		return b.String()
	}
	// An AI's shell cuts long output: what does not fit waits for the
	// next check.
	res, _ = cli.FitMail(res, cli.MailBudget, render)
	_, err := io.WriteString(cmd.OutOrStdout(), render(res))
	if err != nil {
		return fmt.Errorf("print messages: %w", err)
	}
	if o.peek || res.Through == 0 {
		return nil
	}
	_, err = c.Ack(cmd.Context(), res.Through)
	return err
}

func newCmdBroadcast(app *App) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "broadcast MESSAGE...",
		Short:   "Send a message to every other registered name",
		Example: `  ipc-mcp broadcast team meeting in 5`,
		Args:    cli.ArgsUsage(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			content, err := messageText(cmd, args)
			if err != nil {
				return err
			}
			c, err := app.Identity(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			res, err := c.Broadcast(cmd.Context(), protocol.BroadcastRequest{Content: content})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return cli.PrintJSON(out, res)
			}
			fmt.Fprintln(out, describeBroadcast(res))
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the protocol object")
	return cmd
}

func describeBroadcast(res protocol.BroadcastResponse) string {
	var names []string
	for _, d := range res.Deliveries {
		names = append(names, d.To)
	}
	s := "Nobody else is registered yet; the broadcast reached no one."
	if len(names) > 0 {
		s = fmt.Sprintf("Broadcast to %d: %s.", len(names), strings.Join(names, ", "))
	}
	for _, sk := range res.Skipped {
		s += fmt.Sprintf(" Not delivered to %s: %s", sk.To, sk.Message)
	}
	return s
}

func newCmdList(app *App) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"who"},
		Short:   "List every name: online, last seen, unread",
		Example: `  ipc-mcp list`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := app.Identity(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			res, err := c.List(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return cli.PrintJSON(cmd.OutOrStdout(), res)
			}
			return printIdentities(cmd.OutOrStdout(), res.Identities, c.Name(), time.Now())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the protocol object")
	return cmd
}

func newCmdRename(app *App) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "rename NEW",
		Short: "Rename yourself; the old name forwards for two hours",
		Long: `Rename your own identity (at most once an hour). Mail to the old name reaches the new
one for two hours, and every other identity gets a note about it.`,
		Example: `  ipc-mcp rename fred-debugging`,
		Args:    cli.ArgsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := app.Identity(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			// An AI client's MCP server that acts as the name shares its
			// session: renamed from here, it would be left acting as a
			// name its token no longer has.
			if l, err := app.Loc.Resolve(app.Env.Getenv); err == nil {
				f, mine := lockName(l.Sessions().Dir, c.Name())
				closeLock(f)
				if !mine {
					return fmt.Errorf("%s is the name of an AI client's ipc-mcp on this machine; rename it with that client's rename tool", c.Name())
				}
			}
			res, err := c.Rename(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			// The default name follows a rename of itself.
			if l, err := app.Loc.Resolve(app.Env.Getenv); err == nil && l.Sessions().Last() == res.OldName {
				if err := l.Sessions().SetLast(res.Name); err != nil {
					return fmt.Errorf("remember the name: %w", err)
				}
			}
			if asJSON {
				return cli.PrintJSON(cmd.OutOrStdout(), res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Renamed %s to %s. Mail to %s is forwarded until %s.\n",
				res.OldName, res.Name, res.OldName, res.ForwardUntil.Local().Format("15:04 MST"))
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the protocol object")
	return cmd
}

func newCmdHistory(app *App) *cobra.Command {
	var asJSON, full bool
	var limit int
	cmd := &cobra.Command{
		Use:     "history",
		Short:   "Show recent mail you have already read, newest first",
		Example: `  ipc-mcp history --limit 5`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkLimit(limit); err != nil {
				return err
			}
			c, err := app.Identity(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			res, err := c.History(cmd.Context(), protocol.HistoryRequest{Limit: limit, Full: full})
			if err != nil {
				return err
			}
			if asJSON {
				return cli.PrintJSON(cmd.OutOrStdout(), res)
			}
			return printMessages(cmd.OutOrStdout(), protocol.CheckResponse{Messages: res.Messages}, "No read mail in history.", time.Now())
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "most messages to show (default 20)")
	cmd.Flags().BoolVar(&full, "full", false, "print large messages whole")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the protocol object")
	return cmd
}
