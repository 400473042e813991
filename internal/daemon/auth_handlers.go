package daemon

import (
	"net/http"
	"strings"
	"time"

	"github.com/ipcd/ipcd/pkg/protocol"
)

func (d *Daemon) handleHealth(w http.ResponseWriter, r *http.Request, _ *call) error {
	return writeJSON(w, protocol.HealthResponse{
		OK: true, Version: protocol.Version, API: protocol.APIVersion, Mode: d.cfg.mode(),
	})
}

func (d *Daemon) handleChallenge(w http.ResponseWriter, r *http.Request, _ *call) error {
	var req struct{}
	if err := decode(r, &req); err != nil {
		return err
	}
	nonce, exp, err := d.nonces.Issue()
	if err != nil {
		return err
	}
	return writeJSON(w, protocol.ChallengeResponse{Nonce: nonce, ExpiresAt: exp})
}

// verify checks a challenge answer. The nonce is spent before the proof is
// compared, so a wrong guess costs a fresh challenge; wrong proofs are
// also rate limited as a whole.
func (d *Daemon) verify(label, nonce, name, proof string) error {
	if d.cfg.Secret == nil {
		return nil
	}
	if nonce == "" || proof == "" {
		return protocol.Errorf(protocol.CodeUnauthorized,
			"this daemon runs in secure mode: ask /v1/auth/challenge for a nonce and send nonce and proof")
	}
	if err := d.nonces.Consume(nonce); err != nil {
		return err
	}
	if !protocol.VerifyProof(d.cfg.Secret.Bytes(), label, nonce, name, proof) {
		if err := d.badProof.Allow("", 1); err != nil {
			return err
		}
		d.log.Warn("registration with a wrong proof", "name", name)
		return protocol.Errorf(protocol.CodeBadProof,
			"the proof does not match: the shared secret differs from the daemon's (%s)", d.cfg.Secret.Source)
	}
	return nil
}

func (d *Daemon) handleRegister(w http.ResponseWriter, r *http.Request, _ *call) error {
	var req protocol.RegisterRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := protocol.ValidateName(req.Name); err != nil {
		return err
	}
	if err := d.verify(protocol.LabelRegister, req.Nonce, req.Name, req.Proof); err != nil {
		return err
	}
	// A client that still holds a live token for this name is the holder
	// coming back (an AI client restarted): it keeps its token. A takeover
	// always makes a new session and ends every other.
	token := ""
	if h, ok := strings.CutPrefix(r.Header.Get(protocol.HeaderAuthorization), "Bearer "); ok && !req.Takeover {
		if s, err := d.sessions.Lookup(h); err == nil && !s.Admin && s.Name == req.Name {
			token = h
		}
	}
	nameTaken := func(last time.Time) error {
		ago := d.cfg.Clock.Now().Sub(last).Round(time.Second)
		return protocol.Errorf(protocol.CodeNameTaken,
			"%q is in use by another session, last seen %s ago; register with takeover to take it over",
			req.Name, ago).WithDetail("last_seen", last)
	}
	if token == "" && !req.Takeover {
		// Refuse early, before the synced write of store.Register.
		if last, held := d.sessions.Holder(req.Name); held {
			return nameTaken(last)
		}
	}
	res, err := d.store.Register(req.Name)
	if err != nil {
		return err
	}
	tookOver := false
	if token == "" {
		// The check and the new session in one step: of two registrations
		// racing for a free name, one gets name_taken.
		var last time.Time
		var held bool
		if token, tookOver, last, held = d.sessions.Claim(req.Name, req.Takeover); held {
			return nameTaken(last)
		}
	}
	if tookOver {
		d.waiters.notify(req.Name) // its waits end with session_expired
		d.log.Info("session taken over", "name", req.Name)
	}
	d.presence.touch(req.Name, d.cfg.Clock.Now())
	d.events.publish(protocol.Event{Time: d.cfg.Clock.Now(), Type: protocol.EventRegister, Name: req.Name})
	d.log.Info("registered", "name", req.Name, "new", res.New, "unread", res.Unread)
	return writeJSON(w, protocol.RegisterResponse{
		Name: req.Name, Token: token, Unread: res.Unread, TookOver: tookOver, New: res.New,
		IdleTimeoutSeconds: int64(d.sessions.Idle() / time.Second),
	})
}

func (d *Daemon) handleAdminAuth(w http.ResponseWriter, r *http.Request, _ *call) error {
	var req protocol.AdminRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := d.verify(protocol.LabelAdmin, req.Nonce, "", req.Proof); err != nil {
		return err
	}
	return writeJSON(w, protocol.AdminResponse{Token: d.sessions.Create("", true)})
}

func (d *Daemon) handleLogout(w http.ResponseWriter, r *http.Request, c *call) error {
	d.sessions.Revoke(c.token)
	return writeJSON(w, struct{}{})
}

func (d *Daemon) handleWhoami(w http.ResponseWriter, r *http.Request, c *call) error {
	n, _, err := d.store.Unread(c.sess.Name)
	if err != nil {
		return err
	}
	return writeJSON(w, protocol.WhoamiResponse{Name: c.sess.Name, Unread: n})
}
