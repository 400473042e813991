package service

import (
	"errors"
	"testing"
)

// A daemon says it runs as ipcd's service only when it does: a shell in a
// terminal that systemd runs, or a launchd job of another label, is not.
func TestManagedBy(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cgroup := func(s string) func(string) ([]byte, error) {
		return func(string) ([]byte, error) { return []byte(s), nil }
	}
	noFile := func(string) ([]byte, error) { return nil, errors.New("no file") }
	tests := []struct {
		name, goos string
		env        map[string]string
		read       func(string) ([]byte, error)
		want       string
	}{
		{"systemd unit", "linux", map[string]string{"INVOCATION_ID": "abc"},
			cgroup("0::/user.slice/user-1000.slice/user@1000.service/app.slice/ipcd.service\n"), "systemd"},
		{"terminal run by systemd", "linux", map[string]string{"INVOCATION_ID": "abc"},
			cgroup("0::/user.slice/user-1000.slice/user@1000.service/app.slice/gnome-terminal-server.service\n"), ""},
		{"no invocation id", "linux", nil, cgroup("0::/user.slice/x/ipcd.service\n"), ""},
		{"no cgroup file", "linux", map[string]string{"INVOCATION_ID": "abc"}, noFile, ""},
		{"launchd job", "darwin", map[string]string{"XPC_SERVICE_NAME": LaunchdLabel}, noFile, "launchd"},
		{"terminal on macOS", "darwin", map[string]string{"XPC_SERVICE_NAME": "0"}, noFile, ""},
		{"windows, not under the SCM", "windows", nil, noFile, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := managedBy(tt.goos, env(tt.env), tt.read); got != tt.want {
				t.Errorf("managedBy = %q, want %q", got, tt.want)
			}
		})
	}
}
