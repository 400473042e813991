//go:build !darwin && !windows

package paths

import "path/filepath"

func defaultDataDir(getenv Getenv) (string, error) {
	if x := getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "ipcd"), nil
	}
	h, err := home(getenv)
	if err != nil {
		return "", err
	}
	return filepath.Join(h, ".local", "share", "ipcd"), nil
}

// defaultSocket prefers the per-user runtime dir, which systemd creates 0700
// and clears at logout; without it the socket lives in the data dir.
func defaultSocket(getenv Getenv, dataDir string) string {
	if x := getenv("XDG_RUNTIME_DIR"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "ipcd", SocketName)
	}
	return filepath.Join(dataDir, SocketName)
}
