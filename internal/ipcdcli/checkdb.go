package ipcdcli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipcd/ipcd/internal/store"
)

// The answers of the database check, one line on stdout.
const (
	checkDBOK     = "ok"
	checkDBLocked = "locked"
	checkDBNewer  = "newer"
)

// newCmdCheckDB is the hidden "ipcd check-db PATH" that doctor runs as a
// child process: bbolt stops a damaged file with a panic in a goroutine of
// its own, which would take doctor down with it.
func newCmdCheckDB() *cobra.Command {
	return &cobra.Command{
		Use:     "check-db PATH",
		Short:   "Check a stopped daemon's database (run by ipcd doctor)",
		Example: `  ipcd check-db ~/.local/share/ipcd/ipc.db`,
		Args:    cobra.ExactArgs(1),
		Hidden:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := store.Open(args[0], store.Options{LockTimeout: time.Second})
			switch {
			case errors.Is(err, store.ErrLocked):
				fmt.Fprintln(cmd.OutOrStdout(), checkDBLocked)
				return nil
			case errors.Is(err, store.ErrNewerSchema):
				fmt.Fprintln(cmd.OutOrStdout(), checkDBNewer, err)
				return nil
			case err != nil:
				return err
			}
			defer st.Close()
			if err := st.Check(); err != nil {
				return fmt.Errorf("damaged: %w", err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), checkDBOK)
			return nil
		},
	}
}

// checkDBChild runs exe's check-db on path. ran is false when the child
// could not be started; then the caller checks in its own process.
func checkDBChild(ctx context.Context, exe, path string) (answer string, problem error, ran bool) {
	if exe == "" {
		return "", nil, false
	}
	if _, err := os.Stat(exe); err != nil {
		return "", nil, false
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "check-db", path)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return "", nil, false
	}
	if err == nil {
		return strings.TrimSpace(out.String()), nil, true
	}
	msg := strings.TrimSpace(errb.String())
	if i := strings.Index(msg, "panic: "); i >= 0 {
		// bbolt gave up on the file.
		line, _, _ := strings.Cut(msg[i+len("panic: "):], "\n")
		return "", fmt.Errorf("damaged: bbolt stopped on it: %s", line), true
	}
	line, _, _ := strings.Cut(msg, "\n")
	return "", errors.New(strings.TrimPrefix(line, "ipcd: ")), true
}

// refuseDamaged checks the database at path in a child process and
// returns a clear error if it is damaged, where opening it in this process
// would end in bbolt's panic. Anything else (no ipcd binary to run, a
// locked file, an error that opening the file reports by itself) leaves
// the file to the caller's own open.
func refuseDamaged(ctx context.Context, exe, path string) error {
	_, problem, ran := checkDBChild(ctx, exe, path)
	if ran && problem != nil && strings.HasPrefix(problem.Error(), "damaged") {
		return fmt.Errorf("the database %s: %v; with the daemon stopped, restore a backup made with ipcd backup, or move ipc.db and ipc.db-wal away to start with an empty database", path, problem)
	}
	return nil
}

// openingMark is left in the data dir while "ipcd run" opens its database.
// bbolt stops on a damaged file with a panic that nothing can catch, so a
// start that finds the mark (the last start died while opening) checks the
// file in a child process first and says what is wrong instead of crashing
// again.
const openingMark = "ipc.db-opening"
