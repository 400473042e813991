package daemon

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ipcd/ipcd/internal/paths"
	"github.com/ipcd/ipcd/internal/store"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// writeLarge writes a large message's content to its own file under
// large-messages/, 0600, and returns the path. The name carries time,
// sender and recipient for people browsing the folder, and random bytes
// with O_EXCL so two messages can never share a file (the earlier tool's
// names collided within a second).
func (d *Daemon) writeLarge(from, to, content string) (string, error) {
	dir := filepath.Join(d.cfg.DataDir, paths.LargeDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", largeErr("create large-message dir", err)
	}
	rnd := make([]byte, 6)
	rand.Read(rnd)
	name := fmt.Sprintf("%s_%s_%s_%s.md", d.cfg.Clock.Now().UTC().Format("20060102-150405"), fileSafe(from), fileSafe(to), hex.EncodeToString(rnd))
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", largeErr("create large-message file", err)
	}
	if err := fillLarge(f, content); err != nil {
		os.Remove(path)
		return "", err
	}
	return path, nil
}

// fileSafe is name as a part of a file name. Callers pass valid names,
// which it returns unchanged; anything else (a path separator, "..") is
// made harmless, so that a file can never land outside its folder.
func fileSafe(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	if len(b) > protocol.MaxNameLength {
		b = b[:protocol.MaxNameLength]
	}
	return string(b)
}

// fillLarge writes content to f, syncs and closes it.
func fillLarge(f *os.File, content string) error {
	_, err := f.WriteString(content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return largeErr("write large-message file", err)
	}
	return nil
}

// largeErr makes a full disk storage_full, as the store does for its own
// writes, and wraps anything else for the log.
func largeErr(what string, err error) error {
	if store.IsDiskFull(err) {
		return protocol.Errorf(protocol.CodeStorageFull,
			"the disk that holds the data dir is full: the large message's file could not be written; free space there")
	}
	return fmt.Errorf("%s: %w", what, err)
}

// shape returns m as check and history show it: a large message becomes
// a summary pointing at its file unless the caller asked for everything.
func shape(m protocol.Message, full bool) protocol.Message {
	if full || m.Size <= protocol.LargeMessageBytes {
		return m
	}
	m.Content = cut(m.Content, protocol.SummaryBytes)
	m.Truncated = true
	return m
}
