package client

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ipcd/ipcd/internal/paths"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// SessionStore keeps session tokens per name between runs, so several
// shell-driven AIs under one OS user do not overwrite each other.
type SessionStore interface {
	Load(name string) (string, error)
	Save(name, token string) error
	Delete(name string) error
}

// MemorySessions keeps tokens for the life of the process.
type MemorySessions struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *MemorySessions) Load(name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[name], nil
}

func (s *MemorySessions) Save(name, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]string{}
	}
	s.m[name] = token
	return nil
}

func (s *MemorySessions) Delete(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, name)
	return nil
}

// FileSessions keeps one 0600 file per name in Dir, and in Dir/last the
// name a person or shell AI last registered with `ipc-mcp register` (the
// default of --as). Only that command sets it (SetLast): MCP servers and
// hooks of other AIs save their tokens here too, and must not switch a
// shell AI's default name to theirs.
type FileSessions struct{ Dir string }

func (s FileSessions) path(name string) (string, error) {
	if err := protocol.ValidateName(name); err != nil {
		return "", err
	}
	return filepath.Join(s.Dir, paths.NameFile(name)+".token"), nil
}

func (s FileSessions) Load(name string) (string, error) {
	p, err := s.path(name)
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return s.loadEarlier(name), nil
	}
	return strings.TrimSpace(string(b)), err
}

// loadEarlier reads the token that an ipc-mcp of before paths.NameFile
// saved for a name with capitals, as NAME.token, so that an upgrade keeps
// the session. Where the file system ignores case, that file may be the
// token of the same name in small letters, and it is not read.
func (s FileSessions) loadEarlier(name string) string {
	earlier := s.earlierFile(name)
	if earlier == "" {
		return ""
	}
	b, err := os.ReadFile(earlier)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// earlierFile is the token file an earlier ipc-mcp wrote for name, if
// there is one and the file system tells it from the small-letter name's.
func (s FileSessions) earlierFile(name string) string {
	if paths.NameFile(name) == name {
		return ""
	}
	earlier := filepath.Join(s.Dir, name+".token")
	fi, err := os.Stat(earlier)
	if err != nil {
		return ""
	}
	if low, err := os.Stat(filepath.Join(s.Dir, strings.ToLower(name)+".token")); err == nil && os.SameFile(fi, low) {
		return ""
	}
	return earlier
}

// Save writes the token.
func (s FileSessions) Save(name, token string) error {
	p, err := s.path(name)
	if err != nil {
		return err
	}
	if err := writePrivate(p, token+"\n"); err != nil {
		return err
	}
	// An earlier file for the name is stale now.
	if earlier := s.earlierFile(name); earlier != "" {
		_ = os.Remove(earlier)
	}
	return nil
}

// SetLast records name as the default of --as.
func (s FileSessions) SetLast(name string) error {
	if err := protocol.ValidateName(name); err != nil {
		return err
	}
	return writePrivate(filepath.Join(s.Dir, "last"), name+"\n")
}

func (s FileSessions) Delete(name string) error {
	p, err := s.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if earlier := s.earlierFile(name); earlier != "" {
		_ = os.Remove(earlier)
	}
	return nil
}

// Last returns the name SetLast recorded, or "".
func (s FileSessions) Last() string {
	b, err := os.ReadFile(filepath.Join(s.Dir, "last"))
	if err != nil {
		return ""
	}
	name := strings.TrimSpace(string(b))
	if protocol.ValidateName(name) != nil {
		return ""
	}
	return name
}

// writePrivate replaces path atomically with a 0600 file.
func writePrivate(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create sessions dir: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
