package domain

import "context"

// Revocations hears that sessions ended, so what they opened elsewhere
// (terminal sessions and event streams, on any node) closes at once rather
// than at its next periodic check. Implementations must not block long.
type Revocations interface {
	SessionEnded(ctx context.Context, sessionID string)
	UserEnded(ctx context.Context, userID string)
}
