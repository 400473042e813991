package mcpshim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// The tool descriptions carry the phrases people use, so that everyday
// requests land on the right tool.
const (
	descRegister = `Register this AI instance under a name so others can message it ("register this instance as claude", "call me barney"). Names are 1-32 letters, digits, _ or -. Mail sent to the name earlier (even before anyone registered it) is returned here. Registering again after a restart returns the waiting inbox. A name held by another live session is refused unless takeover is true.`
	descSend     = `Send a message to another AI instance by name. Use for "send a message to fred: ...", "msg barney: ...", "send to claude: ...", "tell nessa that ...", "reply to barney". The text after the colon is the message. The recipient need not be online or even registered yet: the message waits. Set reply_to to the id of the message you answer.`
	descCheck    = `Check your inbox: returns new messages and marks them read. Use for "check my messages", "msgs?", "any messages?", "any mail?", "inbox", "what did barney say?". peek=true leaves them unread. A result holds about 20 KB at most; when more is true, check again for the rest.`
	descBcast    = `Send one message to every other registered instance. Use for "broadcast: team meeting in 5", "tell everyone ...", "announce ...".`
	descList     = `List every instance (name) with online status, last seen and unread count. Use for "list instances", "who's online?", "who is there?", "who can I message?".`
	descRename   = `Rename this instance ("rename to fred-debugging", "change my name to ..."). Mail to the old name is forwarded for two hours and everyone is told. At most once an hour.`
	descWait     = `Block until a message arrives, then return it at once (marked read); or return after timeout_seconds (default 120, at most 600) with none. Use for "wait for a reply", "wait for messages", "wait until barney answers".`
	descAuto     = `Turn auto checking of messages on or off, or report it. Use action "on" for "start auto checking" or "start auto checking 5" (interval_minutes 5; 1-60, default 5), "off" for "stop auto checking", "status" for "auto check status" or "is auto checking on?". While on, the client's ipc-mcp hook brings due mail into the conversation.`
	descHistory  = `Show recent messages you have already read, newest first ("show message history", "what did we say earlier?").`
)

func (s *Server) addTools() {
	ro := &mcp.ToolAnnotations{ReadOnlyHint: true}
	addTool(s, &mcp.Tool{Name: "register", Description: descRegister}, s.register)
	addTool(s, &mcp.Tool{Name: "send", Description: descSend}, s.send)
	addTool(s, &mcp.Tool{Name: "check", Description: descCheck}, s.check)
	addTool(s, &mcp.Tool{Name: "broadcast", Description: descBcast}, s.broadcast)
	addTool(s, &mcp.Tool{Name: "list_instances", Description: descList, Annotations: ro}, s.list)
	addTool(s, &mcp.Tool{Name: "rename", Description: descRename}, s.rename)
	addTool(s, &mcp.Tool{Name: "wait_for_messages", Description: descWait}, s.wait)
	addTool(s, &mcp.Tool{Name: "auto_check", Description: descAuto}, s.autoCheck)
	addTool(s, &mcp.Tool{Name: "history", Description: descHistory, Annotations: ro}, s.history)
}

func (s *Server) register(ctx context.Context, _ *mcp.CallToolRequest, in RegisterInput) (*mcp.CallToolResult, RegisterOutput, error) {
	var out RegisterOutput
	select {
	case <-s.started:
	case <-ctx.Done():
		return nil, out, ctx.Err()
	}
	c, err := s.conn(ctx)
	if err != nil {
		return nil, out, toolError(err)
	}
	prev := c.Name()
	res, err := c.Register(ctx, in.Name, in.Takeover)
	if err != nil {
		if prev != in.Name {
			c.As(prev) // a refused name leaves the identity as it was, or none
		}
		return nil, out, toolError(err)
	}
	s.markNamed()
	if prev != res.Name || res.TookOver {
		// (A takeover of the server's own name back ends a back-off of
		// the inbox watch.)
		s.nameChanged()
	}
	out = RegisterOutput{Name: res.Name, TookOver: res.TookOver, Messages: []Message{}}
	var text strings.Builder
	fmt.Fprintf(&text, "Registered as %s.", res.Name)
	if res.TookOver {
		text.WriteString(" The earlier session of this name was ended.")
	}
	if res.Unread == 0 {
		text.WriteString(" No messages waiting.")
		return result(text.String(), 0), out, nil
	}
	mail, err := c.Check(ctx, protocol.CheckRequest{})
	if err != nil {
		return nil, out, toolError(err)
	}
	said, got, err := take(ctx, c, res.Name, mail, false, "")
	if err != nil {
		return nil, RegisterOutput{}, toolError(err)
	}
	out.Messages, out.Unread = got.Messages, got.Unread
	fmt.Fprintf(&text, " Waiting for you:\n\n%s", said)
	return result(text.String(), out.Unread), out, nil
}

