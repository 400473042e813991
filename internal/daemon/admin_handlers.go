package daemon

import (
	"encoding/json"
	"net/http"
	"os"
	"time"

	"github.com/ipcd/ipcd/internal/store"
	"github.com/ipcd/ipcd/pkg/protocol"
)

func (d *Daemon) handleStatus(w http.ResponseWriter, r *http.Request, _ *call) error {
	ids, err := d.identities()
	if err != nil {
		return err
	}
	now := d.cfg.Clock.Now()
	st := protocol.StatusResponse{
		Version: protocol.Version, API: protocol.APIVersion, Mode: d.cfg.mode(), PID: os.Getpid(),
		Socket: d.cfg.Socket, Listen: d.cfg.Listen, ServiceManager: d.cfg.ServiceManager, DataDir: d.cfg.DataDir,
		DatabaseBytes: d.store.Size(), StartedAt: d.started,
		UptimeSeconds: int64(now.Sub(d.started) / time.Second),
		Identities:    ids,
		Counters: protocol.Counters{
			Sent: d.sent.Load(), Delivered: d.delivered.Load(), Rejected: d.rejected.Load(),
		},
		Limits: d.cfg.Limits.Wire(),
	}
	for _, id := range ids {
		st.UnreadTotal += id.Unread
	}
	return writeJSON(w, st)
}

// handleWatch streams events as newline-delimited JSON until the client
// goes away or the daemon stops.
func (d *Daemon) handleWatch(w http.ResponseWriter, r *http.Request, _ *call) error {
	rc := http.NewResponseController(w)
	events, unsubscribe := d.events.subscribe()
	defer func() {
		if n := unsubscribe(); n > 0 {
			d.log.Warn("a watcher fell behind and lost events", "lost", n)
		}
	}()
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return nil
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for {
		select {
		case ev := <-events:
			if enc.Encode(ev) != nil || rc.Flush() != nil {
				return nil
			}
		case <-r.Context().Done():
			return nil
		case <-d.stopping:
			return nil
		}
	}
}

// handleBackup streams a consistent copy of the database. It declares no
// Content-Length: a size read in another transaction than the copy's
// could differ from it, and a copy cut to a stale length would look whole.
// An error mid-stream aborts the connection instead of ending the body
// cleanly, so a client never takes a partial copy for a backup.
func (d *Daemon) handleBackup(w http.ResponseWriter, r *http.Request, _ *call) error {
	w.Header().Set("Content-Type", "application/octet-stream")
	if _, err := d.store.Backup(w); err != nil {
		d.log.Error("backup", "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

func (d *Daemon) handleImport(w http.ResponseWriter, r *http.Request, _ *call) error {
	var req protocol.ImportRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	// Every name and key is checked before anything is written: a refused
	// import creates no names and no files.
	for _, n := range req.Names {
		if err := protocol.ValidateName(n.Name); err != nil {
			return err
		}
	}
	for _, m := range req.Messages {
		if m.Key == "" {
			return protocol.Errorf(protocol.CodeInvalidArgument, "an imported message needs a key")
		}
		if err := protocol.ValidateName(m.From); err != nil {
			return err
		}
		if err := protocol.ValidateName(m.To); err != nil {
			return err
		}
	}
	keys := make([]string, 0, len(req.Messages))
	for _, m := range req.Messages {
		keys = append(keys, m.Key)
	}
	seen, err := d.store.ImportedKeys(keys)
	if err != nil {
		return err
	}
	for _, m := range req.Messages {
		if !seen[m.Key] {
			if err := d.checkContent(m.Content, m.Data); err != nil {
				return err
			}
		}
	}
	if req.DryRun {
		return d.importDryRun(w, req, seen)
	}
	var resp protocol.ImportResponse
	names := make([]store.ImportName, 0, len(req.Names))
	for _, n := range req.Names {
		names = append(names, store.ImportName{Name: n.Name, LastSeen: n.LastSeen})
	}
	msgs := make([]store.ImportMessage, 0, len(req.Messages))
	var files []string
	removeFiles := func() {
		for _, f := range files {
			os.Remove(f)
		}
	}
	written := map[string]bool{}
	for _, m := range req.Messages {
		if seen[m.Key] || written[m.Key] {
			continue // imported before, or twice in this request: no file
		}
		written[m.Key] = true
		im := store.ImportMessage{Key: m.Key, From: m.From, To: m.To, Content: m.Content, SentAt: m.SentAt, Data: m.Data}
		if len(m.Content) > protocol.LargeMessageBytes {
			if im.File, err = d.writeLarge(m.From, m.To, m.Content); err != nil {
				removeFiles()
				return err
			}
			files = append(files, im.File)
		}
		msgs = append(msgs, im)
	}
	// Names and messages in one transaction: a refused import (a full
	// store, say) creates no names either.
	var skipped []string
	if resp.NamesCreated, resp.MessagesImported, skipped, err = d.store.Import(names, msgs); err != nil {
		removeFiles()
		return err
	}
	for _, f := range skipped {
		os.Remove(f) // a key another import stored meanwhile
	}
	for _, m := range msgs {
		d.waiters.notify(m.To)
	}
	return writeJSON(w, resp)
}

// handleShutdown stops the daemon gracefully, as SIGTERM does: requests in
// flight finish, waits return, nothing acknowledged is lost. It is how
// "ipcd stop" ends a daemon that no service manager runs, on every OS.
func (d *Daemon) handleShutdown(w http.ResponseWriter, _ *http.Request, _ *call) error {
	if err := writeJSON(w, protocol.ShutdownResponse{Stopping: true, PID: os.Getpid()}); err != nil {
		return err
	}
	d.askOnce.Do(func() { close(d.asked) })
	return nil
}

// importDryRun answers a checked import request with what it would create,
// writing nothing: "ipcd import --dry-run" with a daemon running.
func (d *Daemon) importDryRun(w http.ResponseWriter, req protocol.ImportRequest, seen map[string]bool) error {
	names := make([]string, 0, len(req.Names))
	for _, n := range req.Names {
		names = append(names, n.Name)
	}
	known, err := d.store.KnownNames(names)
	if err != nil {
		return err
	}
	var resp protocol.ImportResponse
	for _, n := range names {
		if !known[n] {
			known[n] = true // a name twice in the request is created once
			resp.NamesCreated++
		}
	}
	for _, m := range req.Messages {
		if !seen[m.Key] {
			seen[m.Key] = true
			resp.MessagesImported++
		}
	}
	return writeJSON(w, resp)
}
