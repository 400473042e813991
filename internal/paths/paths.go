// Package paths decides where ipcd keeps its data and its socket on each OS,
// and applies the IPC_DATA_DIR and IPC_SOCKET overrides. The daemon and its
// clients call the same functions, so they meet at the same socket.
package paths

import (
	"errors"
	"os"
	"path/filepath"
)

// Environment variables that override the defaults.
const (
	EnvDataDir    = "IPC_DATA_DIR"
	EnvSocket     = "IPC_SOCKET"
	EnvSecret     = "IPC_SHARED_SECRET"
	EnvSecretFile = "IPC_SECRET_FILE"
	EnvName       = "IPC_NAME"
)

// Files inside the data dir.
const (
	DBFile        = "ipc.db"
	SecretFile    = "secret"
	LargeDir      = "large-messages"
	SessionsDir   = "sessions"
	SocketName    = "ipcd.sock"
	DaemonLogFile = "ipcd.log"
)

// Getenv looks up an environment variable; tests pass a map's lookup.
type Getenv func(string) string

// DataDir returns the data dir: $IPC_DATA_DIR, else the OS default.
func DataDir(getenv Getenv) (string, error) {
	if d := getenv(EnvDataDir); d != "" {
		return filepath.Abs(d)
	}
	return defaultDataDir(getenv)
}

// Socket returns the socket path: $IPC_SOCKET, else the OS default for a
// daemon whose data dir is dataDir.
func Socket(getenv Getenv, dataDir string) string {
	if s := getenv(EnvSocket); s != "" {
		if abs, err := filepath.Abs(s); err == nil {
			return abs
		}
		return s
	}
	return defaultSocket(getenv, dataDir)
}

// home returns the user's home directory, preferring $HOME so tests can
// move it.
func home(getenv Getenv) (string, error) {
	if h := getenv("HOME"); h != "" {
		return h, nil
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return "", errors.New("find home directory: set HOME or IPC_DATA_DIR")
	}
	return h, nil
}

// NameFile is the file name, before its extension, that the files kept per
// name (session tokens, MCP servers' name locks) use for name, a valid
// name. Names differ by case ("Carol" is not "carol") but the file systems
// of macOS and Windows do not, so each capital letter is written as '+'
// and the small letter: "Carol" -> "+carol". A name without capitals is
// its own file name.
func NameFile(name string) string {
	n := 0
	for i := 0; i < len(name); i++ {
		if 'A' <= name[i] && name[i] <= 'Z' {
			n++
		}
	}
	if n == 0 {
		return name
	}
	b := make([]byte, 0, len(name)+n)
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			b = append(b, '+', c+'a'-'A')
			continue
		}
		b = append(b, c)
	}
	return string(b)
}
