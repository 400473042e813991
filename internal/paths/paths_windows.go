package paths

import (
	"errors"
	"path/filepath"
)

func defaultDataDir(getenv Getenv) (string, error) {
	if l := getenv("LOCALAPPDATA"); l != "" {
		return filepath.Join(l, "ipcd"), nil
	}
	h, err := home(getenv)
	if err != nil {
		return "", errors.New("find data directory: set LOCALAPPDATA or IPC_DATA_DIR")
	}
	return filepath.Join(h, "AppData", "Local", "ipcd"), nil
}

func defaultSocket(_ Getenv, dataDir string) string {
	return filepath.Join(dataDir, SocketName)
}
