// Package auth owns everything about who may talk to the daemon: the shared
// secret and where it comes from, single-use challenge nonces, session
// tokens (stored only as hashes), the peer user-id check on Unix sockets,
// and per-identity send rate limits.
package auth

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Secret is the shared secret and where it came from. Its String never
// shows the value, so it cannot leak into a log by accident.
type Secret struct {
	value  []byte
	Source string // "IPC_SHARED_SECRET", or the file's path
}

// Bytes returns the secret's value.
func (s Secret) Bytes() []byte { return s.value }

// String describes the secret without showing it.
func (s Secret) String() string { return "secret from " + s.Source }

// ErrNoSecret means no secret is set and none may be created.
var ErrNoSecret = errors.New("no shared secret")

// SecretOptions say where to look for the secret, in order: Env (the value
// of IPC_SHARED_SECRET), File (--secret-file or IPC_SECRET_FILE), Default
// (the data dir's secret file).
type SecretOptions struct {
	Env     string
	File    string
	Default string
	// Create makes Default, random and 0600, when no secret exists yet.
	// The daemon creates it; clients only read it.
	Create bool
}

// LoadSecret finds the shared secret.
func LoadSecret(o SecretOptions) (Secret, error) {
	if o.Env != "" {
		return Secret{value: []byte(o.Env), Source: "IPC_SHARED_SECRET"}, nil
	}
	if o.File != "" {
		return readSecretFile(o.File)
	}
	if o.Default == "" {
		return Secret{}, ErrNoSecret
	}
	s, err := readSecretFile(o.Default)
	if errors.Is(err, fs.ErrNotExist) && o.Create {
		return createSecretFile(o.Default)
	}
	return s, err
}

func readSecretFile(path string) (Secret, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Secret{}, fmt.Errorf("read secret file: %w", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return Secret{}, fmt.Errorf("read secret file: %s has mode %o, readable by other users; run: chmod 600 %s",
			path, fi.Mode().Perm(), path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return Secret{}, fmt.Errorf("read secret file: %w", err)
	}
	v := bytes.TrimSpace(raw)
	if len(v) == 0 {
		return Secret{}, fmt.Errorf("read secret file: %s is empty", path)
	}
	return Secret{value: v, Source: path}, nil
}

// createSecretFile writes 32 random bytes, hex-encoded so users can copy
// the secret as text (for another machine or WSL), with O_EXCL so two
// daemons starting at once cannot each write a different one.
func createSecretFile(path string) (Secret, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return Secret{}, fmt.Errorf("create secret file: %w", err)
	}
	buf := make([]byte, 32)
	rand.Read(buf)
	text := hex.EncodeToString(buf)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readSecretFile(path)
	}
	if err != nil {
		return Secret{}, fmt.Errorf("create secret file: %w", err)
	}
	if _, err := f.WriteString(text + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return Secret{}, fmt.Errorf("create secret file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return Secret{}, fmt.Errorf("create secret file: %w", err)
	}
	if err := f.Close(); err != nil {
		return Secret{}, fmt.Errorf("create secret file: %w", err)
	}
	return Secret{value: []byte(text), Source: path}, nil
}
