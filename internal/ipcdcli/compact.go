package ipcdcli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/paths"
	"github.com/ipcd/ipcd/internal/store"
)

// NewCmdCompact builds ipcd compact.
func NewCmdCompact(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "compact",
		Short: "Rewrite the stopped daemon's database without its free space",
		Long: `Rewrite the database into a fresh file without the free pages that deleted mail
leaves behind, then rename it over the old one. The database never shrinks by
itself while the daemon runs (bbolt reuses free pages instead), so after a burst
of mail has been read and swept, the file can be much larger than its content.

The daemon must be stopped: compaction needs the database to itself. The daemon
also compacts by itself at every start when the file is at least 16 MiB and at
least half of it is free space, so "ipcd restart" is usually all it takes; this
command compacts whatever the size and share of free space.`,
		Example: `  ipcd stop && ipcd compact && ipcd start`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := app.Loc.Resolve(app.Env.Getenv)
			if err != nil {
				return err
			}
			path := filepath.Join(l.DataDir, paths.DBFile)
			before, err := os.Stat(path)
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("compact: there is no database at %s", path)
			}
			if err != nil {
				return fmt.Errorf("compact: %w", err)
			}
			if err := refuseDamaged(cmd.Context(), app.Env.Executable, path); err != nil {
				return fmt.Errorf("compact: %w", err)
			}
			done, err := store.CompactIfSparse(path, store.CompactPolicy{MinBytes: 1, FreeRatio: 1e-9, LockTimeout: time.Second})
			if errors.Is(err, store.ErrLocked) {
				return fmt.Errorf("compact: the daemon is running; stop it first (ipcd stop, or end \"ipcd run\"), or just restart it: it compacts a mostly empty file at start")
			}
			if err != nil {
				return fmt.Errorf("compact: %w", err)
			}
			out := cmd.OutOrStdout()
			if !done {
				fmt.Fprintf(out, "%s has no free space to reclaim (%s).\n", path, cli.Bytes(before.Size()))
				return nil
			}
			after, err := os.Stat(path)
			if err != nil {
				return fmt.Errorf("compact: %w", err)
			}
			fmt.Fprintf(out, "Compacted %s: %s -> %s.\n", path, cli.Bytes(before.Size()), cli.Bytes(after.Size()))
			return nil
		},
	}
	return cmd
}
