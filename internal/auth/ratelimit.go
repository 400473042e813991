package auth

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ipcd/ipcd/internal/clock"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// RateLimiter is a token bucket per key (an identity's name).
type RateLimiter struct {
	clock clock.Clock
	limit rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// NewRateLimiter allows perSecond events per key on average, with bursts
// of up to burst. A perSecond of zero or less means no limit.
func NewRateLimiter(clk clock.Clock, perSecond float64, burst int) *RateLimiter {
	l := rate.Limit(perSecond)
	if perSecond <= 0 {
		l = rate.Inf
	}
	return &RateLimiter{clock: clk, limit: l, burst: max(burst, 1), buckets: map[string]*rate.Limiter{}}
}

// Allow takes n tokens from key's bucket, or returns rate_limited with how
// long to wait.
func (r *RateLimiter) Allow(key string, n int) error {
	if r.limit == rate.Inf {
		return nil
	}
	now := r.clock.Now()
	r.mu.Lock()
	b, ok := r.buckets[key]
	if !ok {
		if len(r.buckets) > 10000 {
			r.prune(now)
		}
		b = rate.NewLimiter(r.limit, r.burst)
		r.buckets[key] = b
	}
	r.mu.Unlock()
	if b.AllowN(now, n) {
		return nil
	}
	wait := time.Second
	if res := b.ReserveN(now, n); res.OK() {
		wait = res.DelayFrom(now)
		res.CancelAt(now)
	}
	return protocol.Errorf(protocol.CodeRateLimited,
		"you are sending faster than %g messages a second (bursts of %d); try again in %s",
		float64(r.limit), r.burst, wait.Round(time.Millisecond)).
		WithDetail("retry_after_ms", int64(math.Ceil(float64(wait)/float64(time.Millisecond))))
}

// prune forgets buckets that are full again, which behave as new ones.
func (r *RateLimiter) prune(now time.Time) {
	for k, b := range r.buckets {
		if b.TokensAt(now) >= float64(r.burst) {
			delete(r.buckets, k)
		}
	}
}
