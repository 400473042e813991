package ipcdcli

import (
	"context"
	"fmt"
	"time"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/launcher"
)

// onDemand is service.OnDemand for the daemon at the user's socket when no
// service manager runs it: it stops with an operator's shutdown request
// (graceful, as on SIGTERM, on every OS) and starts as ipc-mcp starts it,
// "ipcd run" in the background with its log in the data dir.
type onDemand struct{ app *App }

// stopWait bounds how long Stop waits for the daemon to go once it has
// answered the request; requests in flight finish first (a wait returns at
// once).
const stopWait = 30 * time.Second

func (o onDemand) client() (*client.Client, cli.Location, error) {
	l, err := o.app.Loc.Resolve(o.app.Env.Getenv)
	if err != nil {
		return nil, l, err
	}
	return client.New(l.ClientOptions(o.app.Env.Getenv)), l, nil
}

func (o onDemand) Running(ctx context.Context) (int, error) {
	c, _, err := o.client()
	if err != nil {
		return 0, err
	}
	defer c.Close()
	st, err := c.Status(ctx)
	if client.IsDown(err) {
		return 0, nil
	}
	return st.PID, err
}

func (o onDemand) Stop(ctx context.Context) error {
	c, l, err := o.client()
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Shutdown(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, stopWait)
	defer cancel()
	for {
		if _, err := c.Health(ctx); client.IsDown(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("it still answers on %s %s after it was asked to stop", l.Socket, stopWait)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (o onDemand) Start(ctx context.Context) (int, error) {
	c, l, err := o.client()
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if _, err := launcher.Ensure(ctx, c, launcher.Options{DataDir: l.DataDir, Socket: l.Socket,
		SecretFile: l.SecretFile, Bin: o.app.Env.Executable}); err != nil {
		return 0, err
	}
	st, err := c.Status(ctx)
	return st.PID, err
}