func (s *Server) send(ctx context.Context, _ *mcp.CallToolRequest, in SendInput) (*mcp.CallToolResult, SendOutput, error) {
	c, err := s.me(ctx)
	if err != nil {
		return nil, SendOutput{}, toolError(err)
	}
	res, err := c.Send(ctx, protocol.SendRequest{To: in.To, Content: in.Message, ReplyTo: in.ReplyTo})
	if err != nil {
		return nil, SendOutput{}, toolError(err)
	}
	out := SendOutput{ID: res.ID, To: res.To, SentTo: res.SentTo, Pending: res.Pending, Size: res.Size, File: res.File, Unread: res.Unread}
	return result(cli.SendReceipt(res), out.Unread), out, nil
}

func (s *Server) check(ctx context.Context, _ *mcp.CallToolRequest, in CheckInput) (*mcp.CallToolResult, MailOutput, error) {
	c, err := s.me(ctx)
	if err != nil {
		return nil, MailOutput{}, toolError(err)
	}
	name := c.Name()
	res, err := c.Check(ctx, protocol.CheckRequest{Peek: in.Peek, Full: in.Full, Limit: in.Limit})
	if err != nil {
		return nil, MailOutput{}, toolError(err)
	}
	return s.deliver(ctx, c, name, res, in.Peek, "No new messages.")
}

// deliver builds the result for mail fetched as name and only then
// acknowledges it, so mail that never made it into a result comes again
// (at least once).
func (s *Server) deliver(ctx context.Context, c *client.Client, name string, res protocol.CheckResponse, peek bool, none string) (*mcp.CallToolResult, MailOutput, error) {
	text, out, err := take(ctx, c, name, res, peek, none)
	if err != nil {
		return nil, MailOutput{}, toolError(err)
	}
	return result(text, out.Unread), out, nil
}

// take fits fetched mail to what clients keep (Claude Code cuts a result
// past 25,000 tokens: what does not fit stays unread for the next call),
// says it, and acknowledges what it says unless peek. Mail fetched as a
// name the server no longer acts as (a register came in between) is not
// acknowledged: it stays unread for that name.
func take(ctx context.Context, c *client.Client, name string, res protocol.CheckResponse, peek bool, none string) (string, MailOutput, error) {
	now := time.Now()
	res, _ = cli.FitMail(res, cli.MailBudget, func(part protocol.CheckResponse) string {
		return mailText(messagesOut(part.Messages), none, now)
	})
	out := MailOutput{Messages: messagesOut(res.Messages), Unread: res.Unread, More: res.More, TimedOut: res.TimedOut}
	if !peek {
		out.Unread -= len(res.Messages)
	}
	text := mailText(out.Messages, none, now)
	if !peek && res.Through != 0 {
		_, err := c.AckAs(ctx, name, res.Through)
		switch {
		case errors.Is(err, client.ErrNameChanged):
			text += fmt.Sprintf("\n\n(Not marked read: this server acts as %s now, so these stay unread for %s.)", c.Name(), name)
		case err != nil:
			return "", MailOutput{}, err
		}
	}
	return text, out, nil
}

func (s *Server) broadcast(ctx context.Context, _ *mcp.CallToolRequest, in BroadcastInput) (*mcp.CallToolResult, BroadcastOutput, error) {
	c, err := s.me(ctx)
	if err != nil {
		return nil, BroadcastOutput{}, toolError(err)
	}
	res, err := c.Broadcast(ctx, protocol.BroadcastRequest{Content: in.Message})
	if err != nil {
		return nil, BroadcastOutput{}, toolError(err)
	}
	out := BroadcastOutput{Recipients: []string{}, Skipped: []Skipped{}, Unread: s.unread(ctx, c)}
	for _, d := range res.Deliveries {
		out.Recipients = append(out.Recipients, d.To)
	}
	text := "Nobody else is registered yet; the broadcast reached no one."
	if len(out.Recipients) > 0 {
		text = fmt.Sprintf("Broadcast to %d: %s.", len(out.Recipients), strings.Join(out.Recipients, ", "))
	}
	for _, sk := range res.Skipped {
		out.Skipped = append(out.Skipped, Skipped{To: sk.To, Code: string(sk.Code), Reason: sk.Message})
		text += fmt.Sprintf(" Not delivered to %s: %s", sk.To, sk.Message)
	}
	return result(text, out.Unread), out, nil
}

func (s *Server) list(ctx context.Context, _ *mcp.CallToolRequest, _ ListInput) (*mcp.CallToolResult, ListOutput, error) {
	c, err := s.me(ctx)
	if err != nil {
		return nil, ListOutput{}, toolError(err)
	}
	res, err := c.List(ctx)
	if err != nil {
		return nil, ListOutput{}, toolError(err)
	}
	out := ListOutput{Instances: []Instance{}}
	var b strings.Builder
	now := time.Now()
	for _, id := range res.Identities {
		in := Instance{Name: id.Name, You: id.Name == c.Name(), Registered: id.Registered, Online: id.Online,
			LastSeen: id.LastSeen, Unread: id.Unread, ForwardedFrom: id.ForwardedFrom,
			AutoCheck: id.AutoCheck != nil && id.AutoCheck.Enabled}
		if in.You {
			out.Unread = id.Unread
		}
		out.Instances = append(out.Instances, in)
		b.WriteString("- " + describeInstance(in, now) + "\n")
	}
	text := "Nobody is registered yet."
	if len(out.Instances) > 0 {
		text = strings.TrimRight(b.String(), "\n")
	}
	return result(text, out.Unread), out, nil
}

