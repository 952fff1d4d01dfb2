package alerts

import (
	"context"
	"time"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
)

// Maintenance says when the maintenance covering an alert's device ends
// (zero: none) (core/app/maintenance.Service).
type Maintenance interface {
	MaintenanceUntil(ctx context.Context, a *domain.Alert, at time.Time) time.Time
}

// inMaintenance fills the MaintenanceUntil of unresolved alerts.
func (s *Service) inMaintenance(ctx context.Context, as ...*domain.Alert) {
	if s.d.Maintenance == nil {
		return
	}
	now := s.d.Clock.Now()
	byDevice := map[string]time.Time{} // a page often holds several alerts of one device
	for _, a := range as {
		if a.State == domain.AlertResolved {
			continue
		}
		key := a.DeviceID + "/" + a.SiteID + "/" + a.OrgID // placed as when it opened
		until, ok := byDevice[key]
		if !ok {
			until = s.d.Maintenance.MaintenanceUntil(ctx, a, now)
			byDevice[key] = until
		}
		a.MaintenanceUntil = until
	}
}

// MaxSnooze bounds how far ahead an alert is snoozed.
const MaxSnooze = 30 * 24 * time.Hour

// Snooze holds an unresolved alert's notifications until until (in the
// future, at most MaxSnooze ahead), with a note; the alert still resolves
// when its condition clears. It needs alerts:acknowledge over the alert
// and its device readable.
func (s *Service) Snooze(ctx context.Context, p *domain.Principal, id string, until time.Time, note string) (*Alert, error) {
	now := s.d.Clock.Now()
	if !until.After(now) {
		return nil, domain.Invalidf("until must be in the future")
	}
	if until.Sub(now) > MaxSnooze {
		return nil, domain.Invalidf("an alert is snoozed for at most 30 days")
	}
	return s.snooze(ctx, p, id, domain.AlertSnooze{Until: until, Actor: p.UserID, Note: note, At: now}, TypeAlertSnoozed)
}

// Unsnooze ends an alert's snooze at once (one not snoozed: ErrConflict).
func (s *Service) Unsnooze(ctx context.Context, p *domain.Principal, id string) (*Alert, error) {
	return s.snooze(ctx, p, id, domain.AlertSnooze{Actor: p.UserID, At: s.d.Clock.Now()}, TypeAlertUnsnoozed)
}

func (s *Service) snooze(ctx context.Context, p *domain.Principal, id string, sn domain.AlertSnooze, typ string) (*Alert, error) {
	if len(sn.Note) > 4000 {
		return nil, domain.Invalidf("note longer than 4000 bytes")
	}
	scope := p.ScopeFor(domain.PermAlertsAck)
	a, err := s.d.Store.Alerts().Get(ctx, scope, id)
	if err != nil {
		return nil, err
	}
	// The caller acts on the alert because of its device: it must see it.
	if _, err := s.d.Store.Devices().Get(ctx, p.ScopeFor(domain.PermDevicesRead), a.DeviceID); err != nil {
		return nil, err
	}
	audit.SetResource(ctx, ResourceAlert, a.ID, a.PartnerID, a.OrgID)
	if sn.Until.IsZero() && !a.SnoozedUntil.After(sn.At) {
		return nil, domain.Conflictf("alert is not snoozed")
	}
	out, err := s.d.Store.Alerts().Snooze(ctx, scope, id, sn)
	if err != nil {
		return nil, err
	}
	s.event(ctx, typ, out)
	return s.GetAlert(ctx, p, id)
}
