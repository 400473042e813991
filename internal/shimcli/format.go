package shimcli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// printMessages writes mail for people: sender, relative age, content.
func printMessages(w io.Writer, res protocol.CheckResponse, none string, now time.Time) error {
	if len(res.Messages) == 0 {
		_, err := fmt.Fprintln(w, none)
		return err
	}
	var b strings.Builder
	for i, m := range res.Messages {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(header(m, now))
		b.WriteString("\n")
		for _, line := range strings.Split(strings.TrimRight(m.Content, "\n"), "\n") {
			b.WriteString("  " + cli.Printable(strings.TrimSuffix(line, "\r")) + "\n")
		}
		if m.Truncated {
			fmt.Fprintf(&b, "  [... %s in all. Full text: %s (or: ipc-mcp check --full)]\n", cli.Bytes(int64(m.Size)), m.File)
		} else if m.File != "" {
			fmt.Fprintf(&b, "  [also saved to %s]\n", m.File)
		}
	}
	if res.More {
		fmt.Fprintf(&b, "\n%d more unread; check again to see them.\n", res.Unread-len(res.Messages))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// header is "From barney, 2 days ago (#12):", with what kind of mail it is.
func header(m protocol.Message, now time.Time) string {
	return cli.MailHeader(now, m.From, m.SentAt, m.ID, m.Broadcast, m.SentTo, m.ReplyTo)
}

// printIdentities writes the list for people; me is marked.
func printIdentities(w io.Writer, ids []protocol.Identity, me string, now time.Time) error {
	if len(ids) == 0 {
		_, err := fmt.Fprintln(w, "Nobody is registered yet.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tONLINE\tLAST SEEN\tUNREAD")
	for _, id := range ids {
		name, online, seen := id.Name, "no", "never"
		var notes []string
		if name == me {
			notes = append(notes, "you")
		}
		if len(id.ForwardedFrom) > 0 {
			notes = append(notes, "was "+strings.Join(id.ForwardedFrom, ", "))
		}
		if len(notes) > 0 {
			name += " (" + strings.Join(notes, "; ") + ")"
		}
		switch {
		case !id.Registered:
			online, seen = "-", "not registered yet"
		case id.Online:
			online = "yes"
		}
		if id.LastSeen != nil {
			seen = cli.Ago(now, *id.LastSeen)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", name, online, seen, id.Unread)
	}
	return tw.Flush()
}
