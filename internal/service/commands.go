package service

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// NewCmds returns the install, uninstall, start, stop and restart commands.
func NewCmds(opts *Options) []*cobra.Command {
	return []*cobra.Command{
		NewCmdInstall(opts), NewCmdUninstall(opts),
		NewCmdStart(opts), NewCmdStop(opts), NewCmdRestart(opts),
	}
}

// NewCmdInstall returns "ipcd install".
func NewCmdInstall(opts *Options) *cobra.Command {
	var dryRun, force bool
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install ipcd as a user service that starts at login, and start it",
		Long: `Install ipcd as a service of the current user and start it: a systemd user
unit on Linux (~/.config/systemd/user/ipcd.service), a launchd LaunchAgent on
macOS (~/Library/LaunchAgents/dev.ipcd.plist), a Windows service on Windows
(needs an elevated prompt). The service runs "ipcd run" from this binary's
absolute path, with --data-dir, --socket and --secret-file only when you chose
them (by flag or IPC_DATA_DIR, IPC_SOCKET, IPC_SECRET_FILE, which a service does
not inherit). The secret stays in its file; it is never written into the service,
so a secret given only in IPC_SHARED_SECRET does not reach it (install says so).

Where no usable service manager exists (a container without systemd, a
session without a systemd user bus), nothing is installed: run "ipcd run"
yourself, or let ipc-mcp start the daemon on demand.`,
		Example: `  # See what would be written, change nothing
  ipcd install --dry-run

  # Install and start
  ipcd install

  # Replace an existing installation (after moving the binary)
  ipcd install --force`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInstall(cmd.Context(), opts, cmd.OutOrStdout(), dryRun, force)
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what would be written and run, change nothing")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing installation")
	return cmd
}

func runInstall(ctx context.Context, o *Options, w io.Writer, dryRun, force bool) error {
	m := o.manager()
	if dryRun {
		return dryRunInstall(ctx, o, m, w)
	}
	platform, err := m.Detect(ctx)
	if err != nil {
		return fmt.Errorf("install service: nothing was installed: %w", err)
	}
	p, err := o.plan(platform, true)
	if err != nil {
		return fmt.Errorf("install service: nothing was installed: %w", err)
	}
	stopped, err := install(ctx, m, p, force, o.OnDemand)
	if err != nil {
		return err
	}
	if stopped != 0 {
		fmt.Fprintf(w, "Stopped the daemon that ran without the service (pid %d); the service runs it now.\n", stopped)
	}
	_, err = io.WriteString(w, installedMessage(p)+o.secretNote())
	return err
}

// secretNote warns that the service will not see IPC_SHARED_SECRET.
func (o *Options) secretNote() string {
	if !o.SharedSecretInEnv {
		return ""
	}
	return "Note: IPC_SHARED_SECRET is set here, but the service does not inherit it: its daemon uses\n" +
		"its secret file. Clients that set IPC_SHARED_SECRET are refused (bad_proof) unless the value\n" +
		"is the file's; unset it, or put the value in the file.\n"
}

// dryRunInstall prints the plan for this OS even where a real install
// would fail, and says so.
func dryRunInstall(ctx context.Context, o *Options, m Manager, w io.Writer) error {
	platform, ok := PlatformFor(o.goos())
	if !ok {
		return fmt.Errorf("install service: %w", &UnsupportedError{Detected: o.goos(), Reason: "ipcd has no service support for this OS"})
	}
	p, err := o.plan(platform, true)
	if err != nil {
		return fmt.Errorf("install service: %w", err)
	}
	if err := p.WriteDryRun(w); err != nil {
		return err
	}
	if _, err := io.WriteString(w, o.secretNote()); err != nil {
		return err
	}
	if o.OnDemand != nil {
		if rd, err := o.OnDemand.Running(ctx); err == nil && rd.PID != 0 && rd.ManagedBy == "" {
			fmt.Fprintf(w, "Note: the daemon that runs now without a service (pid %d) would be stopped first (gracefully), so that the service's can open the store.\n", rd.PID)
		}
	}
	if _, err := m.Detect(ctx); err != nil {
		_, err = fmt.Fprintf(w, "Note: a real install would fail on this machine: %v\n", err)
		return err
	}
	return nil
}

