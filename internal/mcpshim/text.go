package mcpshim

import (
	"fmt"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ipcd/ipcd/internal/cli"
)

// instructions tell the AI what the server is for and how people ask.
func instructions(name string) string {
	s := `ipc lets AI assistants on this machine message each other through the ipcd daemon; mail waits until it is read.
Everyday phrasing and the tool it means:
- "register this instance as claude" -> register
- "send a message to fred: ...", "msg barney: ...", "send to claude: ...", "tell nessa ..." -> send (to, message)
- "check my messages", "msgs?", "any messages?", "inbox" -> check
- "broadcast: team meeting in 5", "tell everyone ..." -> broadcast
- "list instances", "who's online?" -> list_instances
- "rename to fred-debugging" -> rename
- "wait for a reply", "wait for messages" -> wait_for_messages
- "start auto checking [N]", "stop auto checking", "auto check status", "is auto checking on?" -> auto_check
- "show old messages", "message history" -> history
Every result says when unread mail is waiting; read it with check.`
	if name != "" {
		s += "\nThis instance registers as " + name + " at start-up."
	}
	return s
}

// result is a tool result with readable text; the SDK adds the typed
// output as structured content.
func result(text string, unread int) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text + unreadHint(unread)}}}
}

// unreadHint is the sentence every result ends with when mail waits.
func unreadHint(n int) string {
	switch {
	case n <= 0:
		return ""
	case n == 1:
		return "\n\nYou have 1 unread message: call check to read it."
	default:
		return fmt.Sprintf("\n\nYou have %d unread messages: call check to read them.", n)
	}
}

// mailText writes messages for people: sender, age, id, content.
func mailText(ms []Message, none string, now time.Time) string {
	if len(ms) == 0 {
		return none
	}
	var b strings.Builder
	for i, m := range ms {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(cli.MailHeader(now, m.From, m.SentAt, m.ID, m.Broadcast, m.SentTo, m.ReplyTo) + "\n")
		for _, line := range strings.Split(strings.TrimRight(m.Content, "\n"), "\n") {
			b.WriteString("  " + line + "\n")
		}
		switch {
		case m.Truncated:
			fmt.Fprintf(&b, "  [... %s in all. Full text in %s (or check with full=true)]\n", cli.Bytes(int64(m.Size)), m.File)
		case m.File != "":
			fmt.Fprintf(&b, "  [also saved to %s]\n", m.File)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}
