package auth

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"

	"github.com/ipcd/ipcd/internal/clock"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// Nonces hands out single-use challenge nonces with a short lifetime.
type Nonces struct {
	clock clock.Clock
	ttl   time.Duration
	max   int

	mu      sync.Mutex
	pending map[string]time.Time // nonce -> expiry
}

// NewNonces returns a nonce issuer. At most max nonces are outstanding at
// once, so a flood of challenges cannot grow memory without bound.
func NewNonces(clk clock.Clock, ttl time.Duration, max int) *Nonces {
	return &Nonces{clock: clk, ttl: ttl, max: max, pending: map[string]time.Time{}}
}

// Issue returns a fresh nonce and its expiry.
func (n *Nonces) Issue() (string, time.Time, error) {
	now := n.clock.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.pending) >= n.max {
		for k, exp := range n.pending {
			if !now.Before(exp) {
				delete(n.pending, k)
			}
		}
		if len(n.pending) >= n.max {
			return "", time.Time{}, protocol.Errorf(protocol.CodeTooManyChallenges,
				"%d challenges are outstanding, the most allowed; answer one or wait %s", n.max, n.ttl)
		}
	}
	buf := make([]byte, 32)
	rand.Read(buf)
	nonce := base64.RawURLEncoding.EncodeToString(buf)
	exp := now.Add(n.ttl)
	n.pending[nonce] = exp
	return nonce, exp, nil
}

// Consume uses a nonce up. It fails for a nonce never issued, already
// used, or past its lifetime; a nonce is spent even when the proof that
// came with it turns out wrong.
func (n *Nonces) Consume(nonce string) error {
	now := n.clock.Now()
	n.mu.Lock()
	exp, ok := n.pending[nonce]
	delete(n.pending, nonce)
	n.mu.Unlock()
	switch {
	case !ok:
		return protocol.Errorf(protocol.CodeNonceInvalid,
			"the nonce is unknown or already used; ask for a new challenge")
	case !now.Before(exp):
		return protocol.Errorf(protocol.CodeNonceExpired,
			"the nonce expired (it lives %s); ask for a new challenge", n.ttl)
	}
	return nil
}
