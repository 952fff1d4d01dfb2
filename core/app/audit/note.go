// Package audit carries the audit note of one request: the HTTP edge opens
// it, use cases fill in what only they know (actor, resource, outcome), and
// the edge appends exactly one row when the request ends.
package audit

import (
	"context"
	"sync"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Note is the audit row being built for the current request.
type Note struct {
	mu    sync.Mutex
	entry domain.AuditEntry
	// outcomeSet: a use case decided the outcome; the edge keeps it rather
	// than deriving one from the status code.
	outcomeSet bool
}

type key struct{}

// WithNote returns a context carrying a fresh note.
func WithNote(ctx context.Context, base domain.AuditEntry) (context.Context, *Note) {
	n := &Note{entry: base}
	return context.WithValue(ctx, key{}, n), n
}

// From returns the note of ctx, or nil outside an audited request.
func From(ctx context.Context) *Note {
	n, _ := ctx.Value(key{}).(*Note)
	return n
}

// Annotate edits the note of ctx, if any. Safe from several goroutines.
func Annotate(ctx context.Context, fn func(e *domain.AuditEntry)) {
	if n := From(ctx); n != nil {
		n.mu.Lock()
		fn(&n.entry)
		n.mu.Unlock()
	}
}

// SetActor records who acted.
func SetActor(ctx context.Context, actorType, actorID string) {
	Annotate(ctx, func(e *domain.AuditEntry) { e.ActorType, e.ActorID = actorType, actorID })
}

// SetResource records what was acted on and whose it is.
func SetResource(ctx context.Context, resourceType, resourceID, partnerID, orgID string) {
	Annotate(ctx, func(e *domain.AuditEntry) {
		if resourceType != "" {
			e.ResourceType = resourceType
		}
		e.ResourceID, e.PartnerID, e.OrgID = resourceID, partnerID, orgID
	})
}

// SetOutcome fixes the outcome and an optional JSON details object.
func SetOutcome(ctx context.Context, o domain.AuditOutcome, details string) {
	if n := From(ctx); n != nil {
		n.mu.Lock()
		n.entry.Outcome = o
		if details != "" {
			n.entry.Details = details
		}
		n.outcomeSet = true
		n.mu.Unlock()
	}
}

// Entry returns a copy of the row and whether a use case set the outcome.
func (n *Note) Entry() (domain.AuditEntry, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.entry, n.outcomeSet
}
