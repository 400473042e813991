package mcpshim

import (
	"encoding/json"
	"time"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// The tools' inputs and outputs. A jsonschema tag is the field's
// description; a field is required unless it is omitempty.

// Message is one piece of mail as the tools return it.
type Message struct {
	ID        uint64    `json:"id" jsonschema:"message id; pass it as reply_to to answer this message"`
	From      string    `json:"from" jsonschema:"sender; system for notes from the daemon"`
	To        string    `json:"to" jsonschema:"recipient"`
	SentTo    string    `json:"sent_to,omitempty" jsonschema:"the old name the sender used, when the mail was forwarded after a rename"`
	Kind      string    `json:"kind" jsonschema:"message, or system for notes from the daemon"`
	Content   string    `json:"content" jsonschema:"the text; only a summary when truncated is true"`
	SentAt    time.Time `json:"sent_at" jsonschema:"when it was sent (RFC 3339)"`
	ReplyTo   uint64    `json:"reply_to,omitempty" jsonschema:"id of the message this one answers"`
	Broadcast bool      `json:"broadcast,omitempty" jsonschema:"true when sent to everyone"`
	Data      any       `json:"data,omitempty" jsonschema:"a JSON object the sender attached"`
	Size      int       `json:"size" jsonschema:"length of the full content in bytes"`
	File      string    `json:"file,omitempty" jsonschema:"for large messages: a file holding the full content"`
	Truncated bool      `json:"truncated,omitempty" jsonschema:"content is a summary; read file (or check with full) for all of it"`
}

func messagesOut(ms []protocol.Message) []Message {
	out := make([]Message, 0, len(ms))
	for _, m := range ms {
		var data any
		if len(m.Data) > 0 {
			_ = json.Unmarshal(m.Data, &data)
		}
		out = append(out, Message{
			ID: m.ID, From: m.From, To: m.To, SentTo: m.SentTo, Kind: m.Kind,
			Content: m.Content, SentAt: m.SentAt, ReplyTo: m.ReplyTo, Broadcast: m.Broadcast,
			Data: data, Size: m.Size, File: m.File, Truncated: m.Truncated,
		})
	}
	return out
}

type RegisterInput struct {
	Name     string `json:"name" jsonschema:"the name to register: 1-32 letters, digits, _ or -"`
	Takeover bool   `json:"takeover,omitempty" jsonschema:"take the name over from another live session (ends that session)"`
}

type RegisterOutput struct {
	Name     string    `json:"name" jsonschema:"the registered name"`
	TookOver bool      `json:"took_over,omitempty" jsonschema:"an earlier session of this name was ended"`
	Messages []Message `json:"messages" jsonschema:"mail that was waiting, now marked read"`
	Unread   int       `json:"unread" jsonschema:"unread messages still waiting after these"`
}

type SendInput struct {
	To      string `json:"to" jsonschema:"recipient name (it need not be registered yet: the message waits)"`
	Message string `json:"message" jsonschema:"the message text"`
	ReplyTo uint64 `json:"reply_to,omitempty" jsonschema:"id of the message this answers, to keep a thread"`
}

type SendOutput struct {
	ID      uint64 `json:"id" jsonschema:"id of the sent message"`
	To      string `json:"to" jsonschema:"the name it was delivered to"`
	SentTo  string `json:"sent_to,omitempty" jsonschema:"the old name used, when it was forwarded after a rename"`
	Pending bool   `json:"pending,omitempty" jsonschema:"nobody has registered the name yet; the message waits for them"`
	Size    int    `json:"size" jsonschema:"bytes sent"`
	File    string `json:"file,omitempty" jsonschema:"large messages are also saved to this file"`
	Unread  int    `json:"unread" jsonschema:"your own unread messages"`
}

type CheckInput struct {
	Peek  bool `json:"peek,omitempty" jsonschema:"show unread mail without marking it read"`
	Full  bool `json:"full,omitempty" jsonschema:"return large messages whole instead of a summary and a file path"`
	Limit int  `json:"limit,omitempty" jsonschema:"most messages to return (default 100)"`
}

type MailOutput struct {
	Messages []Message `json:"messages" jsonschema:"the messages, oldest first"`
	Unread   int       `json:"unread" jsonschema:"unread messages left after these"`
	More     bool      `json:"more,omitempty" jsonschema:"more unread mail is waiting beyond these"`
	TimedOut bool      `json:"timed_out,omitempty" jsonschema:"wait_for_messages: the timeout passed with no mail"`
}

type BroadcastInput struct {
	Message string `json:"message" jsonschema:"the message text for everyone"`
}

type Skipped struct {
	To     string `json:"to" jsonschema:"recipient that got no copy"`
	Code   string `json:"code" jsonschema:"error code"`
	Reason string `json:"reason" jsonschema:"why"`
}

type BroadcastOutput struct {
	Recipients []string  `json:"recipients" jsonschema:"names that got a copy"`
	Skipped    []Skipped `json:"skipped" jsonschema:"names that did not get a copy, and why"`
	Unread     int       `json:"unread" jsonschema:"your own unread messages"`
}

type ListInput struct{}

type Instance struct {
	Name          string     `json:"name" jsonschema:"the name"`
	You           bool       `json:"you,omitempty" jsonschema:"this is you"`
	Registered    bool       `json:"registered" jsonschema:"false: mail waits for a name nobody has taken yet"`
	Online        bool       `json:"online" jsonschema:"seen recently or waiting for mail"`
	LastSeen      *time.Time `json:"last_seen,omitempty" jsonschema:"when it was last seen"`
	Unread        int        `json:"unread" jsonschema:"its unread messages"`
	ForwardedFrom []string   `json:"forwarded_from,omitempty" jsonschema:"old names that still forward to it"`
	AutoCheck     bool       `json:"auto_check,omitempty" jsonschema:"auto checking is on"`
}

type ListOutput struct {
	Instances []Instance `json:"instances" jsonschema:"every name the daemon knows"`
	Unread    int        `json:"unread" jsonschema:"your own unread messages"`
}

type RenameInput struct {
	NewName string `json:"new_name" jsonschema:"the new name: 1-32 letters, digits, _ or -"`
}

type RenameOutput struct {
	Name         string    `json:"name" jsonschema:"the new name"`
	OldName      string    `json:"old_name" jsonschema:"the old name"`
	ForwardUntil time.Time `json:"forward_until" jsonschema:"mail to the old name reaches the new one until then"`
	Unread       int       `json:"unread" jsonschema:"your own unread messages"`
}

type WaitInput struct {
	TimeoutSeconds int  `json:"timeout_seconds,omitempty" jsonschema:"how long to wait, in seconds (default 120, at most 600)"`
	Full           bool `json:"full,omitempty" jsonschema:"return large messages whole"`
}

type AutoCheckInput struct {
	Action          string `json:"action" jsonschema:"on (start auto checking), off (stop auto checking) or status (is it on?)"`
	IntervalMinutes int    `json:"interval_minutes,omitempty" jsonschema:"with on: minutes between checks, 1-60 (default 5, or the interval set before)"`
}

type AutoCheckOutput struct {
	Enabled         bool       `json:"enabled" jsonschema:"auto checking is on"`
	IntervalMinutes int        `json:"interval_minutes" jsonschema:"minutes between checks"`
	LastRun         *time.Time `json:"last_run,omitempty" jsonschema:"when the last auto check ran"`
	NextDue         *time.Time `json:"next_due,omitempty" jsonschema:"when the next one is due"`
	Unread          int        `json:"unread" jsonschema:"your own unread messages"`
}

type HistoryInput struct {
	Limit int  `json:"limit,omitempty" jsonschema:"most messages to return (default 20)"`
	Full  bool `json:"full,omitempty" jsonschema:"return large messages whole"`
}

type HistoryOutput struct {
	Messages []Message `json:"messages" jsonschema:"mail already read, newest first"`
	Unread   int       `json:"unread" jsonschema:"your own unread messages"`
}
