package setup

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// BackupSuffix starts the name of a backup: FILE.ipcd-backup-YYYYmmdd-HHMMSS.
const BackupSuffix = ".ipcd-backup-"

// Applied is what Apply did to one file.
type Applied struct {
	Path    string
	Backup  string // the copy of the previous contents; "" for a new file
	Created bool
}

// Apply writes every changed file of c. An existing file is first copied to
// a backup (0600) named after now, then replaced in one rename, keeping its
// permissions; a new file is created 0600, its missing directories 0700.
// If a file no longer holds what Plan read, nothing is written (ErrChanged).
func (c *Change) Apply(now time.Time) ([]Applied, error) {
	for _, f := range c.Files {
		if !f.Changed() {
			continue
		}
		if err := f.unchanged(); err != nil {
			return nil, err
		}
	}
	var done []Applied
	for _, f := range c.Files {
		if !f.Changed() {
			continue
		}
		a := Applied{Path: f.Path, Created: !f.Existed}
		if err := os.MkdirAll(filepath.Dir(f.Path), 0o700); err != nil {
			return done, fmt.Errorf("create directory for %s: %w", f.Path, err)
		}
		if f.Existed {
			b, err := writeBackup(f.Path, f.Before, now)
			if err != nil {
				return done, err
			}
			a.Backup = b
		}
		// Checked again right before the rename: a client that wrote the
		// file while the backup and the new file were synced keeps its
		// change (only the moment of the rename itself is left open).
		if err := writeAtomic(f.Path, f.After, f.Mode, f.unchanged); err != nil {
			return done, err
		}
		done = append(done, a)
	}
	return done, nil
}

// writeBackup copies data next to path, never overwriting an older backup.
func writeBackup(path string, data []byte, now time.Time) (string, error) {
	base := path + BackupSuffix + now.Format("20060102-150405")
	for i := 1; ; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) && i < 100 {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("back up %s: %w", path, err)
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return "", fmt.Errorf("back up %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return "", fmt.Errorf("back up %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return "", fmt.Errorf("back up %s: %w", path, err)
		}
		return name, nil
	}
}

// unchanged reports ErrChanged if the file no longer holds what Plan read.
func (f *FileChange) unchanged() error {
	cur, err := os.ReadFile(f.Path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s: %w", f.Path, err)
	}
	if exists != f.Existed || !bytes.Equal(cur, f.Before) {
		return fmt.Errorf("write %s: %w; run setup again", f.Path, ErrChanged)
	}
	return nil
}

// writeAtomic replaces path with data through a temporary file in the same
// directory, so a reader sees the old file or the new one, never half;
// check, if set, runs last before the rename and can stop it.
func writeAtomic(path string, data []byte, mode fs.FileMode, check func() error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".ipcd-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if check != nil {
		if err := check(); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
