package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"sync"
	"time"

	"github.com/ipcd/ipcd/internal/clock"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// TokenPrefix starts every session token, so a leaked one is easy to
// recognise and grep for.
const TokenPrefix = "ipcd_"

// Session is what a token grants: acting as Name, or admin access.
type Session struct {
	Name     string
	Admin    bool
	Created  time.Time
	LastUsed time.Time
}

// Sessions keeps session tokens in memory, each only as its SHA-256 hash.
// A daemon restart ends every session; clients register again on their
// own, which also means a name is never held by a session of a daemon
// that no longer runs.
type Sessions struct {
	clock clock.Clock
	idle  time.Duration

	mu   sync.Mutex
	byID map[[32]byte]*Session
}

// NewSessions returns a session table whose tokens expire after idle
// without use.
func NewSessions(clk clock.Clock, idle time.Duration) *Sessions {
	return &Sessions{clock: clk, idle: idle, byID: map[[32]byte]*Session{}}
}

// Idle is the idle lifetime of a token.
func (s *Sessions) Idle() time.Duration { return s.idle }

// Create makes a session and returns its token: 256 random bits.
func (s *Sessions) Create(name string, admin bool) string {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createLocked(name, admin, now)
}

func (s *Sessions) createLocked(name string, admin bool, now time.Time) string {
	buf := make([]byte, 32)
	rand.Read(buf)
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(buf)
	s.byID[sha256.Sum256([]byte(token))] = &Session{Name: name, Admin: admin, Created: now, LastUsed: now}
	return token
}

// Lookup returns the session of a token and renews its idle expiry.
func (s *Sessions) Lookup(token string) (Session, error) {
	if !strings.HasPrefix(token, TokenPrefix) {
		return Session{}, protocol.Errorf(protocol.CodeSessionExpired, "the session token is not valid; register again")
	}
	h := sha256.Sum256([]byte(token))
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.byID[h]
	if ok && !now.Before(sess.LastUsed.Add(s.idle)) {
		delete(s.byID, h)
		ok = false
	}
	if !ok {
		return Session{}, protocol.Errorf(protocol.CodeSessionExpired,
			"the session is unknown, revoked or expired; register again")
	}
	sess.LastUsed = now
	return *sess, nil
}

// Revoke ends the session of one token.
func (s *Sessions) Revoke(token string) {
	s.mu.Lock()
	delete(s.byID, sha256.Sum256([]byte(token)))
	s.mu.Unlock()
}

// Holder reports whether a live session acts as name, and when it was
// last used.
func (s *Sessions) Holder(name string) (lastUsed time.Time, held bool) {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.holderLocked(name, now)
}

// holderLocked is Holder with s.mu held; it drops the expired sessions of
// name as it goes.
func (s *Sessions) holderLocked(name string, now time.Time) (lastUsed time.Time, held bool) {
	for h, sess := range s.byID {
		if sess.Admin || sess.Name != name {
			continue
		}
		if !now.Before(sess.LastUsed.Add(s.idle)) {
			delete(s.byID, h)
			continue
		}
		if sess.LastUsed.After(lastUsed) {
			lastUsed = sess.LastUsed
		}
		held = true
	}
	return lastUsed, held
}

// Claim makes a session acting as name, in one step with the check for a
// live holder, so that two registrations at the same moment cannot both
// get one. A live holder refuses the claim (held, with its last use)
// unless takeover, which ends the holder's sessions first (tookOver).
func (s *Sessions) Claim(name string, takeover bool) (token string, tookOver bool, holderLastUsed time.Time, held bool) {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if holderLastUsed, held = s.holderLocked(name, now); held {
		if !takeover {
			return "", false, holderLastUsed, true
		}
		tookOver = s.revokeNameLocked(name) > 0
	}
	return s.createLocked(name, false, now), tookOver, time.Time{}, false
}

// revokeNameLocked ends every session acting as name (a takeover), with
// s.mu held, and returns how many there were.
func (s *Sessions) revokeNameLocked(name string) int {
	n := 0
	for h, sess := range s.byID {
		if !sess.Admin && sess.Name == name {
			delete(s.byID, h)
			n++
		}
	}
	return n
}

// Rename makes the sessions of old act as new.
func (s *Sessions) Rename(old, new string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sess := range s.byID {
		if !sess.Admin && sess.Name == old {
			sess.Name = new
		}
	}
}

// Sweep drops expired sessions; the daemon calls it now and then.
func (s *Sessions) Sweep() {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, sess := range s.byID {
		if !now.Before(sess.LastUsed.Add(s.idle)) {
			delete(s.byID, h)
		}
	}
}
