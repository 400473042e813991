package daemon

import (
	"net/http"

	"github.com/ipcd/ipcd/internal/store"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// identities lists every identity with presence from memory: last seen is
// the later of the stored and the in-memory time; online means seen
// within the online window or blocked in a wait right now.
func (d *Daemon) identities() ([]protocol.Identity, error) {
	infos, err := d.store.List()
	if err != nil {
		return nil, err
	}
	now := d.cfg.Clock.Now()
	out := make([]protocol.Identity, 0, len(infos))
	for _, in := range infos {
		id := protocol.Identity{
			Name: in.Name, Registered: in.Registered, Unread: in.Unread, ForwardedFrom: in.ForwardedFrom,
		}
		if in.Registered {
			ac := in.AutoCheck
			id.AutoCheck = &ac
			last := in.LastSeen
			if t := d.presence.lastSeen(in.Name); t.After(last) {
				last = t
			}
			if !last.IsZero() {
				id.LastSeen = &last
			}
			id.Waiting = d.presence.isWaiting(in.Name)
			id.Online = id.Waiting || (!last.IsZero() && now.Sub(last) < d.cfg.OnlineWindow)
		}
		out = append(out, id)
	}
	return out, nil
}

func (d *Daemon) handleList(w http.ResponseWriter, r *http.Request, c *call) error {
	ids, err := d.identities()
	if err != nil {
		return err
	}
	return writeJSON(w, protocol.ListResponse{Identities: ids})
}

func (d *Daemon) handleRename(w http.ResponseWriter, r *http.Request, c *call) error {
	var req protocol.RenameRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := protocol.ValidateName(req.NewName); err != nil {
		return err
	}
	res, err := d.store.Rename(store.RenameParams{
		Name: c.sess.Name, NewName: req.NewName, Cooldown: RenameCooldown, Forward: RenameForward,
	})
	if err != nil {
		return err
	}
	d.sessions.Rename(res.OldName, res.NewName)
	d.presence.rename(res.OldName, res.NewName)
	d.waiters.notify(res.OldName) // its waits follow the new name
	d.waiters.notify(res.Notified...)
	d.events.publish(protocol.Event{Time: d.cfg.Clock.Now(), Type: protocol.EventRename, Name: res.NewName, OldName: res.OldName})
	d.log.Info("renamed", "old", res.OldName, "new", res.NewName)
	return writeJSON(w, protocol.RenameResponse{Name: res.NewName, OldName: res.OldName, ForwardUntil: res.ForwardUntil})
}

func (d *Daemon) handleAutoCheckGet(w http.ResponseWriter, r *http.Request, c *call) error {
	ac, err := d.store.AutoCheck(c.sess.Name)
	if err != nil {
		return err
	}
	return writeJSON(w, ac)
}

func (d *Daemon) handleAutoCheckSet(w http.ResponseWriter, r *http.Request, c *call) error {
	var req protocol.AutoCheckRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	ac, err := d.store.SetAutoCheck(c.sess.Name, req.Enabled, req.IntervalMinutes)
	if err != nil {
		return err
	}
	return writeJSON(w, ac)
}

// handleAutoCheckRun is what hooks call on every turn: cheap when nothing
// is due (one read transaction), and when due it returns the unread mail
// like check does.
func (d *Daemon) handleAutoCheckRun(w http.ResponseWriter, r *http.Request, c *call) error {
	var req protocol.AutoCheckRunRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := checkLimit(req.CheckRequest); err != nil {
		return err
	}
	due, setting, err := d.store.AutoCheckDue(c.sess.Name, req.Force)
	if err != nil {
		return err
	}
	resp := protocol.AutoCheckRunResponse{Due: due, AutoCheck: setting}
	if due || req.Force {
		if err := d.ack(c.sess.Name, req.CheckRequest); err != nil {
			return err
		}
		if resp.CheckResponse, err = d.read(c.sess.Name, req.CheckRequest, 0); err != nil {
			return err
		}
	} else {
		n, _, err := d.store.Unread(c.sess.Name)
		if err != nil {
			return err
		}
		resp.CheckResponse = protocol.CheckResponse{Messages: []protocol.Message{}, Unread: n}
	}
	return writeJSON(w, resp)
}