func describeInstance(in Instance, now time.Time) string {
	s := in.Name
	if in.You {
		s += " (you)"
	}
	switch {
	case !in.Registered:
		s += ": not registered yet, mail waits"
	case in.Online:
		s += ": online"
	default:
		s += ": offline"
	}
	if in.LastSeen != nil {
		s += ", last seen " + cli.Ago(now, *in.LastSeen)
	}
	if in.Unread > 0 {
		s += fmt.Sprintf(", %d unread", in.Unread)
	}
	if len(in.ForwardedFrom) > 0 {
		s += " (was " + strings.Join(in.ForwardedFrom, ", ") + ")"
	}
	return s
}

func (s *Server) rename(ctx context.Context, _ *mcp.CallToolRequest, in RenameInput) (*mcp.CallToolResult, RenameOutput, error) {
	c, err := s.me(ctx)
	if err != nil {
		return nil, RenameOutput{}, toolError(err)
	}
	res, err := c.Rename(ctx, in.NewName)
	if err != nil {
		return nil, RenameOutput{}, toolError(err)
	}
	out := RenameOutput{Name: res.Name, OldName: res.OldName, ForwardUntil: res.ForwardUntil, Unread: s.unread(ctx, c)}
	text := fmt.Sprintf("Renamed %s to %s. Mail to %s is forwarded until %s.", res.OldName, res.Name, res.OldName,
		res.ForwardUntil.Local().Format("15:04 MST"))
	return result(text, out.Unread), out, nil
}

func (s *Server) autoCheck(ctx context.Context, _ *mcp.CallToolRequest, in AutoCheckInput) (*mcp.CallToolResult, AutoCheckOutput, error) {
	action := strings.ToLower(strings.TrimSpace(in.Action))
	if in.IntervalMinutes != 0 && (in.IntervalMinutes < protocol.AutoCheckMinMinutes || in.IntervalMinutes > protocol.AutoCheckMaxMinutes) {
		return nil, AutoCheckOutput{}, fmt.Errorf("interval_minutes is %d; it must be from %d to %d",
			in.IntervalMinutes, protocol.AutoCheckMinMinutes, protocol.AutoCheckMaxMinutes)
	}
	c, err := s.me(ctx)
	if err != nil {
		return nil, AutoCheckOutput{}, toolError(err)
	}
	var ac protocol.AutoCheck
	switch action {
	case "on", "start", "enable":
		ac, err = c.SetAutoCheck(ctx, protocol.AutoCheckRequest{Enabled: true, IntervalMinutes: in.IntervalMinutes})
	case "off", "stop", "disable":
		ac, err = c.SetAutoCheck(ctx, protocol.AutoCheckRequest{Enabled: false})
	case "status", "":
		ac, err = c.AutoCheck(ctx)
	default:
		return nil, AutoCheckOutput{}, fmt.Errorf("action is %q; it must be on, off or status", in.Action)
	}
	if err != nil {
		return nil, AutoCheckOutput{}, toolError(err)
	}
	out := AutoCheckOutput{Enabled: ac.Enabled, IntervalMinutes: ac.IntervalMinutes, LastRun: ac.LastRun, NextDue: ac.NextDue, Unread: s.unread(ctx, c)}
	text := fmt.Sprintf("Auto checking is off (interval %d minutes when on).", ac.IntervalMinutes)
	if ac.Enabled {
		text = fmt.Sprintf("Auto checking is on: every %d minutes.", ac.IntervalMinutes)
		if ac.NextDue != nil {
			text += " Next check due at " + ac.NextDue.Local().Format("15:04 MST") + "."
		}
		text += " Due mail comes into the conversation through the client's ipc-mcp hook (set up by ipc-mcp setup)."
	}
	return result(text, out.Unread), out, nil
}

func (s *Server) history(ctx context.Context, _ *mcp.CallToolRequest, in HistoryInput) (*mcp.CallToolResult, HistoryOutput, error) {
	c, err := s.me(ctx)
	if err != nil {
		return nil, HistoryOutput{}, toolError(err)
	}
	res, err := c.History(ctx, protocol.HistoryRequest{Limit: in.Limit, Full: in.Full})
	if err != nil {
		return nil, HistoryOutput{}, toolError(err)
	}
	out := HistoryOutput{Messages: messagesOut(res.Messages), Unread: s.unread(ctx, c)}
	return result(mailText(out.Messages, "No read mail in history.", time.Now()), out.Unread), out, nil
}
