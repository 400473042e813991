package protocol

import (
	"encoding/json"
	"time"
)

// Message kinds.
const (
	KindMessage = "message" // written by an identity
	KindSystem  = "system"  // written by the daemon (renames and such); From is "system"
)

// Message is one piece of mail in one recipient's inbox. A broadcast puts a
// separate Message, with its own ID, in each recipient's inbox.
type Message struct {
	ID   uint64 `json:"id"`   // unique across the daemon; what reply_to names
	Seq  uint64 `json:"seq"`  // position in the recipient's inbox; acks name it
	Kind string `json:"kind"` // KindMessage or KindSystem
	From string `json:"from"`
	To   string `json:"to"` // the recipient's name when the message was sent
	// SentTo is the name the sender used when it differs from To: an old
	// name forwarded after a rename.
	SentTo    string    `json:"sent_to,omitempty"`
	Content   string    `json:"content"`
	SentAt    time.Time `json:"sent_at"`
	ReplyTo   uint64    `json:"reply_to,omitempty"`
	Broadcast bool      `json:"broadcast,omitempty"`
	// Data is an optional JSON object the sender attached.
	Data json.RawMessage `json:"data,omitempty"`
	// Size is the length of the full content in bytes.
	Size int `json:"size"`
	// File is set for content over LargeMessageBytes: the full content also
	// lies in this file (mode 0600), so an AI can read it with its own tools.
	File string `json:"file,omitempty"`
	// Truncated says Content holds only a summary of a large message; ask
	// with "full": true, or GET /v1/messages/{id}, for all of it.
	Truncated bool `json:"truncated,omitempty"`
}

// LargeMessageBytes is the size above which content is also written to a
// file and check returns a summary unless asked for the full content.
const LargeMessageBytes = 10 * 1024

// SummaryBytes is how much of a large message's content a summary keeps.
const SummaryBytes = 500

// HealthResponse answers GET /v1/health, which needs no session.
type HealthResponse struct {
	OK      bool   `json:"ok"`
	Version string `json:"version"`
	API     int    `json:"api"`
	Mode    string `json:"mode"` // ModeSecure or ModeOpen
}

// Security modes.
const (
	ModeSecure = "secure"
	ModeOpen   = "open"
)

// ChallengeResponse answers POST /v1/auth/challenge.
type ChallengeResponse struct {
	Nonce     string    `json:"nonce"`
	ExpiresAt time.Time `json:"expires_at"`
}

// RegisterRequest is the body of POST /v1/auth/register.
type RegisterRequest struct {
	Name  string `json:"name"`
	Nonce string `json:"nonce,omitempty"` // from a challenge; not needed in open mode
	Proof string `json:"proof,omitempty"` // Proof(secret, LabelRegister, nonce, name)
	// Takeover revokes the session that holds the name, if any.
	Takeover bool `json:"takeover,omitempty"`
}

// RegisterResponse answers a registration.
type RegisterResponse struct {
	Name  string `json:"name"`
	Token string `json:"token"`
	// IdleTimeoutSeconds is how long the token lives without being used.
	IdleTimeoutSeconds int64 `json:"idle_timeout_seconds"`
	// Unread is the number of messages waiting, including mail sent before
	// the name was ever registered.
	Unread int `json:"unread"`
	// TookOver is true when an earlier session of this name was revoked.
	TookOver bool `json:"took_over,omitempty"`
	// New is true when the name had never been registered before.
	New bool `json:"new,omitempty"`
}

// AdminRequest is the body of POST /v1/auth/admin: an admin session can read
// status and watch events but is no identity and sends nothing.
type AdminRequest struct {
	Nonce string `json:"nonce,omitempty"`
	Proof string `json:"proof,omitempty"` // Proof(secret, LabelAdmin, nonce, "")
}

// AdminResponse answers POST /v1/auth/admin.
type AdminResponse struct {
	Token string `json:"token"`
}

// WhoamiResponse answers GET /v1/whoami, which takes identity sessions
// only (an admin token gets identity_mismatch), so Admin is always false
// today.
type WhoamiResponse struct {
	Name   string `json:"name,omitempty"`
	Admin  bool   `json:"admin,omitempty"`
	Unread int    `json:"unread"`
}

