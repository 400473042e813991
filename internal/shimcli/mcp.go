package shimcli

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/mcpshim"
	"github.com/ipcd/ipcd/internal/paths"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// serveMCP serves MCP on stdio until the AI client closes it. Stdout
// carries the protocol alone; diagnostics go to stderr.
func (a *App) serveMCP(cmd *cobra.Command) error {
	name := a.As
	if name == "" {
		name = a.Env.Getenv(paths.EnvName)
	}
	if name != "" {
		if err := protocol.ValidateName(name); err != nil {
			return err
		}
	}
	logger := slog.New(slog.NewTextHandler(a.Env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// The server is one AI client's: the name it acts as is its own while
	// it runs, and another client's server on this machine cannot share it.
	a.claims = &claimer{}
	srv := mcpshim.New(mcpshim.Options{
		Name:   name,
		Logger: logger,
		Connect: func(ctx context.Context) (*client.Client, error) {
			c, _, err := a.Connect(ctx)
			return c, err
		},
	})
	out := &lockedWriter{w: a.Env.Stdout}
	t := &mcp.IOTransport{Reader: io.NopCloser(newFrameFilter(a.Env.Stdin, out, logger)), Writer: out}
	err := srv.Run(cmd.Context(), t)
	if errors.Is(err, io.EOF) || errors.Is(err, mcp.ErrConnectionClosed) {
		return nil
	}
	return err
}
