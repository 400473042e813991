// Package importer brings mail over from the earlier Python tool ("Claude IPC
// MCP" v2), whose broker kept its state in ~/.claude-ipc-data/messages.db.
//
// Read opens that SQLite database read-only, never writing to it, and turns
// its rows into names and unread messages, checking each against ipcd's rules
// (names, message size, JSON data) and noting what it had to change or leave
// out. Run hands the result to a Target (the daemon) in batches. Every message
// carries a stable key derived from its row, so importing twice changes
// nothing the second time.
package importer
