package service

import (
	"os"
	"runtime"
	"strings"
)

// ManagedBy names the service manager that runs this process as ipcd's
// service: "systemd" (the process is in ipcd.service's cgroup), "launchd"
// (launchd runs it as the job dev.ipcd) or "windows" (the service control
// manager started it); "" when none does. A daemon reports it, so that
// "ipcd stop" leaves a service's daemon to its manager even where that
// manager cannot be reached (a shell under su, say).
func ManagedBy(getenv func(string) string) string {
	return managedBy(runtime.GOOS, getenv, os.ReadFile)
}

func managedBy(goos string, getenv func(string) string, readFile func(string) ([]byte, error)) string {
	switch goos {
	case "windows":
		if UnderWindowsSCM() {
			return "windows"
		}
	case "darwin":
		if getenv("XPC_SERVICE_NAME") == LaunchdLabel {
			return "launchd"
		}
	case "linux":
		// INVOCATION_ID alone is not enough: a terminal that systemd
		// runs as a service passes it on to every shell in it.
		if getenv("INVOCATION_ID") == "" {
			return ""
		}
		b, err := readFile("/proc/self/cgroup")
		if err != nil {
			return ""
		}
		for line := range strings.Lines(string(b)) {
			if strings.HasSuffix(strings.TrimSpace(line), "/"+UnitName) {
				return "systemd"
			}
		}
	}
	return ""
}