// SendRequest is the body of POST /v1/send.
type SendRequest struct {
	To      string          `json:"to"`
	Content string          `json:"content"`
	ReplyTo uint64          `json:"reply_to,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// SendResponse answers POST /v1/send once the message is on disk.
type SendResponse struct {
	ID     uint64    `json:"id"`
	To     string    `json:"to"`                // the name it was delivered to
	SentTo string    `json:"sent_to,omitempty"` // the name used, when forwarded
	SentAt time.Time `json:"sent_at"`
	// Pending is true when nobody has registered the name yet; the message
	// waits for them.
	Pending bool   `json:"pending,omitempty"`
	Size    int    `json:"size"`
	File    string `json:"file,omitempty"`
	// Unread is the sender's own unread mail, so that a client can say
	// so without asking.
	Unread int `json:"unread"`
}

// BroadcastRequest is the body of POST /v1/broadcast.
type BroadcastRequest struct {
	Content string          `json:"content"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// Delivery is one copy of a broadcast.
type Delivery struct {
	ID uint64 `json:"id"`
	To string `json:"to"`
}

// Skipped is a broadcast recipient that got no copy.
type Skipped struct {
	To      string `json:"to"`
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

// BroadcastResponse answers POST /v1/broadcast.
type BroadcastResponse struct {
	Deliveries []Delivery `json:"deliveries"`
	// Skipped lists recipients that did not get a copy, with the reason
	// (for example inbox_full); nothing is dropped silently.
	Skipped []Skipped `json:"skipped,omitempty"`
	SentAt  time.Time `json:"sent_at"`
	Size    int       `json:"size"`
}

// CheckRequest is the body of POST /v1/check.
type CheckRequest struct {
	// Ack acknowledges every message up to and including this inbox seq
	// before new mail is fetched: pass the Through of the previous answer.
	Ack uint64 `json:"ack,omitempty"`
	// Peek returns unread mail without acknowledging anything.
	Peek bool `json:"peek,omitempty"`
	// Limit caps the number of messages returned (default 100, at most 1000).
	Limit int `json:"limit,omitempty"`
	// Full returns the whole content of large messages instead of a summary.
	Full bool `json:"full,omitempty"`
}

// CheckResponse answers check and wait. The returned messages stay unread
// until acknowledged, so a reader that dies before it has them gets them again.
type CheckResponse struct {
	Messages []Message `json:"messages"`
	// Through is the seq of the last message returned: the value to ack.
	Through uint64 `json:"through,omitempty"`
	// Unread counts unacknowledged messages, those returned included.
	Unread int `json:"unread"`
	// More is true when unread mail remains beyond this batch.
	More bool `json:"more,omitempty"`
	// TimedOut is set by wait when the timeout passed with no mail.
	TimedOut bool `json:"timed_out,omitempty"`
}

// AckRequest is the body of POST /v1/ack.
type AckRequest struct {
	Through uint64 `json:"through"`
}

// AckResponse answers POST /v1/ack.
type AckResponse struct {
	Unread int `json:"unread"`
}

// WaitRequest is the body of POST /v1/wait: like check, but when no unread
// mail is there it blocks until some arrives or the timeout passes.
type WaitRequest struct {
	CheckRequest
	// TimeoutMS is how long to wait (default 30000, at most MaxWaitMS).
	TimeoutMS int64 `json:"timeout_ms,omitempty"`
	// After makes the wait return only for mail with a seq above it, so a
	// peeking watcher is not woken again by mail it has already seen.
	After uint64 `json:"after,omitempty"`
}

// MaxWaitMS caps a single wait; clients loop for longer waits.
const MaxWaitMS = 10 * 60 * 1000

// MaxLimit is the most messages one check, wait, auto-check run or
// history returns (their limit field).
const MaxLimit = 1000

// HistoryRequest is the body of POST /v1/history.
type HistoryRequest struct {
	Limit  int    `json:"limit,omitempty"`  // default 20, at most 1000
	Before uint64 `json:"before,omitempty"` // only mail with a lower seq (paging)
	Full   bool   `json:"full,omitempty"`
}

// HistoryResponse lists acknowledged mail, newest first.
type HistoryResponse struct {
	Messages []Message `json:"messages"`
}

// AutoCheck is an identity's auto-check setting, kept by the daemon.
type AutoCheck struct {
	Enabled         bool       `json:"enabled"`
	IntervalMinutes int        `json:"interval_minutes"`
	LastRun         *time.Time `json:"last_run,omitempty"`
	NextDue         *time.Time `json:"next_due,omitempty"`
}

// Auto-check interval bounds, in minutes.
const (
	AutoCheckMinMinutes     = 1
	AutoCheckMaxMinutes     = 60
	AutoCheckDefaultMinutes = 5
)

// Identity is one row of the list endpoint.
type Identity struct {
	Name       string     `json:"name"`
	Registered bool       `json:"registered"` // false: mail waits for a name nobody has taken yet
	Online     bool       `json:"online"`
	Waiting    bool       `json:"waiting,omitempty"` // blocked in a wait right now
	LastSeen   *time.Time `json:"last_seen,omitempty"`
	Unread     int        `json:"unread"`
	// ForwardedFrom lists old names that still forward here.
	ForwardedFrom []string   `json:"forwarded_from,omitempty"`
	AutoCheck     *AutoCheck `json:"auto_check,omitempty"`
}

// ListResponse answers GET /v1/identities.
type ListResponse struct {
	Identities []Identity `json:"identities"`
}

// RenameRequest is the body of POST /v1/rename.
type RenameRequest struct {
	NewName string `json:"new_name"`
}

// RenameResponse answers POST /v1/rename. The session token stays valid
// and now acts as the new name.
type RenameResponse struct {
	Name         string    `json:"name"`
	OldName      string    `json:"old_name"`
	ForwardUntil time.Time `json:"forward_until"`
}

// AutoCheckRequest is the body of POST /v1/autocheck. A zero interval keeps
// the current one (or the default). Enabled is always applied: a request
// that leaves it out turns auto checking off.
type AutoCheckRequest struct {
	Enabled         bool `json:"enabled"`
	IntervalMinutes int  `json:"interval_minutes,omitempty"`
}

// AutoCheckRunRequest is the body of POST /v1/autocheck/run, which hooks
// call often: it returns mail only when auto checking is on and due.
type AutoCheckRunRequest struct {
	CheckRequest
	// Force returns unread mail even if auto checking is off or not due.
	Force bool `json:"force,omitempty"`
}

// AutoCheckRunResponse answers POST /v1/autocheck/run.
type AutoCheckRunResponse struct {
	Due       bool      `json:"due"`
	AutoCheck AutoCheck `json:"auto_check"`
	CheckResponse
}

// Counters are totals since the daemon started.
type Counters struct {
	Sent      uint64 `json:"sent"`      // messages accepted (each broadcast copy counts)
	Delivered uint64 `json:"delivered"` // messages acknowledged by their reader
	Rejected  uint64 `json:"rejected"`  // requests answered with an error code
}

// Limits are the daemon's configured limits.
type Limits struct {
	MaxMessageBytes      int     `json:"max_message_bytes"`
	MaxInboxDepth        int     `json:"max_inbox_depth"`
	SendRatePerSecond    float64 `json:"send_rate_per_second"`
	SendBurst            int     `json:"send_burst"`
	MaxPendingPerSender  int     `json:"max_pending_per_sender"`
	SessionIdleSeconds   int64   `json:"session_idle_seconds"`
	ReadRetentionSeconds int64   `json:"read_retention_seconds"`
	PendingRetentionSecs int64   `json:"pending_retention_seconds"`
	MaxDatabaseBytes     int64   `json:"max_database_bytes"`
}

// StatusResponse answers GET /v1/admin/status.
type StatusResponse struct {
	Version string `json:"version"`
	API     int    `json:"api"`
	Mode    string `json:"mode"`
	PID     int    `json:"pid"`
	Socket  string `json:"socket"`
	Listen  string `json:"listen,omitempty"`
	// ServiceManager names what runs the daemon: "systemd", "launchd",
	// "windows", or "" when no service manager does.
	ServiceManager string     `json:"service_manager,omitempty"`
	DataDir        string     `json:"data_dir"`
	DatabaseBytes  int64      `json:"database_bytes"`
	StartedAt      time.Time  `json:"started_at"`
	UptimeSeconds  int64      `json:"uptime_seconds"`
	Identities     []Identity `json:"identities"`
	UnreadTotal    int        `json:"unread_total"`
	Counters       Counters   `json:"counters"`
	Limits         Limits     `json:"limits"`
}

// ShutdownResponse answers POST /v1/admin/shutdown: the daemon stops
// gracefully after this answer.
type ShutdownResponse struct {
	Stopping bool `json:"stopping"`
	PID      int  `json:"pid"`
}

// Event types of the watch stream.
const (
	EventMessage   = "message"
	EventBroadcast = "broadcast"
	EventRegister  = "register"
	EventRename    = "rename"
)

// Event is one line of GET /v1/admin/watch (newline-delimited JSON). It
// carries no message content beyond a first line.
type Event struct {
	Time      time.Time `json:"time"`
	Type      string    `json:"type"`
	ID        uint64    `json:"id,omitempty"`
	From      string    `json:"from,omitempty"`
	To        string    `json:"to,omitempty"`
	Name      string    `json:"name,omitempty"`
	OldName   string    `json:"old_name,omitempty"`
	Size      int       `json:"size,omitempty"`
	FirstLine string    `json:"first_line,omitempty"`
	Count     int       `json:"count,omitempty"` // broadcast: copies sent
}

// ImportRequest is the body of POST /v1/admin/import (an admin call): names and unread
// mail from the earlier Python tool. Keys make it idempotent.
type ImportRequest struct {
	Names    []ImportName    `json:"names,omitempty"`
	Messages []ImportMessage `json:"messages,omitempty"`
	// DryRun checks the request and counts what would be new, writing
	// nothing.
	DryRun bool `json:"dry_run,omitempty"`
}

// ImportName is a known name.
type ImportName struct {
	Name     string    `json:"name"`
	LastSeen time.Time `json:"last_seen,omitzero"`
}

// ImportMessage is one unread message.
type ImportMessage struct {
	Key     string          `json:"key"`
	From    string          `json:"from"`
	To      string          `json:"to"`
	Content string          `json:"content"`
	SentAt  time.Time       `json:"sent_at"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// ImportResponse says how much was new.
type ImportResponse struct {
	NamesCreated     int `json:"names_created"`
	MessagesImported int `json:"messages_imported"`
}
