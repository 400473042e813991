// Package shimcli is the ipc-mcp command line: with no arguments it serves
// MCP on stdio (what AI clients launch); with a verb it is the command
// line through which a shell-driven AI or a person takes part. cmd/ipc-mcp
// only calls Main.
package shimcli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/launcher"
	"github.com/ipcd/ipcd/internal/paths"
	"github.com/ipcd/ipcd/internal/setup"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// Main runs the ipc-mcp command line and returns its exit code.
func Main(ctx context.Context, args []string, env cli.Env) int {
	return cli.Run(ctx, NewRootCmd(env), args, env)
}

// App is what every verb shares: the environment, the location flags and
// the name to act as.
type App struct {
	Env cli.Env
	Loc cli.LocationFlags
	As  string
	// NoAutostart keeps the client from starting a daemon.
	NoAutostart bool
	// claims, set by the MCP server, makes its client claim the names it
	// registers (see claimer).
	claims *claimer
}

// NewRootCmd builds the ipc-mcp command tree.
func NewRootCmd(env cli.Env) *cobra.Command {
	app := &App{Env: env}
	root := &cobra.Command{
		Use:   "ipc-mcp",
		Short: "Let AI assistants on this machine message each other (MCP server and command line)",
		Long: `ipc-mcp connects an AI assistant to the ipcd mailbox.

With no arguments it serves MCP on stdio: this is what Claude Code, Gemini CLI, Cursor,
Claude Desktop and Codex launch (see "ipc-mcp setup"). Set IPC_NAME in the client's MCP
config to register at start-up.

With a verb it is a command line, for AIs that run shell commands and for people.
It starts the daemon if none is running.`,
		Example: `  ipc-mcp register barney
  ipc-mcp send nessa "Welcome to the team! I'm Barney, the troubleshooter."
  ipc-mcp --as nessa check
  echo "build log follows" | ipc-mcp send claude -
  ipc-mcp wait --timeout 2m`,
		Version: protocol.Version,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return app.serveMCP(cmd)
		},
	}
	app.Loc.Add(root, false)
	root.PersistentFlags().StringVar(&app.As, "as", "", "act as this name (default $IPC_NAME, else the name last registered with ipc-mcp register)")
	root.PersistentFlags().BoolVar(&app.NoAutostart, "no-autostart", false, "do not start the daemon when none is running")
	root.AddCommand(
		newCmdRegister(app),
		newCmdSend(app),
		newCmdCheck(app),
		newCmdBroadcast(app),
		newCmdList(app),
		newCmdRename(app),
		newCmdWait(app),
		newCmdHistory(app),
		newCmdHook(app),
		setup.NewCmdSetup(&setup.Options{Getenv: env.Getenv}),
	)
	return root
}

// Connect returns a client for the resolved location, with the daemon
// started if needed. It does not choose a name.
func (a *App) Connect(ctx context.Context) (*client.Client, cli.Location, error) {
	l, err := a.Loc.Resolve(a.Env.Getenv)
	if err != nil {
		return nil, l, err
	}
	opts := l.ClientOptions(a.Env.Getenv)
	if a.claims != nil {
		a.claims.dir = l.Sessions().Dir
		opts.Claim, opts.Holds = a.claims.claim, a.claims.holds
	}
	if a.NoAutostart {
		return client.New(opts), l, nil
	}
	lo := launcher.Options{DataDir: l.DataDir, Socket: l.Socket, SecretFile: l.SecretFile, Self: a.Env.Executable}
	// A daemon that stops while this process lives (an MCP server lives as
	// long as its AI client) is started again at the next call.
	opts.Revive = func(ctx context.Context) error {
		hc := client.New(client.Options{Socket: l.Socket})
		defer hc.Close()
		// A daemon being restarted (ipcd restart, its service manager)
		// comes back by itself: give it a moment before starting one, so
		// that this one does not take the socket from the service.
		for deadline := time.Now().Add(reviveGrace); time.Now().Before(deadline); {
			if _, err := hc.Health(ctx); err == nil {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
		_, err := launcher.Ensure(ctx, hc, lo)
		return err
	}
	// The first start needs no grace: nothing was running. The health
	// check goes through a client without Revive for that reason.
	hc := client.New(client.Options{Socket: l.Socket})
	defer hc.Close()
	if _, err := launcher.Ensure(ctx, hc, lo); err != nil {
		return nil, l, err
	}
	return client.New(opts), l, nil
}

// reviveGrace is how long a client that lost its daemon waits for it to
// come back by itself before it starts one.
const reviveGrace = 2 * time.Second

// Identity returns a connected client acting as --as, $IPC_NAME, or the
// name last registered with the register command.
func (a *App) Identity(ctx context.Context) (*client.Client, error) {
	c, l, err := a.Connect(ctx)
	if err != nil {
		return nil, err
	}
	name := a.As
	if name == "" {
		name = a.Env.Getenv(paths.EnvName)
	}
	if name == "" {
		name = l.Sessions().Last()
	}
	if name == "" {
		c.Close()
		return nil, fmt.Errorf("%w", client.ErrNoName)
	}
	if err := protocol.ValidateName(name); err != nil {
		c.Close()
		return nil, err
	}
	c.As(name)
	if tok, _ := l.Sessions().Load(name); tok == "" {
		// No session was saved for the name: register it now, and say so
		// if nobody ever had, since a mistyped --as would otherwise make
		// a new identity without a word.
		res, err := c.Register(ctx, name, false)
		if err != nil {
			c.Close()
			return nil, err
		}
		if res.New {
			fmt.Fprintf(a.Env.Stderr, "ipc-mcp: %s had never been registered; it is now (check --as or IPC_NAME if that is not your name)\n", name)
		}
	}
	return c, nil
}