func installedMessage(p Plan) string {
	msg := fmt.Sprintf("Installed ipcd as a %s.\nIt is running now and starts again at every ", where(p))
	switch p.Platform {
	case PlatformSystemd:
		return msg + "login.\n" +
			"Logs:   journalctl --user -u " + UnitName + "\n" +
			"Status: ipcd status\n" +
			"To keep it running while you are logged out: loginctl enable-linger $USER\n"
	case PlatformLaunchd:
		return msg + "login.\nLogs:   ~/Library/Logs/ipcd.log\nStatus: ipcd status\n"
	}
	return msg + "boot.\nStatus: ipcd status\n"
}

// NewCmdUninstall returns "ipcd uninstall".
func NewCmdUninstall(opts *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "uninstall",
		Short: "Stop the ipcd service and remove it",
		Long: `Stop the ipcd service and remove what "ipcd install" wrote. The data dir
(messages, secret) is left alone.`,
		Example: `  ipcd uninstall`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			m := opts.manager()
			p, err := detectedPlan(ctx, opts, m, "uninstall")
			if err != nil {
				return err
			}
			if err := uninstall(ctx, m, p); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "Removed ipcd (%s). Your data dir is untouched.\n", where(p))
			return err
		},
	}
}

// NewCmdStart returns "ipcd start".
func NewCmdStart(opts *Options) *cobra.Command {
	return newControlCmd(opts, actionStart, "Start the ipcd service; with no service, start ipcd run in the background", "  ipcd start")
}

// NewCmdStop returns "ipcd stop".
func NewCmdStop(opts *Options) *cobra.Command {
	return newControlCmd(opts, actionStop,
		"Stop the ipcd service, or the daemon that runs without one (ipc-mcp may start a daemon on demand)",
		"  ipcd stop")
}

// NewCmdRestart returns "ipcd restart".
func NewCmdRestart(opts *Options) *cobra.Command {
	return newControlCmd(opts, actionRestart, "Restart the ipcd service, or the daemon that runs without one, e.g. after an upgrade",
		"  ipcd restart")
}

func newControlCmd(opts *Options, action, short, example string) *cobra.Command {
	return &cobra.Command{
		Use:   action,
		Short: short,
		Long: short + `.

With an installed service, the service manager does it (systemd, launchd,
the Windows service manager); a daemon that runs beside the service without
it (one that ipc-mcp started while the service was down) is stopped first.
Where no service is installed, or none can be (a container without systemd,
say), ipcd acts on the daemon that runs without one: stop asks it to stop
gracefully (requests in flight finish, nothing acknowledged is lost) and
returns once it has let go of its database; start runs "ipcd run" in the
background with the default settings, logging to DATA_DIR/ipcd.log, as
ipc-mcp does; restart does both, and refuses a daemon started with other
settings (another data dir, --listen, --open, limits), which it would drop.`,
		Example: example,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			m := opts.manager()
			out := cmd.OutOrStdout()
			p, err := detectedPlan(ctx, opts, m, action)
			if opts.OnDemand != nil && noService(ctx, m, p, err) {
				msg, err := controlOnDemand(ctx, opts.OnDemand, action)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(out, msg+".")
				return err
			}
			if err != nil {
				return err
			}
			if opts.OnDemand != nil {
				msg, done, err := stopStray(ctx, m, p, opts.OnDemand, action)
				if err != nil {
					return err
				}
				if msg != "" {
					fmt.Fprintln(out, msg+".")
				}
				if done {
					return nil
				}
			}
			msg, err := control(ctx, m, p, action)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(out, msg+".")
			return err
		},
	}
}

func detectedPlan(ctx context.Context, o *Options, m Manager, verb string) (Plan, error) {
	platform, err := m.Detect(ctx)
	if err != nil {
		if errors.Is(err, ErrUnsupported) {
			return Plan{}, fmt.Errorf("%s service: ipcd cannot be installed as a service here: %w", verb, err)
		}
		return Plan{}, fmt.Errorf("%s service: %w", verb, err)
	}
	p, err := o.plan(platform, false)
	if err != nil {
		return Plan{}, fmt.Errorf("%s service: %w", verb, err)
	}
	return p, nil
}
