package daemon

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/ipcd/ipcd/internal/store"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// checkContent applies the content rules shared by send and broadcast.
func (d *Daemon) checkContent(content string, data json.RawMessage) error {
	if content == "" {
		return protocol.Errorf(protocol.CodeEmptyMessage, "the message is empty; write something to send")
	}
	if len(content) > d.cfg.Limits.MaxMessageBytes {
		return protocol.Errorf(protocol.CodeMessageTooLarge,
			"the message is %d bytes; the limit is %d (ipcd run --max-message-size)",
			len(content), d.cfg.Limits.MaxMessageBytes).
			WithDetail("size", len(content)).WithDetail("limit", d.cfg.Limits.MaxMessageBytes)
	}
	if len(data) > 0 && !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		return protocol.Errorf(protocol.CodeInvalidArgument, "data must be a JSON object")
	}
	return nil
}

func (d *Daemon) handleSend(w http.ResponseWriter, r *http.Request, c *call) error {
	var req protocol.SendRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := protocol.ValidateName(req.To); err != nil {
		return err
	}
	if err := d.checkContent(req.Content, req.Data); err != nil {
		return err
	}
	if err := d.sends.Allow(c.sess.Name, 1); err != nil {
		return err
	}
	var file string
	if len(req.Content) > protocol.LargeMessageBytes {
		var err error
		if file, err = d.writeLarge(c.sess.Name, req.To, req.Content); err != nil {
			return err
		}
	}
	res, err := d.store.Send(store.SendParams{
		From: c.sess.Name, To: req.To, Content: req.Content, ReplyTo: req.ReplyTo, Data: req.Data, File: file,
	})
	if err != nil {
		if file != "" {
			os.Remove(file)
		}
		return err
	}
	m := res.Message
	d.sent.Add(1)
	d.waiters.notify(m.To)
	if d.events.active() {
		d.events.publish(protocol.Event{Time: m.SentAt, Type: protocol.EventMessage, ID: m.ID,
			From: m.From, To: m.To, Size: m.Size, FirstLine: firstLine(m.Content)})
	}
	return writeJSON(w, protocol.SendResponse{
		ID: m.ID, To: m.To, SentTo: m.SentTo, SentAt: m.SentAt, Pending: res.Pending, Size: m.Size, File: m.File,
		Unread: res.SenderUnread,
	})
}

func (d *Daemon) handleBroadcast(w http.ResponseWriter, r *http.Request, c *call) error {
	var req protocol.BroadcastRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := d.checkContent(req.Content, req.Data); err != nil {
		return err
	}
	if err := d.sends.Allow(c.sess.Name, 1); err != nil {
		return err
	}
	p := store.BroadcastParams{From: c.sess.Name, Content: req.Content, Data: req.Data}
	if len(req.Content) > protocol.LargeMessageBytes {
		// Each copy is its own message with its own file, written before
		// the transaction so no file I/O holds up other writers.
		tgs, err := d.store.BroadcastTargets(c.sess.Name)
		if err != nil {
			return err
		}
		for i := range tgs {
			if tgs[i].File, err = d.writeLarge(c.sess.Name, tgs[i].Name, req.Content); err != nil {
				removeFiles(tgs)
				return err
			}
		}
		p.Targets = tgs
		if p.Targets == nil {
			p.Targets = []store.Target{}
		}
	}
	sent, skipped, err := d.store.Broadcast(p)
	if err != nil {
		removeFiles(p.Targets)
		return err
	}
	resp := protocol.BroadcastResponse{Deliveries: []protocol.Delivery{}, Skipped: skipped, SentAt: d.cfg.Clock.Now(), Size: len(req.Content)}
	for _, m := range sent {
		resp.Deliveries = append(resp.Deliveries, protocol.Delivery{ID: m.ID, To: m.To})
		resp.SentAt = m.SentAt
		d.waiters.notify(m.To)
	}
	// A file no delivered copy points at (its target was skipped, or
	// renamed while the broadcast ran) goes; matching by name would miss
	// the renamed.
	used := map[string]bool{}
	for _, m := range sent {
		used[m.File] = true
	}
	for _, t := range p.Targets {
		if t.File != "" && !used[t.File] {
			os.Remove(t.File)
		}
	}
	d.sent.Add(uint64(len(sent)))
	d.events.publish(protocol.Event{Time: resp.SentAt, Type: protocol.EventBroadcast, From: c.sess.Name,
		Size: len(req.Content), FirstLine: firstLine(req.Content), Count: len(sent)})
	return writeJSON(w, resp)
}

