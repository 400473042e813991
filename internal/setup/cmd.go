package setup

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// ErrUsage is returned for a command line setup cannot act on; command
// lines exit with their usage code for it (it says IsUsage).
var ErrUsage error = usageErr("usage")

type usageErr string

func (e usageErr) Error() string { return string(e) }

// IsUsage marks the error as a mistake in how the command was called.
func (usageErr) IsUsage() bool { return true }

// usageMistake is an error of a request that names no client setup knows,
// or asks for what its client cannot have: a usage mistake too.
type usageMistake struct{ error }

func (e usageMistake) Unwrap() error { return e.error }

// IsUsage marks the error as a mistake in how the command was called.
func (usageMistake) IsUsage() bool { return true }

func usagef(format string, args ...any) error {
	return usageMistake{fmt.Errorf(format, args...)}
}

type cmdFlags struct {
	name    string
	dryRun  bool
	list    bool
	noHooks bool
	project bool
	dir     string
}

// NewCmdSetup builds `ipc-mcp setup`.
func NewCmdSetup(opts *Options) *cobra.Command {
	var f cmdFlags
	cmd := &cobra.Command{
		Use:   "setup CLIENT [--name NAME] [--dry-run] | setup --list",
		Short: "Add ipcd to an AI client's configuration",
		Long: `Add ipcd to the configuration of an AI client, so that the client starts
this ipc-mcp as an MCP server named "ipc" (and, for Claude Code and Gemini CLI,
runs "ipc-mcp hook" to deliver messages that arrive while you work).

Clients: ` + strings.Join(ClientNames(), ", ") + `.

The file is merged, not replaced: other servers, settings and comments stay as
they are. The change is shown as a diff; an existing file is first copied to
FILE.ipcd-backup-YYYYmmdd-HHMMSS. Running setup again changes nothing. A file
that cannot be parsed is left untouched and the error names the line.

--name sets IPC_NAME, the name the client registers as; without it a name
already configured is kept.`,
		Example: `  ipc-mcp setup claude-code --name alice
  ipc-mcp setup gemini --name bob --dry-run
  ipc-mcp setup cursor --project --dir ~/src/app
  ipc-mcp setup codex
  ipc-mcp setup --list`,
		ValidArgs: ClientNames(),
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case f.list && len(args) > 0:
				return fmt.Errorf("%w: --list takes no client", ErrUsage)
			case !f.list && len(args) != 1:
				return fmt.Errorf("%w: name one client: %s", ErrUsage, strings.Join(ClientNames(), ", "))
			case !f.project && cmd.Flags().Changed("dir"):
				return fmt.Errorf("%w: --dir goes with --project", ErrUsage)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.list {
				return runList(cmd.OutOrStdout(), opts)
			}
			req := Request{Client: args[0], Name: f.name, NoHooks: f.noHooks, Project: f.project, Dir: f.dir}
			return runSetup(cmd.OutOrStdout(), opts, req, f.dryRun)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "", "IPC_NAME the client registers as (default: keep the configured one)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "show the change and write nothing")
	fl.BoolVar(&f.list, "list", false, "show every supported client and whether ipcd is set up in it")
	fl.BoolVar(&f.noHooks, "no-hooks", false, "write only the MCP server entry, not the auto-check hooks")
	fl.BoolVar(&f.project, "project", false, "cursor: write the project's .cursor/mcp.json instead of ~/.cursor/mcp.json")
	fl.StringVar(&f.dir, "dir", "", "with --project: the project directory (default: the working directory)")
	return cmd
}

func runSetup(w io.Writer, opts *Options, req Request, dryRun bool) error {
	o, err := opts.resolved()
	if err != nil {
		return err
	}
	ch, err := Plan(o, req)
	if err != nil {
		return err
	}
	for _, f := range ch.Files {
		if !f.Changed() {
			fmt.Fprintf(w, "%s: ipcd is already set up (%s); nothing to change.\n", f.Path, strings.Join(f.What, ", "))
			continue
		}
		fmt.Fprintf(w, "%s: %s\n", f.Path, strings.Join(f.What, ", "))
		oldName := f.Path
		if !f.Existed {
			oldName = "/dev/null"
		}
		io.WriteString(w, unifiedDiff(oldName, f.Path, f.Before, f.After))
	}
	for _, n := range ch.Notes {
		fmt.Fprintln(w, "Note: "+n)
	}
	if !ch.Changed() {
		printHints(w, o, ch)
		return nil
	}
	if dryRun {
		fmt.Fprintln(w, "Dry run: nothing was written.")
		return nil
	}
	done, err := ch.Apply(o.Clock.Now())
	for _, a := range done {
		switch {
		case a.Created:
			fmt.Fprintf(w, "Created %s\n", a.Path)
		default:
			fmt.Fprintf(w, "Updated %s (backup: %s)\n", a.Path, a.Backup)
		}
	}
	if err != nil {
		return err
	}
	name := "no IPC_NAME: the AI picks its name with the register tool"
	if ch.Name != "" {
		name = "IPC_NAME=" + ch.Name
	}
	fmt.Fprintf(w, "ipcd is set up in %s (%s). Restart %s to load it.\n", ch.Title, name, ch.Title)
	printHints(w, o, ch)
	return nil
}

// printHints adds what a user of this client may want to know.
func printHints(w io.Writer, o *Options, ch *Change) {
	if ch.Client != ClaudeCode {
		return
	}
	spec := claudeCodeFiles(o, Request{})[0].server
	js, err := marshal(spec.jsonEntry(entry{command: o.Executable, name: ch.Name}))
	if err != nil {
		return
	}
	fmt.Fprintf(w, "The same server with Claude Code's own command:\n  claude mcp add-json --scope user %s %s\n", ServerKey, quoteArg(o.GOOS, string(js)))
}

// quoteArg quotes one argument for sh, or for PowerShell on Windows.
func quoteArg(goos, s string) string {
	if goos == "windows" {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
