package ipcdcli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/daemon"
	"github.com/ipcd/ipcd/internal/launcher"
	"github.com/ipcd/ipcd/internal/service"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// onDemand is service.OnDemand for the daemon at the user's socket when no
// service manager runs it: it stops with an operator's shutdown request
// (graceful, as on SIGTERM, on every OS) and starts as ipc-mcp starts it,
// "ipcd run" in the background with its log in the data dir.
type onDemand struct{ app *App }

// stopWait bounds how long Stop waits for the daemon to let go of its
// database once it has answered the request: requests in flight get 10 s
// to finish (a wait returns at once), then the store is closed.
const stopWait = time.Minute

func (o onDemand) client() (*client.Client, cli.Location, error) {
	l, err := o.app.Loc.Resolve(o.app.Env.Getenv)
	if err != nil {
		return nil, l, err
	}
	if strings.HasPrefix(l.Socket, "tcp://") {
		return nil, l, fmt.Errorf("the daemon is reached over TCP (%s); start, stop and restart it on the machine it runs on", l.Socket)
	}
	return client.New(l.ClientOptions(o.app.Env.Getenv)), l, nil
}

func (o onDemand) Running(ctx context.Context) (service.RunningDaemon, error) {
	c, l, err := o.client()
	if err != nil {
		return service.RunningDaemon{}, err
	}
	defer c.Close()
	st, err := c.Status(ctx)
	if client.IsDown(err) {
		return service.RunningDaemon{}, nil
	}
	if err != nil {
		return service.RunningDaemon{}, err
	}
	return service.RunningDaemon{PID: st.PID, ManagedBy: st.ServiceManager, Unlike: unlike(st, l)}, nil
}

// unlike says what the daemon has that one started by "ipcd start" (with
// the default settings, on l) would not. Flags that status does not show
// (--log-file, --max-conns, --online-window) are not compared.
func unlike(st protocol.StatusResponse, l cli.Location) string {
	var diff []string
	if st.DataDir != l.DataDir {
		diff = append(diff, "the data dir "+st.DataDir)
	}
	if st.Listen != "" {
		diff = append(diff, "a TCP listener on "+st.Listen)
	}
	if st.Mode == protocol.ModeOpen {
		diff = append(diff, "open mode (--open)")
	}
	if st.Limits != daemon.DefaultLimits().Wire() {
		diff = append(diff, "limits other than the defaults (see ipcd status --json)")
	}
	return strings.Join(diff, " and ")
}

func (o onDemand) Stop(ctx context.Context) error {
	c, _, err := o.client()
	if err != nil {
		return err
	}
	defer c.Close()
	st, err := c.Status(ctx)
	if err != nil {
		return err
	}
	if _, err := c.Shutdown(ctx); err != nil {
		if client.IsCode(err, protocol.CodeNotFound) {
			return fmt.Errorf("the daemon (pid %d) is older than this ipcd and cannot be asked to stop; end it: %s", st.PID, killHint(st.PID))
		}
		return err
	}
	// Done once the socket no longer answers and the daemon has let go of
	// its database (the store closes after the socket).
	ctx, cancel := context.WithTimeout(ctx, stopWait)
	defer cancel()
	for {
		if _, err := c.Health(ctx); client.IsDown(err) && released(st.DataDir, st.PID) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the daemon (pid %d) has not let go of %s %s after it was asked to stop", st.PID, st.DataDir, stopWait)
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