func removeFiles(tgs []store.Target) {
	for _, t := range tgs {
		if t.File != "" {
			os.Remove(t.File)
		}
	}
}

// limit applies a default and a ceiling to a requested batch size.
func limit(n, def, most int) (int, error) {
	if n < 0 || n > most {
		return 0, protocol.Errorf(protocol.CodeInvalidArgument, "limit must be from 1 to %d", most)
	}
	if n == 0 {
		return def, nil
	}
	return n, nil
}

// read fetches unacknowledged mail above after, shaped for the wire.
func (d *Daemon) read(name string, req protocol.CheckRequest, after uint64) (protocol.CheckResponse, error) {
	n, err := limit(req.Limit, 100, protocol.MaxLimit)
	if err != nil {
		return protocol.CheckResponse{}, err
	}
	b, err := d.store.Fetch(name, after, n)
	if err != nil {
		return protocol.CheckResponse{}, err
	}
	resp := protocol.CheckResponse{Messages: []protocol.Message{}, Through: b.Through, Unread: b.Unread, More: b.More}
	for _, m := range b.Messages {
		resp.Messages = append(resp.Messages, shape(m, req.Full))
	}
	return resp, nil
}

// checkAnswer is protocol.CheckResponse with each message passed on as
// the store holds it (store.FetchJSON): decoding 1,000 stored messages and
// encoding them again was most of a large check's cost. It must stay the
// same shape as protocol.CheckResponse (TestCheckAnswerShape).
type checkAnswer struct {
	Messages []json.RawMessage `json:"messages"`
	Through  uint64            `json:"through,omitempty"`
	Unread   int               `json:"unread"`
	More     bool              `json:"more,omitempty"`
	TimedOut bool              `json:"timed_out,omitempty"`
}

// appendJSON appends a as encoding/json would encode it, then a newline,
// as writeJSON's Encoder does. Its messages are JSON that json.Marshal
// wrote (when the store saved them, or here for a summary), so they go out
// as they are: encoding/json would check and compact every one of them
// again, a third of a large check's time in the daemon.
// TestCheckAnswerJSON holds the two encodings to each other.
func (a checkAnswer) appendJSON(b []byte) []byte {
	b = append(b, `{"messages":[`...)
	for i, m := range a.Messages {
		if i > 0 {
			b = append(b, ',')
		}
		if len(m) == 0 {
			m = nullJSON // as encoding/json writes an empty RawMessage
		}
		b = append(b, m...)
	}
	b = append(b, ']')
	if a.Through != 0 {
		b = strconv.AppendUint(append(b, `,"through":`...), a.Through, 10)
	}
	b = strconv.AppendInt(append(b, `,"unread":`...), int64(a.Unread), 10)
	if a.More {
		b = append(b, `,"more":true`...)
	}
	if a.TimedOut {
		b = append(b, `,"timed_out":true`...)
	}
	return append(b, "}\n"...)
}

var nullJSON = json.RawMessage("null")

// writeCheck writes a check or wait answer.
func writeCheck(w http.ResponseWriter, a checkAnswer) error {
	buf := bufPool.Get().(*bytes.Buffer)
	defer putBuf(buf)
	n := 64
	for _, m := range a.Messages {
		n += len(m) + 1
	}
	buf.Grow(n)
	body := a.appendJSON(buf.AvailableBuffer())
	return writeBody(w, body)
}

// readJSON is read for check and wait, which only pass messages on.
func (d *Daemon) readJSON(name string, req protocol.CheckRequest, after uint64) (checkAnswer, error) {
	n, err := limit(req.Limit, 100, protocol.MaxLimit)
	if err != nil {
		return checkAnswer{}, err
	}
	b, err := d.store.FetchJSON(name, after, n)
	if err != nil {
		return checkAnswer{}, err
	}
	resp := checkAnswer{Messages: b.Messages, Through: b.Through, Unread: b.Unread, More: b.More}
	if resp.Messages == nil {
		resp.Messages = []json.RawMessage{}
	}
	for i, raw := range resp.Messages {
		if req.Full || len(raw) <= protocol.LargeMessageBytes {
			continue // content this short needs no summary
		}
		var m protocol.Message
		if err := json.Unmarshal(raw, &m); err != nil {
			return checkAnswer{}, err
		}
		if resp.Messages[i], err = json.Marshal(shape(m, false)); err != nil {
			return checkAnswer{}, err
		}
	}
	return resp, nil
}

