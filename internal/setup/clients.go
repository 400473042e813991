package setup

import (
	"errors"
	"path"
	"strings"
)

// ServerKey is the name of ipcd's entry among a client's MCP servers.
const ServerKey = "ipc"

// ErrUnknownClient is returned for a client name setup does not know.
var ErrUnknownClient = errors.New("unknown client")

// Client names, as typed after `ipc-mcp setup`.
const (
	ClaudeCode    = "claude-code"
	Gemini        = "gemini"
	Cursor        = "cursor"
	ClaudeDesktop = "claude-desktop"
	Codex         = "codex"
)

// clientInfo describes one supported client.
type clientInfo struct {
	name  string
	title string
	// files lists the files setup edits, in the order it edits them.
	files func(o *Options, req Request) []fileSpec
}

// fileSpec is one configuration file and what ipcd puts in it.
type fileSpec struct {
	path   string
	format format
	server *serverStyle // nil: no MCP server entry in this file
	hooks  *hookStyle   // nil: no hooks in this file
}

type format int

const (
	formatJSON format = iota // JSON, comments and trailing commas tolerated
	formatTOML
)

// serverStyle is how a JSON client spells an MCP server entry.
type serverStyle struct {
	withType   bool // "type": "stdio" (what `claude mcp add` writes)
	alwaysEnv  bool // "env": {} even without a name
	serversKey string
}

var clients = []clientInfo{
	{name: ClaudeCode, title: "Claude Code", files: claudeCodeFiles},
	{name: Gemini, title: "Gemini CLI", files: geminiFiles},
	{name: Cursor, title: "Cursor", files: cursorFiles},
	{name: ClaudeDesktop, title: "Claude Desktop", files: claudeDesktopFiles},
	{name: Codex, title: "Codex", files: codexFiles},
}

// ClientNames lists the supported clients in the order --list shows them.
func ClientNames() []string {
	names := make([]string, len(clients))
	for i, c := range clients {
		names[i] = c.name
	}
	return names
}

func lookupClient(name string) (*clientInfo, error) {
	for i := range clients {
		if clients[i].name == name {
			return &clients[i], nil
		}
	}
	return nil, usagef("%w %q: choose one of %s", ErrUnknownClient, name, strings.Join(ClientNames(), ", "))
}

// claudeCodeFiles: the MCP server goes where `claude mcp add --scope user`
// puts it (top-level "mcpServers" of ~/.claude.json); hooks live in the
// user settings file. CLAUDE_CONFIG_DIR moves both.
func claudeCodeFiles(o *Options, _ Request) []fileSpec {
	dir := o.Getenv("CLAUDE_CONFIG_DIR")
	configFile := joinFor(o.GOOS, o.Home, ".claude.json")
	settingsDir := joinFor(o.GOOS, o.Home, ".claude")
	if dir != "" {
		configFile = joinFor(o.GOOS, dir, ".claude.json")
		settingsDir = dir
	}
	return []fileSpec{
		{path: configFile, format: formatJSON, server: &serverStyle{withType: true, alwaysEnv: true, serversKey: "mcpServers"}},
		{path: joinFor(o.GOOS, settingsDir, "settings.json"), format: formatJSON, hooks: &claudeHooks},
	}
}

func geminiFiles(o *Options, _ Request) []fileSpec {
	return []fileSpec{{
		path:   joinFor(o.GOOS, o.Home, ".gemini", "settings.json"),
		format: formatJSON,
		server: &serverStyle{serversKey: "mcpServers"},
		hooks:  &geminiHooks,
	}}
}

// cursorFiles: the global file, or with --project the one of a project.
func cursorFiles(o *Options, req Request) []fileSpec {
	p := joinFor(o.GOOS, o.Home, ".cursor", "mcp.json")
	if req.Project {
		dir := req.Dir
		if dir == "" {
			dir = o.WorkDir
		}
		p = joinFor(o.GOOS, dir, ".cursor", "mcp.json")
	}
	return []fileSpec{{path: p, format: formatJSON, server: &serverStyle{serversKey: "mcpServers"}}}
}

func claudeDesktopFiles(o *Options, _ Request) []fileSpec {
	return []fileSpec{{
		path:   ClaudeDesktopConfig(o.GOOS, o.Home, o.Getenv),
		format: formatJSON,
		server: &serverStyle{serversKey: "mcpServers"},
	}}
}

func codexFiles(o *Options, _ Request) []fileSpec {
	dir := o.Getenv("CODEX_HOME")
	if dir == "" {
		dir = joinFor(o.GOOS, o.Home, ".codex")
	}
	return []fileSpec{{path: joinFor(o.GOOS, dir, "config.toml"), format: formatTOML, server: &serverStyle{}}}
}

// ClaudeDesktopConfig is where Claude Desktop keeps its configuration on
// goos: the Electron "appData" directory plus Claude/claude_desktop_config.json.
func ClaudeDesktopConfig(goos, home string, getenv func(string) string) string {
	const file = "claude_desktop_config.json"
	switch goos {
	case "darwin":
		return joinFor(goos, home, "Library", "Application Support", "Claude", file)
	case "windows":
		if appData := getenv("APPDATA"); appData != "" {
			return joinFor(goos, appData, "Claude", file)
		}
		return joinFor(goos, home, "AppData", "Roaming", "Claude", file)
	default:
		if x := getenv("XDG_CONFIG_HOME"); x != "" && isAbs(goos, x) {
			return joinFor(goos, x, "Claude", file)
		}
		return joinFor(goos, home, ".config", "Claude", file)
	}
}

// joinFor joins path elements with the separator of goos, so that paths of
// any OS can be computed (and tested) on any OS.
func joinFor(goos string, elem ...string) string {
	if goos != "windows" {
		return path.Join(elem...)
	}
	parts := make([]string, 0, len(elem))
	for i, e := range elem {
		e = strings.ReplaceAll(e, "/", `\`)
		if i > 0 {
			e = strings.Trim(e, `\`)
		} else if t := strings.TrimRight(e, `\`); t != "" {
			e = t
		}
		if e != "" {
			parts = append(parts, e)
		}
	}
	return strings.Join(parts, `\`)
}

// isAbs reports whether p is absolute on goos.
func isAbs(goos, p string) bool {
	if goos != "windows" {
		return strings.HasPrefix(p, "/")
	}
	if strings.HasPrefix(p, `\\`) || strings.HasPrefix(p, "//") {
		return true // UNC
	}
	return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}
