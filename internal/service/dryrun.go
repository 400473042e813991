package service

import (
	"fmt"
	"io"
	"strings"
)

// WriteDryRun prints what installing p would write and run: the service
// file's path and full content, or the Windows service settings.
func (p Plan) WriteDryRun(w io.Writer) error {
	var b strings.Builder
	if p.Platform == PlatformWindows {
		b.WriteString("Would create the Windows service:\n")
		field(&b, "name", p.Name)
		field(&b, "display name", p.DisplayName)
		field(&b, "description", p.Description)
		field(&b, "binary path", p.Executable)
		field(&b, "arguments", joinArgs(p.Arguments))
		field(&b, "start type", p.StartType)
		field(&b, "on failure", p.OnFailure+" after "+p.RestartDelay)
	} else {
		fmt.Fprintf(&b, "Would write %s:\n%s", p.Path, p.Content)
	}
	b.WriteString("Would then run:\n")
	for _, s := range p.installSteps() {
		b.WriteString("  " + s + "\n")
	}
	b.WriteString("Nothing was changed (--dry-run).\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// installSteps are the service manager commands an install runs after
// writing the file, for people to read (or run by hand).
func (p Plan) installSteps() []string {
	switch p.Platform {
	case PlatformSystemd:
		return []string{
			"systemctl --user enable " + UnitName,
			"systemctl --user daemon-reload",
			"systemctl --user start " + UnitName,
		}
	case PlatformLaunchd:
		return []string{"launchctl load " + quoteArg(p.Path)}
	case PlatformWindows:
		return []string{"sc.exe start " + p.Name}
	}
	return nil
}

func field(b *strings.Builder, name, value string) {
	fmt.Fprintf(b, "  %-14s%s\n", name+":", value)
}

func joinArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = quoteArg(a)
	}
	return strings.Join(q, " ")
}

// quoteArg quotes a word for display when it would not survive a shell as
// one word.
func quoteArg(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"'") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}
