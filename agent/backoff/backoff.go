// Package backoff spaces out reconnects: full-jitter exponential backoff, a
// random first delay, and the server's Retry-After. A fleet of agents that
// lost its server all at once must not come back all at once.
package backoff

import (
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Policy is full-jitter exponential backoff: the n-th retry waits a uniform
// random time in [0, min(Cap, Base·2ⁿ)].
type Policy struct {
	Base time.Duration
	Cap  time.Duration
}

// Delay returns the wait before retry number attempt (0-based).
func (p Policy) Delay(attempt int) time.Duration {
	return Jitter(p.Ceiling(attempt))
}

// Ceiling is the upper bound of Delay(attempt).
func (p Policy) Ceiling(attempt int) time.Duration {
	if p.Base <= 0 {
		return 0
	}
	c := p.Base
	for i := 0; i < attempt && c < p.Cap; i++ {
		c *= 2
	}
	if p.Cap > 0 && c > p.Cap {
		c = p.Cap
	}
	return c
}

// Jitter returns a uniform random duration in [0, d].
func Jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}

// RetryAfter reads a Retry-After header (delay-seconds or an HTTP date) and
// returns the wait it asks for, capped at limit; ok is false when the header
// is absent or malformed.
func RetryAfter(h http.Header, now time.Time, limit time.Duration) (d time.Duration, ok bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		maxSecs := int64(math.MaxInt64 / int64(time.Second)) // no overflow
		if limit > 0 {
			maxSecs = int64(limit/time.Second) + 1
		}
		d = time.Duration(min(secs, maxSecs)) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(t.Sub(now), 0)
	} else {
		return 0, false
	}
	if limit > 0 && d > limit {
		d = limit
	}
	return d, true
}
