package setup

import (
	"fmt"
	"strings"
)

// hookStyle is how a client declares command hooks: under "hooks", each
// event holds a list of groups {matcher?, hooks: [handler...]}.
type hookStyle struct {
	events []string
	// handler is the entry ipcd wants for command; setup sets exactly these
	// keys on an existing ipcd handler and leaves any other key alone.
	handler func(command string) object
}

// claudeHooks: UserPromptSubmit delivers due mail with the user's prompt,
// Stop lets the agent go on to read unread mail (the hook guards against
// loops with stop_hook_active), SessionStart greets a new session with its
// inbox. Claude Code's timeout is in seconds.
var claudeHooks = hookStyle{
	events: []string{"SessionStart", "UserPromptSubmit", "Stop"},
	handler: func(command string) object {
		return object{
			{"type", "command"},
			{"command", command},
			{"timeout", 10},
		}
	},
}

// geminiHooks are the same three moments in Gemini CLI's names. Its timeout
// is in milliseconds, and "name" is what /hooks enable|disable take.
var geminiHooks = hookStyle{
	events: []string{"SessionStart", "BeforeAgent", "AfterAgent"},
	handler: func(command string) object {
		return object{
			{"name", "ipcd"},
			{"type", "command"},
			{"command", command},
			{"timeout", 10000},
			{"description", "Delivers due ipcd messages into the conversation"},
		}
	},
}

// hookCommand is the shell command a client runs for the auto-check.
func hookCommand(goos, exe, name string) string {
	cmd := shellQuote(goos, exe) + " hook"
	if name != "" {
		cmd += " --as " + name // names are [A-Za-z0-9_-]: nothing to quote
	}
	return cmd
}

// hookPathProblem refuses a Windows program path that no quoting makes
// safe for both shells that may run the hook: Git Bash expands $ and the
// backquote inside double quotes, and cmd.exe expands %NAME%.
func hookPathProblem(goos, exe string) error {
	if goos == "windows" && strings.ContainsAny(exe, "$%`") {
		return fmt.Errorf("the path of ipc-mcp, %s, holds $, %% or a backquote, which the shells that run hooks expand even in quotes; install ipc-mcp in a plainer folder, or pass --no-hooks", exe)
	}
	return nil
}

// shellQuote quotes p as a program path for the shell that runs hooks: sh
// on Unix; on Windows, Git Bash (Claude Code) or cmd.exe, which both accept
// forward slashes and double quotes.
func shellQuote(goos, p string) string {
	if goos == "windows" {
		p = strings.ReplaceAll(p, `\`, "/")
		if strings.ContainsAny(p, " \t&()[]{}^=;!'+,`~$%#") {
			return `"` + p + `"`
		}
		return p
	}
	if p != "" && strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:@%=,") == "" {
		return p
	}
	return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
}

// isIpcdHook reports whether a hook command runs `ipc-mcp hook`: setup's own
// earlier entry, perhaps written for a binary that has moved since.
func isIpcdHook(command, exe string) bool {
	words := shellWords(command, 2)
	if len(words) < 2 || words[1] != "hook" {
		return false
	}
	base := baseName(words[0])
	return base == "ipc-mcp" || base == "ipc-mcp.exe" || base == baseName(exe)
}

// hookName is the name an ipcd hook command acts as ("" for none).
func hookName(command string) string {
	words := shellWords(command, 4)
	if len(words) == 4 && words[2] == "--as" {
		return words[3]
	}
	return ""
}

// baseName is the last element of a Unix or Windows path.
func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// shellWords splits the first n words of a shell command, undoing single
// quotes, double quotes and backslashes the way sh would.
func shellWords(s string, n int) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s) && len(words) < n; i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			inWord = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return words
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			inWord = true
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
		case c == '\\' && i+1 < len(s):
			inWord = true
			i++
			cur.WriteByte(s[i])
		default:
			inWord = true
			cur.WriteByte(c)
		}
	}
	if inWord && len(words) < n {
		words = append(words, cur.String())
	}
	return words
}
