package tickets

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/breeze-rmm/breeze/ports"
)

// RevokedTopic is the bus topic on which the end of a session is announced
// to every node, so what a ticket opened there (terminal sessions, events
// sockets) ends at once rather than at its next periodic check. Payload: a
// JSON Revocation.
const RevokedTopic = "session.revoked"

// Revocation names what ended: one session (logout, refresh-token reuse)
// or every session of a user (disabled, password changed). Either field
// may be empty. With Access, nothing ended: what UserID may do changed
// (every user's when UserID is empty), for the nodes' principal caches.
type Revocation struct {
	SessionID string `json:"sessionId,omitempty"`
	UserID    string `json:"userId,omitempty"`
	Access    bool   `json:"access,omitempty"`
}

// Matches reports whether r ends the session sessionID of user userID.
func (r Revocation) Matches(userID, sessionID string) bool {
	if r.Access {
		return false
	}
	return (r.SessionID != "" && r.SessionID == sessionID) || (r.UserID != "" && r.UserID == userID)
}

// PublishRevoked announces r on the bus. Call it after the revocation is
// stored (logout, RevokeFamily, RevokeUser); a lost message only delays the
// end to the next periodic check.
func PublishRevoked(ctx context.Context, bus ports.Bus, r Revocation) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("tickets: encode revocation: %w", err)
	}
	if err := bus.Publish(ctx, RevokedTopic, raw); err != nil {
		return fmt.Errorf("tickets: publish revocation: %w", err)
	}
	return nil
}

// WatchRevoked subscribes to revocations and returns a channel closed when
// one matches (userID, sessionID); the subscription is active when it
// returns. The watch ends with ctx. If the bus subscription itself ends
// (a backend connection lost) the channel stays open: the periodic checks
// of the session still catch the revocation.
func WatchRevoked(ctx context.Context, bus ports.Bus, userID, sessionID string) (<-chan struct{}, error) {
	sub, err := bus.Subscribe(ctx, RevokedTopic)
	if err != nil {
		return nil, fmt.Errorf("tickets: subscribe to revocations: %w", err)
	}
	done := make(chan struct{})
	go func() {
		defer sub.Close()
		follow(ctx, sub, func(r Revocation) bool {
			if r.Matches(userID, sessionID) {
				close(done)
				return false
			}
			return true
		})
	}()
	return done, nil
}

// BusRevocations implements domain.Revocations by publishing on the bus.
type BusRevocations struct {
	Bus ports.Bus
	// OnError hears a publish failure (nil: ignored; the periodic checks
	// still end the sessions within seconds).
	OnError func(err error)
}

// SessionEnded implements domain.Revocations.
func (b BusRevocations) SessionEnded(ctx context.Context, sessionID string) {
	b.report(PublishRevoked(ctx, b.Bus, Revocation{SessionID: sessionID}))
}

// UserEnded implements domain.Revocations.
func (b BusRevocations) UserEnded(ctx context.Context, userID string) {
	b.report(PublishRevoked(ctx, b.Bus, Revocation{UserID: userID}))
}

// AccessChanged implements domain.Revocations.
func (b BusRevocations) AccessChanged(ctx context.Context, userID string) {
	b.report(PublishRevoked(ctx, b.Bus, Revocation{UserID: userID, Access: true}))
}

func (b BusRevocations) report(err error) {
	if err != nil && b.OnError != nil {
		b.OnError(err)
	}
}
