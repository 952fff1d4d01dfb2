package maintenance

import (
	"context"
	"time"

	"github.com/breeze-rmm/breeze/core/app/alerts"
	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// ResourceWindow is the audit resource type.
const ResourceWindow = "maintenance_window"

// Window writes need alerts:write, like alert rules: they decide what is
// notified.
const permWrite = domain.PermAlertsWrite

// validate checks a window's timing, that its scope lies in its owner and
// the caller's write scope (else ErrNotFound: no oracle), and that its
// partner has room for one more enabled window (other than the one
// replaced).
func (s *Service) validate(ctx context.Context, p *domain.Principal, w *domain.MaintenanceWindow, replaced string) error {
	if len(w.Description) > 4000 {
		return domain.Invalidf("description longer than 4000 bytes")
	}
	if _, err := Compile(w); err != nil {
		return err
	}
	scope := p.ScopeFor(permWrite)
	if err := alerts.ValidateScope(ctx, s.d.Store, scope, w.PartnerID, w.OrgID, w.ScopeKind, w.ScopeIDs, nil); err != nil {
		return err
	}
	if !w.Enabled {
		return nil
	}
	partner := w.PartnerID
	if w.OrgID != "" {
		o, err := s.d.Store.Orgs().Get(ctx, scope, w.OrgID)
		if err != nil {
			return err
		}
		partner = o.PartnerID
	}
	n := 0
	for _, c := range s.windows(ctx).byPartner[partner] {
		if c.w.ID != replaced {
			n++
		}
	}
	if n >= s.d.MaxEnabledPerPartner {
		return domain.Invalidf("a partner has at most %d enabled maintenance windows; disable or delete some first", s.d.MaxEnabledPerPartner)
	}
	return nil
}

// CreateWindow adds a window.
func (s *Service) CreateWindow(ctx context.Context, p *domain.Principal, w *domain.MaintenanceWindow) (*Window, error) {
	audit.SetResource(ctx, ResourceWindow, "", w.PartnerID, w.OrgID)
	if err := s.validate(ctx, p, w, ""); err != nil {
		return nil, err
	}
	w.CreatedBy = p.UserID
	if err := s.d.Store.MaintenanceWindows().Create(ctx, p.ScopeFor(permWrite), w); err != nil {
		return nil, err
	}
	audit.SetResource(ctx, ResourceWindow, w.ID, w.PartnerID, w.OrgID)
	s.changed(ctx)
	return s.withNext(w), nil
}

// Window is a window with its current or next occurrence.
type Window struct {
	*domain.MaintenanceWindow
	// NextStart and NextEnd bound the occurrence under way or the next
	// one (zero: none, a past one-off window); Active: under way now.
	NextStart, NextEnd time.Time
	Active             bool
}

func (s *Service) withNext(w *domain.MaintenanceWindow) *Window {
	out := &Window{MaintenanceWindow: w}
	sched, err := Compile(w)
	if err != nil {
		return out // stored before a zone left the database: no occurrence
	}
	now := s.d.Clock.Now()
	if start, end, ok := sched.Next(now); ok {
		out.NextStart, out.NextEnd, out.Active = start, end, !now.Before(start)
	}
	return out
}

// GetWindow returns a window the caller may read.
func (s *Service) GetWindow(ctx context.Context, p *domain.Principal, id string) (*Window, error) {
	w, err := s.d.Store.MaintenanceWindows().Get(ctx, p.ScopeFor(domain.PermAlertsRead), id)
	if err != nil {
		return nil, err
	}
	return s.withNext(w), nil
}

// ListWindows lists the windows the caller may read.
func (s *Service) ListWindows(ctx context.Context, p *domain.Principal, f ports.MaintenanceWindowFilter, page domain.PageRequest) (domain.Page[*Window], error) {
	ws, err := s.d.Store.MaintenanceWindows().List(ctx, p.ScopeFor(domain.PermAlertsRead), f, page)
	if err != nil {
		return domain.Page[*Window]{}, err
	}
	out := domain.Page[*Window]{NextCursor: ws.NextCursor, Items: make([]*Window, len(ws.Items))}
	for i, w := range ws.Items {
		out.Items[i] = s.withNext(w)
	}
	return out, nil
}

// UpdateWindow replaces a window's settings at w.Version (the owner never
// changes).
func (s *Service) UpdateWindow(ctx context.Context, p *domain.Principal, w *domain.MaintenanceWindow) (*Window, error) {
	cur, err := s.d.Store.MaintenanceWindows().Get(ctx, p.ScopeFor(permWrite), w.ID)
	if err != nil {
		return nil, err
	}
	audit.SetResource(ctx, ResourceWindow, cur.ID, cur.PartnerID, cur.OrgID)
	w.PartnerID, w.OrgID = cur.PartnerID, cur.OrgID
	if err := s.validate(ctx, p, w, cur.ID); err != nil {
		return nil, err
	}
	out, err := s.d.Store.MaintenanceWindows().Update(ctx, p.ScopeFor(permWrite), w)
	if err != nil {
		return nil, err
	}
	s.changed(ctx)
	return s.withNext(out), nil
}

// DeleteWindow removes a window.
func (s *Service) DeleteWindow(ctx context.Context, p *domain.Principal, id string) error {
	scope := p.ScopeFor(permWrite)
	w, err := s.d.Store.MaintenanceWindows().Get(ctx, scope, id)
	if err != nil {
		return err
	}
	audit.SetResource(ctx, ResourceWindow, w.ID, w.PartnerID, w.OrgID)
	if err := s.d.Store.MaintenanceWindows().Delete(ctx, scope, id); err != nil {
		return err
	}
	s.changed(ctx)
	return nil
}
