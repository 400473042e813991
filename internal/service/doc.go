// Package service installs and controls ipcd as a per-user service: a
// systemd user unit on Linux, a launchd LaunchAgent on macOS and a service of
// the Windows service control manager. It owns the service files (rendered
// by Render, the same bytes that --dry-run prints and that deploy/ ships),
// the install/uninstall/start/stop/restart commands, the service state that
// "ipcd status" and "ipcd doctor" show, and RunAsService, which lets "ipcd
// run" report to the Windows SCM. The OS service manager sits behind the
// Manager interface; the production one wraps github.com/kardianos/service.
package service
