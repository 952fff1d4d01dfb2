package alerts

import (
	"context"

	"github.com/breeze-rmm/breeze/core/app/alerts/conditions"
	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Audit resource types.
const (
	ResourceRule  = "alert_rule"
	ResourceAlert = "alert"
)

// Rule writes need alerts:write: admins decide what is monitored;
// technicians (alerts:acknowledge) act on the alerts.
const permRulesWrite = domain.PermAlertsWrite

// validate checks a rule's condition and that every scope id lies in the
// rule's owner and the caller's scope (else ErrNotFound: no oracle).
func (s *Service) validate(ctx context.Context, p *domain.Principal, r *domain.AlertRule) error {
	if !domain.ValidSeverity(r.Severity) {
		return domain.Invalidf("severity must be info, warning or critical")
	}
	cond, norm, err := conditions.Compile(r.Kind, r.Params)
	if err != nil {
		return err
	}
	if err := s.checkRefs(ctx, r, cond); err != nil {
		return err
	}
	r.Params = norm
	if r.RenotifySeconds < 0 || r.RenotifySeconds > 30*86400 {
		return domain.Invalidf("renotifySeconds must be within 0..%d", 30*86400)
	}
	if err := ValidateScope(ctx, s.d.Store, p.ScopeFor(permRulesWrite), r.PartnerID, r.OrgID, r.ScopeKind, r.ScopeIDs, r.ExcludeDeviceIDs); err != nil {
		return err
	}
	return s.validateRemediation(ctx, p, r)
}

// CreateRule adds a rule and recompiles.
func (s *Service) CreateRule(ctx context.Context, p *domain.Principal, r *domain.AlertRule) error {
	if err := s.validate(ctx, p, r); err != nil {
		return err
	}
	r.CreatedBy = p.UserID
	if err := s.d.Store.AlertRules().Create(ctx, p.ScopeFor(permRulesWrite), r); err != nil {
		return err
	}
	audit.SetResource(ctx, ResourceRule, r.ID, r.PartnerID, r.OrgID)
	s.reloadQuietly(ctx)
	return nil
}

// GetRule returns a rule the caller may read.
func (s *Service) GetRule(ctx context.Context, p *domain.Principal, id string) (*domain.AlertRule, error) {
	return s.d.Store.AlertRules().Get(ctx, p.ScopeFor(domain.PermAlertsRead), id)
}

// ListRules lists the rules the caller may read.
func (s *Service) ListRules(ctx context.Context, p *domain.Principal, f ports.AlertRuleFilter, page domain.PageRequest) (domain.Page[*domain.AlertRule], error) {
	return s.d.Store.AlertRules().List(ctx, p.ScopeFor(domain.PermAlertsRead), f, page)
}

// UpdateRule replaces a rule's mutable fields at r.Version.
func (s *Service) UpdateRule(ctx context.Context, p *domain.Principal, r *domain.AlertRule) (*domain.AlertRule, error) {
	cur, err := s.d.Store.AlertRules().Get(ctx, p.ScopeFor(permRulesWrite), r.ID)
	if err != nil {
		return nil, err
	}
	r.PartnerID, r.OrgID = cur.PartnerID, cur.OrgID
	if err := s.validate(ctx, p, r); err != nil {
		return nil, err
	}
	out, err := s.d.Store.AlertRules().Update(ctx, p.ScopeFor(permRulesWrite), r)
	if err != nil {
		return nil, err
	}
	audit.SetResource(ctx, ResourceRule, out.ID, out.PartnerID, out.OrgID)
	s.reloadQuietly(ctx)
	return out, nil
}

// DeleteRule removes a rule and its alerts.
func (s *Service) DeleteRule(ctx context.Context, p *domain.Principal, id string) error {
	scope := p.ScopeFor(permRulesWrite)
	r, err := s.d.Store.AlertRules().Get(ctx, scope, id)
	if err != nil {
		return err
	}
	audit.SetResource(ctx, ResourceRule, r.ID, r.PartnerID, r.OrgID)
	if err := s.d.Store.AlertRules().Delete(ctx, scope, id); err != nil {
		return err
	}
	s.reloadQuietly(ctx)
	return nil
}

// reloadQuietly recompiles after a rule write here and tells the other
// nodes to do the same.
func (s *Service) reloadQuietly(ctx context.Context) {
	if err := s.Reload(ctx); err != nil {
		s.d.Logger.Warn("alert rules not recompiled; the periodic reload will", "error", err)
	}
	s.announce(ctx)
}

// Alert is an alert with its history.
type Alert struct {
	*domain.Alert
	History []domain.AlertTransition
}

// ListAlerts lists the alerts of devices the caller may read.
func (s *Service) ListAlerts(ctx context.Context, p *domain.Principal, f ports.AlertFilter, page domain.PageRequest) (domain.Page[*domain.Alert], error) {
	out, err := s.d.Store.Alerts().List(ctx, p.ScopeFor(domain.PermAlertsRead), f, page)
	if err != nil {
		return out, err
	}
	s.inMaintenance(ctx, out.Items...)
	return out, nil
}

// GetAlert returns an alert with its history.
func (s *Service) GetAlert(ctx context.Context, p *domain.Principal, id string) (*Alert, error) {
	scope := p.ScopeFor(domain.PermAlertsRead)
	a, err := s.d.Store.Alerts().Get(ctx, scope, id)
	if err != nil {
		return nil, err
	}
	h, err := s.d.Store.Alerts().History(ctx, scope, id)
	if err != nil {
		return nil, err
	}
	s.inMaintenance(ctx, a)
	return &Alert{Alert: a, History: h}, nil
}

// Acknowledge moves an open alert to acknowledged.
func (s *Service) Acknowledge(ctx context.Context, p *domain.Principal, id string) (*Alert, error) {
	return s.move(ctx, p, id, []domain.AlertState{domain.AlertOpen}, domain.AlertAcknowledged, "", TypeAlertAcknowledged)
}

// Resolve resolves an unresolved alert by hand, with a note.
func (s *Service) Resolve(ctx context.Context, p *domain.Principal, id, note string) (*Alert, error) {
	if len(note) > 4000 {
		return nil, domain.Invalidf("note longer than 4000 bytes")
	}
	return s.move(ctx, p, id, domain.Unresolved, domain.AlertResolved, note, TypeAlertResolved)
}

func (s *Service) move(ctx context.Context, p *domain.Principal, id string, from []domain.AlertState, to domain.AlertState, note, typ string) (*Alert, error) {
	scope := p.ScopeFor(domain.PermAlertsAck)
	out, err := s.d.Store.Alerts().Transition(ctx, scope, id, from, domain.AlertUpdate{To: to, Actor: p.UserID, Note: note, At: s.d.Clock.Now()})
	if err != nil {
		return nil, err
	}
	audit.SetResource(ctx, ResourceAlert, out.ID, out.PartnerID, out.OrgID)
	s.publish(ctx, typ, out)
	return s.GetAlert(ctx, p, id)
}
