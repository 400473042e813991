package service

import (
	"path"
	"strings"
)

// renderSystemd writes the user unit. default.target is what a user
// manager reaches at login (multi-user.target does not exist there), and a
// crash is retried after seconds, not minutes.
func renderSystemd(cfg Config, args []string) Plan {
	words := make([]string, 0, len(args)+1)
	words = append(words, systemdExec(cfg.Executable))
	for _, a := range args {
		words = append(words, systemdArg(a))
	}
	var b strings.Builder
	b.WriteString("# ipcd as a systemd user service. \"ipcd install\" writes this file to\n")
	b.WriteString("# ~/.config/systemd/user/" + UnitName + "; see docs/operations.md.\n")
	b.WriteString("# The shared secret stays in its 0600 file in the data dir, never here.\n")
	b.WriteString("[Unit]\n")
	b.WriteString("Description=" + description + "\n")
	b.WriteString("Documentation=" + docsURL + "\n")
	b.WriteString("\n[Service]\n")
	b.WriteString("Type=simple\n")
	b.WriteString("ExecStart=" + strings.Join(words, " ") + "\n")
	b.WriteString("Restart=on-failure\n")
	b.WriteString("RestartSec=3s\n")
	b.WriteString("UMask=0077\n")
	b.WriteString("NoNewPrivileges=yes\n")
	b.WriteString("\n[Install]\n")
	b.WriteString("WantedBy=default.target\n")
	return Plan{
		Platform:    PlatformSystemd,
		Name:        strings.TrimSuffix(UnitName, ".service"),
		DisplayName: displayName,
		Description: description,
		Path:        path.Join(cfg.Home, ".config", "systemd", "user", UnitName),
		Content:     b.String(),
		Executable:  cfg.Executable,
		Arguments:   args,
	}
}

// systemdUnsafe are the characters systemd refuses in the executable of a
// command line, quoted or not ("Executable name contains special
// characters").
const systemdUnsafe = "\"'\\"

// systemdExec makes path the first word of a systemd command line. systemd
// expands % specifiers in it but not $ variables.
func systemdExec(path string) string {
	path = strings.ReplaceAll(path, "%", "%%")
	if strings.ContainsAny(path, " \t") {
		return `"` + path + `"`
	}
	return path
}

// systemdArg makes s one argument of a systemd command line: % and $ would
// otherwise be expanded as specifiers and variables, and whitespace, quotes
// and backslashes would split or unescape the word.
func systemdArg(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	s = strings.ReplaceAll(s, "$", "$$")
	if s != "" && s != ";" && !strings.ContainsAny(s, " \t\"'\\") {
		return s
	}
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `"`, `\"`)
	return `"` + s + `"`
}
