package cli

import (
	"errors"
	"io/fs"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ipcd/ipcd/internal/auth"
	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/paths"
)

// Location is where a daemon lives: flags, then environment, then the OS
// defaults. Both binaries resolve it the same way, so they meet.
type Location struct {
	DataDir string
	Socket  string
	// SecretFile is --secret-file or $IPC_SECRET_FILE, if set.
	SecretFile string
}

// LocationFlags are the flags every command that talks to or runs a
// daemon takes.
type LocationFlags struct {
	DataDir    string
	Socket     string
	SecretFile string
}

// Add registers --data-dir and --socket (and --secret-file if secret).
func (f *LocationFlags) Add(cmd *cobra.Command, secret bool) {
	cmd.PersistentFlags().StringVar(&f.DataDir, "data-dir", "", "data directory (default $IPC_DATA_DIR, else the OS default)")
	cmd.PersistentFlags().StringVar(&f.Socket, "socket", "", "daemon socket path, or tcp://HOST:PORT (default $IPC_SOCKET, else the OS default)")
	if secret {
		cmd.PersistentFlags().StringVar(&f.SecretFile, "secret-file", "", "shared secret file (default $IPC_SECRET_FILE, else DATA_DIR/secret)")
	}
}

// Resolve applies the precedence flag > environment > default.
func (f LocationFlags) Resolve(getenv func(string) string) (Location, error) {
	env := getenv
	if f.DataDir != "" || f.Socket != "" {
		env = func(k string) string {
			switch {
			case k == paths.EnvDataDir && f.DataDir != "":
				return f.DataDir
			case k == paths.EnvSocket && f.Socket != "":
				return f.Socket
			}
			return getenv(k)
		}
	}
	dir, err := paths.DataDir(env)
	if err != nil {
		return Location{}, err
	}
	sock := paths.Socket(env, dir)
	if s := env(paths.EnvSocket); len(s) > 6 && s[:6] == "tcp://" {
		sock = s
	}
	secretFile := f.SecretFile
	if secretFile == "" {
		secretFile = getenv(paths.EnvSecretFile)
	}
	return Location{DataDir: dir, Socket: sock, SecretFile: secretFile}, nil
}

// SecretOptions says where this location's secret is.
func (l Location) SecretOptions(getenv func(string) string, create bool) auth.SecretOptions {
	return auth.SecretOptions{
		Env:     getenv(paths.EnvSecret),
		File:    l.SecretFile,
		Default: filepath.Join(l.DataDir, paths.SecretFile),
		Create:  create,
	}
}

// Sessions is where clients save tokens for this location.
func (l Location) Sessions() client.FileSessions {
	return client.FileSessions{Dir: filepath.Join(l.DataDir, paths.SessionsDir)}
}

// ClientOptions builds client options: the secret is read when a
// registration needs it; no secret at all means the client tries open mode.
func (l Location) ClientOptions(getenv func(string) string) client.Options {
	return client.Options{
		Socket:   l.Socket,
		Sessions: l.Sessions(),
		Secret: func() ([]byte, error) {
			s, err := auth.LoadSecret(l.SecretOptions(getenv, false))
			if errors.Is(err, auth.ErrNoSecret) || errors.Is(err, fs.ErrNotExist) {
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			return s.Bytes(), nil
		},
	}
}
