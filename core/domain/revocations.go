package domain

import "context"

// Revocations hears that sessions ended, so what they opened elsewhere
// (terminal sessions and event streams, on any node) closes at once rather
// than at its next periodic check, and that what a user may do changed, so
// no node keeps authenticating them from a principal built before the
// change. Implementations must not block long.
type Revocations interface {
	SessionEnded(ctx context.Context, sessionID string)
	UserEnded(ctx context.Context, userID string)
	// AccessChanged: the user's grants, roles, API keys, second factor or
	// partner policy changed; userID "" means anyone's (a role or a
	// partner edited, a tenant deleted). Their sessions go on.
	AccessChanged(ctx context.Context, userID string)
}
