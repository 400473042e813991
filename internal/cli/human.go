package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// Ago says how long before now t was, the way people say it: "just now",
// "5 minutes ago", "2 days ago".
func Ago(now, t time.Time) string {
	d := now.Sub(t)
	if d < 0 {
		d = 0
	}
	unit := func(n int64, name string) string {
		if n == 1 {
			return "1 " + name + " ago"
		}
		return fmt.Sprintf("%d %ss ago", n, name)
	}
	switch {
	case d < 10*time.Second:
		return "just now"
	case d < time.Minute:
		return unit(int64(d/time.Second), "second")
	case d < time.Hour:
		return unit(int64(d/time.Minute), "minute")
	case d < 24*time.Hour:
		return unit(int64(d/time.Hour), "hour")
	case d < 30*24*time.Hour:
		return unit(int64(d/(24*time.Hour)), "day")
	case d < 365*24*time.Hour:
		return unit(int64(d/(30*24*time.Hour)), "month")
	default:
		return unit(int64(d/(365*24*time.Hour)), "year")
	}
}

// Bytes prints a size in binary units: "512 B", "50.0 KiB", "1.0 MiB".
func Bytes(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	}
}

// MailHeader is the line that introduces a message for people:
// "From barney, 2 days ago (#12):", with what kind of mail it is
// ("broadcast", "sent to nessa" after a rename, "reply to #11").
func MailHeader(now time.Time, from string, sentAt time.Time, id uint64, broadcast bool, sentTo string, replyTo uint64) string {
	var extra []string
	if broadcast {
		extra = append(extra, "broadcast")
	}
	if sentTo != "" {
		extra = append(extra, "sent to "+sentTo)
	}
	if replyTo != 0 {
		extra = append(extra, fmt.Sprintf("reply to #%d", replyTo))
	}
	s := fmt.Sprintf("From %s, %s (#%d", from, Ago(now, sentAt), id)
	if len(extra) > 0 {
		s += "; " + strings.Join(extra, "; ")
	}
	return s + "):"
}

// PrintJSON writes v as indented JSON, as every --json flag prints it:
// the protocol objects, with <, > and & as they are.
func PrintJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// SendReceipt is the one-line receipt of a send, for people and for AIs:
// where it went, whether it waits for a name nobody has registered, and
// where a large message's content was saved.
func SendReceipt(res protocol.SendResponse) string {
	s := fmt.Sprintf("Sent to %s (message #%d).", res.To, res.ID)
	if res.SentTo != "" {
		s = fmt.Sprintf("Sent to %s (forwarded from %s; message #%d).", res.To, res.SentTo, res.ID)
	}
	if res.Pending {
		s += fmt.Sprintf(" Nobody has registered %s yet; it waits for them.", res.To)
	}
	if res.File != "" {
		s += fmt.Sprintf(" Content (%s) also saved to %s.", Bytes(int64(res.Size)), res.File)
	}
	return s
}

// Printable keeps control characters an AI wrote from reaching a terminal
// as escape sequences, and the characters that reorder how text is shown
// (bidirectional overrides and isolates, which can make a line read other
// than it is) from disguising it: each becomes '?'. Tabs stay.
func Printable(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return r
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0),
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return '?'
		}
		return r
	}, s)
}
