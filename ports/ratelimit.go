package ports

import (
	"context"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Limit is N events per Window for one key.
type Limit struct {
	N      int
	Window time.Duration
}

// Validate reports a Limit that cannot be enforced (N or Window not positive)
// as domain.ErrInvalid.
func (l Limit) Validate() error {
	if l.N <= 0 {
		return domain.Invalidf("rate limit: N must be positive, got %d", l.N)
	}
	if l.Window <= 0 {
		return domain.Invalidf("rate limit: window must be positive, got %s", l.Window)
	}
	return nil
}

// Decision is the answer to one Allow.
type Decision struct {
	// Allowed is true when the event was counted.
	Allowed bool
	// Remaining is how many more events fit in the window right now
	// (0 when denied).
	Remaining int
	// RetryAfter is 0 when allowed; when denied it is > 0 and at most Window:
	// the time until the oldest counted event that blocks this one leaves the
	// window, i.e. the earliest moment an Allow with the same Limit can succeed.
	// Suitable for an HTTP Retry-After header (round up).
	RetryAfter time.Duration
	// ResetAfter is the time until every counted event has left the window
	// (the key is back to N remaining); in (0, Window].
	ResetAfter time.Duration
}

// RateLimiter counts events per key in a sliding window.
// Implementations: adapters/memory (one process), adapters/redis (shared by
// every server node).
//
// Semantics, identical in every adapter and asserted by ports/ratelimittest:
//   - Sliding log, exact: an event recorded at time t counts while
//     now < t+Window. Allow first forgets events with t <= now-Window, then
//     records one event at now when fewer than N remain, else denies.
//   - Denied events are not counted, so hammering a denied key does not push
//     its window further out.
//   - Allow is atomic per key: under any concurrency at most N events are
//     allowed per window, and each allowed Decision sees a distinct Remaining.
//   - Time comes from the adapter's clock (the memory adapter's ports.Clock;
//     the Redis server's TIME, so nodes agree).
//   - The Limit is supplied per call; a key is meant to be used with one Limit.
//   - An invalid Limit or an empty key is domain.ErrInvalid; a done ctx is an
//     error wrapping ctx.Err(). On any error the Decision is the zero value
//     (not allowed): whether to fail open or closed is the caller's choice.
type RateLimiter interface {
	// Allow records one event for key when it fits the limit and says whether it did. Denied events are not counted.
	Allow(ctx context.Context, key string, l Limit) (Decision, error)
	// Reset forgets key (e.g. after a successful login). Resetting an unknown key is not an error.
	Reset(ctx context.Context, key string) error
}
