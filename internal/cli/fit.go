package cli

import (
	"sort"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// MailBudget bounds the text one check or wait hands an AI, in bytes. AI
// clients cut what a tool or a shell command returns (Claude Code: a
// shell command's output past 30,000 characters, an MCP result past
// 25,000 tokens); mail cut that way would be marked read but never read.
const MailBudget = 20000

// FitMail keeps the oldest messages of res whose text, as render writes
// it, fits in budget bytes. The rest stay unread: Through becomes the last
// message kept (what gets acknowledged) and More is set. At least one
// message is kept, so that mail always moves; fits reports whether even
// that one fits.
func FitMail(res protocol.CheckResponse, budget int, render func(protocol.CheckResponse) string) (kept protocol.CheckResponse, fits bool) {
	n := len(res.Messages)
	if n == 0 || len(render(res)) <= budget {
		return res, true
	}
	// The text grows with each message kept: find the most that fit.
	k := sort.Search(n, func(i int) bool { return len(render(firstMail(res, i+1))) > budget })
	if k == 0 {
		return firstMail(res, 1), false
	}
	return firstMail(res, k), true
}

// firstMail is res cut to its first k messages.
func firstMail(res protocol.CheckResponse, k int) protocol.CheckResponse {
	if k >= len(res.Messages) {
		return res
	}
	part := res
	part.Messages = res.Messages[:k]
	part.More = true
	part.Through = res.Messages[k-1].Seq
	return part
}
