// Package ipcdcli is the ipcd command line: run the daemon, install it as
// a service, show its status, watch it, check it (doctor), back it up,
// compact it and import mail from the earlier tool. cmd/ipcd only calls
// Main.
package ipcdcli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/paths"
	"github.com/ipcd/ipcd/internal/service"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// Main runs the ipcd command line and returns its exit code.
func Main(ctx context.Context, args []string, env cli.Env) int {
	return cli.Run(ctx, NewRootCmd(env), args, env)
}

// App is what the operator commands share: the environment, the location
// flags and the service options filled in from them.
type App struct {
	Env cli.Env
	Loc *cli.LocationFlags
	// Service is handed to the service commands and read by status and
	// doctor; PersistentPreRunE fills in its paths.
	Service *service.Options
	// LookPath finds ipc-mcp on PATH; nil means exec.LookPath.
	LookPath func(string) (string, error)
}

// NewRootCmd builds the ipcd command tree.
func NewRootCmd(env cli.Env) *cobra.Command {
	return newRootCmd(&App{Env: env, Loc: &cli.LocationFlags{}, Service: &service.Options{}})
}

// newRootCmd builds the tree around app; tests hand in a fake service
// manager through app.Service.
func newRootCmd(app *App) *cobra.Command {
	env, loc := app.Env, app.Loc
	root := &cobra.Command{
		Use:   "ipcd",
		Short: "The ipcd daemon: a durable, authenticated mailbox for the AI assistants on this machine",
		Long: `ipcd keeps the mailbox that AI assistants (Claude Code, Gemini CLI, Cursor, Claude
Desktop, Codex, or anything that can run a shell command) use to message each other.
It owns the message store and a socket only your OS user can reach; each AI reaches it
through ipc-mcp.

Start it in the foreground with "ipcd run", in the background with "ipcd start", or
install it as a user service with "ipcd install". ipc-mcp also starts it on demand.`,
		Example: `  ipcd install            # run it as a user service from now on
  ipcd status             # is it up, who is registered, what is unread
  ipcd watch              # see the AIs' messages as they are sent
  ipcd doctor             # find and explain problems
  ipcd completion bash > ~/.local/share/bash-completion/completions/ipcd`,
		Version: protocol.Version,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			app.fillService()
			return nil
		},
	}
	loc.Add(root, true)
	root.AddCommand(
		NewCmdRun(env, loc),
		NewCmdBench(env, loc),
		NewCmdStatus(app),
		NewCmdWatch(app),
		NewCmdDoctor(app),
		NewCmdBackup(app),
		NewCmdCompact(app),
		NewCmdImport(app),
		newCmdCheckDB(),
	)
	root.AddCommand(service.NewCmds(app.Service)...)
	return root
}

// fillService gives the service commands the daemon's paths, and says
// whether the user chose them (then they are written into the service).
func (a *App) fillService() {
	l, err := a.Loc.Resolve(a.Env.Getenv)
	if err != nil {
		// Commands that need the paths resolve them again and report
		// it; help, --version and completion do not need them.
		return
	}
	s := a.Service
	if s.OnDemand == nil {
		s.OnDemand = onDemand{a}
	}
	s.DataDir, s.Socket = l.DataDir, l.Socket
	s.DataDirSet = a.Loc.DataDir != "" || a.Env.Getenv(paths.EnvDataDir) != ""
	s.SocketSet = a.Loc.Socket != "" || a.Env.Getenv(paths.EnvSocket) != ""
	s.SecretFile = l.SecretFile
	s.SharedSecretInEnv = a.Env.Getenv(paths.EnvSecret) != ""
}
