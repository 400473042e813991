package service

import (
	"path"
	"strconv"
	"strings"
)

// renderLaunchd writes the LaunchAgent. RunAtLoad starts it at login and on
// "launchctl load"; KeepAlive with SuccessfulExit=false restarts it only
// after a failure, ThrottleInterval matches the systemd RestartSec.
func renderLaunchd(cfg Config, args []string) Plan {
	logFile := path.Join(cfg.Home, "Library", "Logs", "ipcd.log")
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n")
	b.WriteString(`<plist version="1.0">` + "\n<dict>\n")
	plistKey(&b, "Label", "<string>"+LaunchdLabel+"</string>")
	b.WriteString("\t<key>ProgramArguments</key>\n\t<array>\n")
	for _, a := range append([]string{cfg.Executable}, args...) {
		b.WriteString("\t\t<string>" + xmlEscape(a) + "</string>\n")
	}
	b.WriteString("\t</array>\n")
	plistKey(&b, "RunAtLoad", "<true/>")
	b.WriteString("\t<key>KeepAlive</key>\n\t<dict>\n\t\t<key>SuccessfulExit</key>\n\t\t<false/>\n\t</dict>\n")
	plistKey(&b, "ThrottleInterval", "<integer>"+strconv.Itoa(restartSec)+"</integer>")
	plistKey(&b, "Umask", "<integer>63</integer>") // 077: files the daemon creates are the user's alone
	plistKey(&b, "StandardOutPath", "<string>"+xmlEscape(logFile)+"</string>")
	plistKey(&b, "StandardErrorPath", "<string>"+xmlEscape(logFile)+"</string>")
	b.WriteString("</dict>\n</plist>\n")
	return Plan{
		Platform:    PlatformLaunchd,
		Name:        LaunchdLabel,
		DisplayName: displayName,
		Description: description,
		Path:        path.Join(cfg.Home, "Library", "LaunchAgents", LaunchdLabel+".plist"),
		Content:     b.String(),
		Executable:  cfg.Executable,
		Arguments:   args,
	}
}

func plistKey(b *strings.Builder, key, value string) {
	b.WriteString("\t<key>" + key + "</key>\n\t" + value + "\n")
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

func xmlEscape(s string) string { return xmlEscaper.Replace(s) }
