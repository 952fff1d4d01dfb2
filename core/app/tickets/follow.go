package tickets

import (
	"context"
	"encoding/json"
	"time"

	"github.com/breeze-rmm/breeze/ports"
)

// followRetry is how soon a lost revocation subscription is tried again.
const followRetry = 2 * time.Second

// FollowRevocations calls on for every revocation announced on the bus
// (this node's own included) until ctx ends. Whenever it has been without a
// subscription (at start, or after the bus lost it), it calls gap once the
// subscription is back, since announcements may have been missed: a cache
// that follows the announcements then forgets everything. Run it in a
// goroutine.
func FollowRevocations(ctx context.Context, bus ports.Bus, on func(Revocation), gap func()) {
	for ctx.Err() == nil {
		if sub, err := bus.Subscribe(ctx, RevokedTopic); err == nil {
			gap()
			follow(ctx, sub, func(r Revocation) bool { on(r); return true })
			_ = sub.Close()
		}
		select {
		case <-ctx.Done():
		case <-time.After(followRetry):
		}
	}
}

// follow hands each revocation on sub to on until on returns false, sub
// ends or ctx does.
func follow(ctx context.Context, sub ports.Subscription, on func(Revocation) bool) {
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-sub.C():
			if !ok {
				return
			}
			var r Revocation
			if json.Unmarshal(m.Payload, &r) == nil && !on(r) {
				return
			}
		}
	}
}
