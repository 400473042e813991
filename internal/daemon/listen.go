package daemon

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// ErrAlreadyRunning means a daemon already answers on the socket.
var ErrAlreadyRunning = errors.New("another ipcd already answers on this socket")

// MaxSocketPath is the longest Unix socket path every supported OS
// accepts (macOS allows 104 bytes including the terminating NUL).
const MaxSocketPath = 103

// ListenUnix listens on a Unix socket at path. A new parent directory is
// made 0700 and the socket is 0600. A socket file left by a daemon that
// died is removed; one that still answers is left alone (ErrAlreadyRunning).
func ListenUnix(path string) (net.Listener, error) {
	if len(path) > MaxSocketPath {
		return nil, fmt.Errorf("listen on %s: the path is %d bytes, over the %d a Unix socket allows; choose a shorter --socket",
			path, len(path), MaxSocketPath)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create socket dir: %w", err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if c, err := net.DialTimeout("unix", path, 500*time.Millisecond); err == nil {
			c.Close()
			return nil, fmt.Errorf("listen on %s: %w", path, ErrAlreadyRunning)
		}
		// Only a socket is the leftover of a daemon; a file or a directory
		// at the path is someone's, never removed.
		if fi.Mode().IsRegular() || fi.IsDir() {
			return nil, fmt.Errorf("listen on %s: something that is not a socket is there; move it away or choose another --socket", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove stale socket: %w", err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	if runtime.GOOS != "windows" {
		if err := os.Chmod(path, 0o600); err != nil {
			ln.Close()
			return nil, fmt.Errorf("restrict socket: %w", err)
		}
	}
	return ln, nil
}
