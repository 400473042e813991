// Package setup writes ipcd into the configuration files of the AI clients
// (Claude Code, Gemini CLI, Cursor, Claude Desktop, Codex), which is what
// `ipc-mcp setup CLIENT` does.
//
// Each client gets an MCP server entry named "ipc" that launches this
// ipc-mcp binary, and where the client runs hooks that ipc-mcp knows how to
// answer (Claude Code, Gemini CLI), the `ipc-mcp hook` auto-check. The edit
// is a merge: other servers, other keys, comments and layout stay as they
// were; running it twice changes nothing; a changed file is first copied to
// FILE.ipcd-backup-YYYYmmdd-HHMMSS; a file that cannot be parsed is left
// alone. Plan computes the new contents without writing anything, so a dry
// run and the real run show the same change.
package setup
