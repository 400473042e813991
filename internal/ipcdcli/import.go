package ipcdcli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/importer"
	"github.com/ipcd/ipcd/internal/launcher"
	"github.com/ipcd/ipcd/internal/paths"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// NewCmdImport builds ipcd import.
func NewCmdImport(app *App) *cobra.Command {
	var dryRun, asJSON bool
	cmd := &cobra.Command{
		Use:   "import [PATH]",
		Short: "Bring over unread mail and known names from the earlier Python tool",
		Long: `Read the SQLite database of the earlier Python tool ("Claude IPC MCP"; default
~/.claude-ipc-data/messages.db, tables messages and instances) and bring its known
names and its unread messages into the running daemon. The old database is opened
read-only and never changed, so the earlier tool may keep running.

Every name that is valid here becomes a registered identity (it keeps its last-seen
time); a name the daemon already knows is left as it is. Unread messages land in
their recipients' inboxes in their original order with their original time. Mail
that was already read, rows with invalid names, empty content or content over the
daemon's message size limit are skipped, each with its reason in the report.

Each message carries a key made from its row, so running the import again imports
nothing twice. --dry-run reads everything and prints the report, writing nothing: a
running daemon is sent the import to count what it already holds (names it knows,
messages imported before) and takes its message size limit from it; with no daemon,
everything importable is counted and the default 1 MiB limit assumed.

The import is an admin call to the daemon, so it needs the secret. If no daemon is
running, it starts one ("ipcd run", detached, logging to DATA_DIR/ipcd.log), as
ipc-mcp does; a dry run starts none.`,
		Example: `  ipcd import --dry-run
  ipcd import
  ipcd import /backup/old-machine/messages.db --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			path, err := app.importPath(args)
			if err != nil {
				return err
			}
			l, err := app.Loc.Resolve(app.Env.Getenv)
			if err != nil {
				return err
			}
			opts := importer.Options{Path: path}
			c := client.New(l.ClientOptions(app.Env.Getenv))
			defer c.Close()
			if !dryRun {
				started, err := launcher.Ensure(ctx, c, launcher.Options{DataDir: l.DataDir, Socket: l.Socket,
					SecretFile: l.SecretFile, Bin: app.Env.Executable})
				if err != nil {
					return fmt.Errorf("import: %w", err)
				}
				if started {
					fmt.Fprintf(cmd.ErrOrStderr(), "No daemon was running; started one (log: %s).\n",
						filepath.Join(l.DataDir, paths.DaemonLogFile))
				}
			}
			// The daemon's size limit decides what is skipped; a dry run
			// without a daemon assumes the default limit.
			st, err := c.Status(ctx)
			running := err == nil
			switch {
			case running:
				opts.MaxMessageBytes = st.Limits.MaxMessageBytes
			case !dryRun || !client.IsDown(err):
				return fmt.Errorf("import: %w", err)
			}
			src, err := importer.Read(ctx, opts)
			if err != nil {
				return fmt.Errorf("import: %w", err)
			}
			var rep *importer.Report
			switch {
			case dryRun && running:
				// The daemon says what it already holds, and writes nothing.
				rep, err = importer.Run(ctx, src, &importTarget{c: c, budget: requestBudget(opts.MaxMessageBytes), dryRun: true})
				if err != nil {
					return fmt.Errorf("import: %w", err)
				}
				rep.DryRun, rep.Compared = true, true
			case dryRun:
				rep = src.Preview()
			default:
				rep, err = importer.Run(ctx, src, &importTarget{c: c, budget: requestBudget(opts.MaxMessageBytes)})
				if err != nil {
					// What was done before the failure is reported too.
					_ = writeReport(cmd, rep, asJSON)
					return fmt.Errorf("import: %w (running it again is safe)", err)
				}
			}
			return writeReport(cmd, rep, asJSON)
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "read and report what would be imported (what a running daemon already holds is left out), write nothing")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

func (a *App) importPath(args []string) (string, error) {
	if len(args) == 1 {
		return args[0], nil
	}
	home := a.Env.Getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("import: find home directory: %w; give the database's path", err)
		}
		home = h
	}
	return importer.DefaultPath(home), nil
}

func writeReport(cmd *cobra.Command, rep *importer.Report, asJSON bool) error {
	if rep == nil {
		return nil
	}
	if asJSON {
		return cli.PrintJSON(cmd.OutOrStdout(), rep)
	}
	return rep.WriteText(cmd.OutOrStdout())
}

// requestBudget is how many bytes of JSON one import request may carry:
// well under the daemon's body limit (six times the message size limit,
// plus 64 KiB), and at most 1 MiB so no request holds the store for long.
// A single message over the budget still goes alone; the daemon's limit
// is sized for one message at the size limit.
func requestBudget(maxMessageBytes int) int {
	return min(1<<20, max(64<<10, maxMessageBytes*6/2))
}

// importTarget is the daemon, reached through the admin import call.
type importTarget struct {
	c      *client.Client
	budget int
	dryRun bool // only count what would be new
}

func (t *importTarget) ImportNames(ctx context.Context, names []importer.Name) (int, error) {
	req := protocol.ImportRequest{Names: make([]protocol.ImportName, len(names)), DryRun: t.dryRun}
	for i, n := range names {
		req.Names[i] = protocol.ImportName{Name: n.Name, LastSeen: n.LastSeen}
	}
	resp, err := t.c.Import(ctx, req)
	return resp.NamesCreated, err
}

// ImportMessages sends msgs in requests of at most budget bytes each, in
// order, and adds up what was new.
func (t *importTarget) ImportMessages(ctx context.Context, msgs []importer.Message) (int, error) {
	imported := 0
	var batch []protocol.ImportMessage
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		resp, err := t.c.Import(ctx, protocol.ImportRequest{Messages: batch, DryRun: t.dryRun})
		if err != nil {
			return err
		}
		imported += resp.MessagesImported
		batch, size = nil, 0
		return nil
	}
	for _, m := range msgs {
		pm := protocol.ImportMessage{Key: m.Key, From: m.From, To: m.To, Content: m.Content, SentAt: m.SentAt, Data: m.Data}
		b, err := json.Marshal(pm)
		if err != nil {
			return imported, fmt.Errorf("encode message: %w", err)
		}
		if len(batch) > 0 && size+len(b)+1 > t.budget {
			if err := flush(); err != nil {
				return imported, err
			}
		}
		batch = append(batch, pm)
		size += len(b) + 1
	}
	return imported, flush()
}
