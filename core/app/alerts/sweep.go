package alerts

import (
	"context"
	"fmt"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// kindOffline is the condition kind the sweep judges.
const kindOffline = "device_offline"

// Sweep judges device_offline, then the auto-resolve periods of event
// rules (expire). device_offline: an offline device out of contact for a
// rule's minutes gets an alert (the store keeps it to one per rule and
// device, whichever node sweeps), and an unresolved offline alert whose
// device is back at two sweeps in a row resolves: a flapping link, back
// for moments between drops, keeps its one alert instead of one per drop.
func (s *Service) Sweep(ctx context.Context) error {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	now := s.d.Clock.Now()
	rs := s.ev.rules.Load()
	offline := map[string]bool{}
	page := domain.PageRequest{Limit: domain.MaxPageSize}
	for {
		p, err := s.d.Store.Devices().List(ctx, domain.GlobalScope(), ports.DeviceFilter{Status: domain.DeviceOffline}, page)
		if err != nil {
			return fmt.Errorf("list offline devices: %w", err)
		}
		for _, d := range p.Items {
			offline[d.ID] = true
			pl := placement{d.PartnerID, d.OrgID, d.SiteID, d.GroupID}
			for _, c := range rs.byPartner[d.PartnerID] {
				if c.offline == nil || !c.covers(d.ID, pl) || now.Sub(d.LastSeenAt) < c.offline.After() {
					continue
				}
				a, opened, err := s.d.Store.Alerts().Open(ctx, &domain.Alert{RuleID: c.rule.ID, DeviceID: d.ID, Kind: c.rule.Kind,
					Severity: c.rule.Severity, Message: fmt.Sprintf("offline for more than %s", c.offline.After()), OpenedAt: now})
				if err != nil {
					s.d.Logger.Warn("offline alert not opened", "device_id", d.ID, "rule_id", c.rule.ID, "error", err)
					continue
				}
				if opened {
					s.publish(ctx, TypeAlertOpened, a)
				}
			}
		}
		if p.NextCursor == "" {
			break
		}
		page.Cursor = p.NextCursor
	}
	open, err := s.d.Store.Alerts().Unresolved(ctx, "", kindOffline, 10*domain.MaxPageSize)
	if err != nil {
		return fmt.Errorf("list offline alerts: %w", err)
	}
	back := map[string]bool{}
	for _, a := range open {
		if offline[a.DeviceID] {
			continue
		}
		back[a.ID] = true
		if !s.backAt[a.ID] {
			continue // back since this sweep only: settle first
		}
		if err := s.resolveSystem(ctx, a.RuleID, a.DeviceID, now); err != nil {
			s.d.Logger.Warn("offline alert not resolved", "alert_id", a.ID, "error", err)
			continue
		}
		delete(back, a.ID)
	}
	s.backAt = back
	return s.expire(ctx, now, rs)
}