// checkLimit refuses a bad limit before anything is acknowledged: a
// refused request changes nothing.
func checkLimit(req protocol.CheckRequest) error {
	_, err := limit(req.Limit, 100, protocol.MaxLimit)
	return err
}

func (d *Daemon) ack(name string, req protocol.CheckRequest) error {
	if req.Ack == 0 || req.Peek {
		return nil
	}
	_, acked, err := d.store.Ack(name, req.Ack)
	d.delivered.Add(uint64(acked))
	return err
}

func (d *Daemon) handleCheck(w http.ResponseWriter, r *http.Request, c *call) error {
	var req protocol.CheckRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := checkLimit(req); err != nil {
		return err
	}
	if err := d.ack(c.sess.Name, req); err != nil {
		return err
	}
	resp, err := d.readJSON(c.sess.Name, req, 0)
	if err != nil {
		return err
	}
	return writeCheck(w, resp)
}

func (d *Daemon) handleAck(w http.ResponseWriter, r *http.Request, c *call) error {
	var req protocol.AckRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	left, acked, err := d.store.Ack(c.sess.Name, req.Through)
	if err != nil {
		return err
	}
	d.delivered.Add(uint64(acked))
	return writeJSON(w, protocol.AckResponse{Unread: left})
}

// handleWait blocks until there is mail above req.After or the timeout
// passes. It holds no transaction while blocked, and re-reads its session
// each round, so a rename follows the new name and a takeover ends it.
func (d *Daemon) handleWait(w http.ResponseWriter, r *http.Request, c *call) error {
	var req protocol.WaitRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.TimeoutMS < 0 || req.TimeoutMS > protocol.MaxWaitMS {
		return protocol.Errorf(protocol.CodeInvalidArgument, "timeout_ms must be from 0 to %d", protocol.MaxWaitMS)
	}
	if err := checkLimit(req.CheckRequest); err != nil {
		return err
	}
	timeout := 30 * time.Second
	if req.TimeoutMS > 0 {
		timeout = time.Duration(req.TimeoutMS) * time.Millisecond
	}
	if err := d.ack(c.sess.Name, req.CheckRequest); err != nil {
		return err
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	name := c.sess.Name
	done := d.presence.beginWait(name)
	defer func() { done() }()
	for {
		sess, err := d.sessions.Lookup(c.token)
		if err != nil {
			return err
		}
		if sess.Name != name {
			done()
			name = sess.Name
			done = d.presence.beginWait(name)
		}
		woken := d.waiters.watch(name)
		resp, err := d.readJSON(name, req.CheckRequest, req.After)
		if err != nil {
			return err
		}
		if len(resp.Messages) > 0 {
			return writeCheck(w, resp)
		}
		select {
		case <-woken:
			continue
		case <-timer.C:
		case <-d.stopping:
		case <-r.Context().Done():
			return nil
		}
		// Read once more: the answer says what the inbox holds now.
		if resp, err = d.readJSON(name, req.CheckRequest, req.After); err != nil {
			return err
		}
		resp.TimedOut = len(resp.Messages) == 0
		return writeCheck(w, resp)
	}
}

func (d *Daemon) handleHistory(w http.ResponseWriter, r *http.Request, c *call) error {
	var req protocol.HistoryRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	n, err := limit(req.Limit, 20, protocol.MaxLimit)
	if err != nil {
		return err
	}
	msgs, err := d.store.History(c.sess.Name, req.Before, n)
	if err != nil {
		return err
	}
	resp := protocol.HistoryResponse{Messages: []protocol.Message{}}
	for _, m := range msgs {
		resp.Messages = append(resp.Messages, shape(m, req.Full))
	}
	return writeJSON(w, resp)
}

func (d *Daemon) handleMessage(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		return protocol.Errorf(protocol.CodeInvalidArgument, "the message id must be a positive number")
	}
	m, err := d.store.Message(c.sess.Name, id)
	if err != nil {
		return err
	}
	return writeJSON(w, m)
}
