// Package ipcdcli is the ipcd command line: run the daemon, show its
// status, and operate it. cmd/ipcd only calls Main.
package ipcdcli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// Main runs the ipcd command line and returns its exit code.
func Main(ctx context.Context, args []string, env cli.Env) int {
	return cli.Run(ctx, NewRootCmd(env), args, env)
}

// NewRootCmd builds the ipcd command tree.
func NewRootCmd(env cli.Env) *cobra.Command {
	loc := &cli.LocationFlags{}
	root := &cobra.Command{
		Use:   "ipcd",
		Short: "The ipcd daemon: a durable, authenticated mailbox for the AI assistants on this machine",
		Long: `ipcd keeps the mailbox that AI assistants (Claude Code, Gemini CLI, Cursor, Claude
Desktop, Codex, or anything that can run a shell command) use to message each other.
It owns the message store and a socket only your OS user can reach; each AI reaches it
through ipc-mcp.

Start it in the foreground with "ipcd run", or install it as a user service with
"ipcd install". ipc-mcp also starts it on demand.`,
		Version: protocol.Version,
	}
	loc.Add(root, true)
	root.AddCommand(
		NewCmdRun(env, loc),
		NewCmdStatus(env, loc),
	)
	return root
}
