package ipcdcli

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/paths"
	"github.com/ipcd/ipcd/internal/store"
)

// Disk space thresholds of doctor.
const (
	diskProblemBytes = 100 << 20
	diskWarnBytes    = 1 << 30
)

func (d *doctor) checkDisk() {
	dir := existingParent(d.loc.DataDir)
	free, err := freeBytes(dir)
	switch {
	case err != nil:
		d.add("disk space", OutcomeWarn, "", "cannot read the free space of %s: %v", dir, err)
	case free < diskProblemBytes:
		d.add("disk space", OutcomeProblem, "free disk space where the data dir lives; sends fail with storage_full or internal errors when it runs out",
			"only %s free on the file system of %s", cli.Bytes(int64(free)), dir)
	case free < diskWarnBytes:
		d.add("disk space", OutcomeWarn, "free some disk space", "%s free on the file system of %s", cli.Bytes(int64(free)), dir)
	default:
		d.add("disk space", OutcomeOK, "", "%s free", cli.Bytes(int64(free)))
	}
	if d.status == nil || d.status.Limits.MaxDatabaseBytes <= 0 {
		return
	}
	used, limit := d.status.DatabaseBytes, d.status.Limits.MaxDatabaseBytes
	if used*10 >= limit*9 {
		d.add("database size", OutcomeProblem,
			"let the sweeper remove old read mail (ipcd run --read-retention 24h), raise --max-db-size, then ipcd compact while the daemon is stopped",
			"the database is %s of its %s cap; sends fail with storage_full at the cap", cli.Bytes(used), cli.Bytes(limit))
	}
}

func (d *doctor) checkDatabase() {
	path := filepath.Join(d.loc.DataDir, paths.DBFile)
	if d.status != nil {
		d.add("database", OutcomeOK, "", "%s, %s, served by the daemon", path, cli.Bytes(d.status.DatabaseBytes))
		return
	}
	if !d.down {
		d.add("database", OutcomeNote, "", "not checked: the daemon runs but did not give its status")
		return
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		d.add("database", OutcomeNote, "", "%s does not exist yet; the daemon creates it", path)
		return
	}
	// In a child process first: a damaged file can make bbolt panic
	// where nothing catches it.
	if answer, problem, ran := checkDBChild(context.Background(), d.app.Env.Executable, path); ran {
		switch {
		case problem != nil:
			d.add("database", OutcomeProblem, "restore a backup made with ipcd backup, or move ipc.db and ipc.db-wal away to start empty", "%s: %v", path, problem)
			return
		case answer == checkDBLocked:
			d.add("database", OutcomeProblem,
				"another ipcd holds the database but does not answer on "+d.loc.Socket+": find it (ps -ef | grep 'ipcd run') and use its --socket, or stop it",
				"%s is locked by another process", path)
			return
		case strings.HasPrefix(answer, checkDBNewer):
			d.add("database", OutcomeProblem, "install the newer ipcd that wrote it", "%s: %s", path, strings.TrimSpace(strings.TrimPrefix(answer, checkDBNewer)))
			return
		}
		size := int64(0)
		if fi, err := os.Stat(path); err == nil {
			size = fi.Size()
		}
		d.add("database", OutcomeOK, "", "%s, %s, consistent (checked with the daemon stopped)", path, cli.Bytes(size))
		return
	}
	st, err := store.Open(path, store.Options{LockTimeout: time.Second})
	switch {
	case errors.Is(err, store.ErrLocked):
		d.add("database", OutcomeProblem,
			"another ipcd holds the database but does not answer on "+d.loc.Socket+": find it (ps -ef | grep 'ipcd run') and use its --socket, or stop it",
			"%s is locked by another process", path)
		return
	case errors.Is(err, store.ErrNewerSchema):
		d.add("database", OutcomeProblem, "install the newer ipcd that wrote it", "%s: %v", path, err)
		return
	case err != nil:
		d.add("database", OutcomeProblem, "restore a backup made with ipcd backup, or move ipc.db and ipc.db-wal away to start empty", "%s: %v", path, err)
		return
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		d.add("database", OutcomeProblem, "restore a backup made with ipcd backup, or move ipc.db and ipc.db-wal away to start empty", "%s is damaged: %v", path, err)
		return
	}
	d.add("database", OutcomeOK, "", "%s, %s, consistent (checked with the daemon stopped)", path, cli.Bytes(st.Size()))
}

// existingParent is dir, or its nearest ancestor that exists.
func existingParent(dir string) string {
	for {
		if _, err := os.Stat(dir); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			return dir
		}
		dir = up
	}
}
