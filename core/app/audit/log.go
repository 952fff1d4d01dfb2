package audit

import (
	"context"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// LogDeps are the audit log reader's collaborators.
type LogDeps struct {
	Store ports.AuditStore
}

// Log reads the audit log for the people allowed to.
type Log struct {
	d LogDeps
}

// NewLog checks deps.
func NewLog(d LogDeps) (*Log, error) {
	if d.Store == nil {
		return nil, domain.Invalidf("audit: Store is required")
	}
	return &Log{d: d}, nil
}

// List searches the rows in the caller's audit:read scope, newest first.
// A time window must run forwards.
func (l *Log) List(ctx context.Context, p *domain.Principal, f ports.AuditFilter, page domain.PageRequest) (domain.Page[*domain.AuditEntry], error) {
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return domain.Page[*domain.AuditEntry]{}, domain.Invalidf("from must be before to")
	}
	return l.d.Store.List(ctx, p.ScopeFor(domain.PermAuditRead), f, page)
}
