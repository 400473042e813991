package ipcdcli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/paths"
	"github.com/ipcd/ipcd/internal/store"
)

// NewCmdBackup builds ipcd backup.
func NewCmdBackup(app *App) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the message database to FILE, while the daemon runs",
		Long: `Write a consistent copy of the database (every identity, inbox, read cursor and
forwarding) to FILE, mode 0600. The running daemon streams it from one read
transaction, so sends go on meanwhile and the copy is a single moment's state.
When no daemon is running, ipcd opens the database itself and copies it.

The copy is written to FILE.tmp, synced, then renamed to FILE, so FILE is either
the old file or a whole backup, never half of one. An existing FILE is kept
unless --force is given.

Large messages (over 10 KiB) also live as files in DATA_DIR/large-messages; the
database holds their full content too, so the backup is complete without them.

Logged writes are checkpointed into the database first, so the copy needs no
write-ahead log. To restore: stop the daemon, delete DATA_DIR/ipc.db-wal, copy
FILE to DATA_DIR/ipc.db (mode 0600), start it.`,
		Example: `  ipcd backup ~/ipcd-backup.db
  ipcd backup --force /mnt/backup/ipcd-$(date +%F).db`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := app.Loc.Resolve(app.Env.Getenv)
			if err != nil {
				return err
			}
			n, live, err := backup(cmd.Context(), l, app.Env.Getenv, app.Env.Executable, args[0], force)
			if err != nil {
				return err
			}
			how := "from the running daemon"
			if !live {
				how = "from the database file (no daemon was running)"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Wrote %s (%s) %s.\n", args[0], cli.Bytes(n), how)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace FILE if it exists")
	return cmd
}

// backup writes the copy; live says whether the daemon made it.
func backup(ctx context.Context, l cli.Location, getenv func(string) string, exe, file string, force bool) (n int64, live bool, err error) {
	if own := ownFile(l.DataDir, file); own != "" {
		return 0, false, fmt.Errorf("backup: %s is the daemon's own %s; write the copy somewhere else", file, own)
	}
	if _, err := os.Stat(file); err == nil && !force {
		return 0, false, fmt.Errorf("backup: %s exists; choose another file or pass --force", file)
	}
	c := client.New(l.ClientOptions(getenv))
	defer c.Close()
	_, herr := c.Health(ctx)
	live = herr == nil
	if herr != nil && !client.IsDown(herr) {
		return 0, false, fmt.Errorf("backup: %w", herr)
	}
	n, err = writeAtomic(file, func(w io.Writer) (int64, error) {
		if live {
			return c.Backup(ctx, w)
		}
		return offlineBackup(ctx, l, exe, w)
	})
	return n, live, err
}

// ownFile says which of the data dir's own files file is ("" if none):
// a backup written over the live database or its log would destroy them.
func ownFile(dataDir, file string) string {
	fi, err := os.Stat(file)
	if err != nil {
		return ""
	}
	for _, name := range []string{paths.DBFile, paths.DBFile + "-wal", paths.SecretFile} {
		if own, err := os.Stat(filepath.Join(dataDir, name)); err == nil && os.SameFile(fi, own) {
			return name
		}
	}
	return ""
}

// offlineBackup copies the database with no daemon running, after a
// check of it in a child process (exe's check-db).
func offlineBackup(ctx context.Context, l cli.Location, exe string, w io.Writer) (int64, error) {
	path := filepath.Join(l.DataDir, paths.DBFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("no daemon is running and there is no database at %s", path)
	}
	if err := refuseDamaged(ctx, exe, path); err != nil {
		return 0, err
	}
	st, err := store.Open(path, store.Options{})
	if errors.Is(err, store.ErrLocked) {
		return 0, fmt.Errorf("the database is locked by a daemon that does not answer on %s: is --socket right? %w", l.Socket, err)
	}
	if err != nil {
		return 0, err
	}
	defer st.Close()
	return st.Backup(w)
}

// writeAtomic writes file through file.tmp (0600, synced), then renames
// it into place; on any failure the temporary file is removed. A copy cut
// short fails the write (the daemon aborts the stream on an error), so it
// never takes FILE's place.
func writeAtomic(file string, write func(io.Writer) (int64, error)) (int64, error) {
	tmp := file + ".tmp"
	_ = os.Remove(tmp) // a leftover keeps its mode through O_TRUNC
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	n, err := write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, file)
	}
	if err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}
