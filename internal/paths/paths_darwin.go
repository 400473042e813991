package paths

import "path/filepath"

func defaultDataDir(getenv Getenv) (string, error) {
	h, err := home(getenv)
	if err != nil {
		return "", err
	}
	return filepath.Join(h, "Library", "Application Support", "ipcd"), nil
}

func defaultSocket(_ Getenv, dataDir string) string {
	return filepath.Join(dataDir, SocketName)
}
