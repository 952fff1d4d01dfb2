package maintenance

import (
	"context"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Placement is where a device sits in the tenant tree.
type Placement struct {
	PartnerID, OrgID, SiteID, GroupID, DeviceID string
}

// covers reports whether the window names the device, the group aside
// (needGroup: it names groups, and the caller must know the device's).
func (c *compiled) covers(pl Placement) (ok, needGroup bool) {
	w := c.w
	if w.OrgID != "" && w.OrgID != pl.OrgID {
		return false, false
	}
	switch w.ScopeKind {
	case domain.AlertScopePartner:
		return true, false
	case domain.AlertScopeOrg:
		return c.scope[pl.OrgID], false
	case domain.AlertScopeSite:
		return c.scope[pl.SiteID], false
	case domain.AlertScopeDevices:
		return c.scope[pl.DeviceID], false
	case domain.AlertScopeGroup:
		if pl.GroupID != "" {
			return c.scope[pl.GroupID], false
		}
		return false, true
	}
	return false, false
}

// Until returns when the maintenance covering the device at t ends (zero:
// none covers it). pl.GroupID is read from the store only when a window
// naming groups matters and the caller left it empty.
func (s *Service) Until(ctx context.Context, pl Placement, at time.Time) (time.Time, error) {
	var scheds []*Schedule
	var groupWise []*compiled
	for _, c := range s.windows(ctx).byPartner[pl.PartnerID] {
		ok, needGroup := c.covers(pl)
		switch {
		case ok:
			scheds = append(scheds, c.sched)
		case needGroup:
			groupWise = append(groupWise, c)
		}
	}
	if len(groupWise) > 0 && (Until(at, scheds...).After(at) || Until(at, schedsOf(groupWise)...).After(at)) {
		d, err := s.d.Store.Devices().Get(ctx, domain.GlobalScope(), pl.DeviceID)
		if err != nil {
			return time.Time{}, err
		}
		for _, c := range groupWise {
			if d.GroupID != "" && c.scope[d.GroupID] {
				scheds = append(scheds, c.sched)
			}
		}
	}
	return Until(at, scheds...), nil
}

func schedsOf(cs []*compiled) []*Schedule {
	out := make([]*Schedule, len(cs))
	for i, c := range cs {
		out[i] = c.sched
	}
	return out
}

func placementOf(a *domain.Alert) Placement {
	return Placement{PartnerID: a.PartnerID, OrgID: a.OrgID, SiteID: a.SiteID, DeviceID: a.DeviceID}
}

// MaintenanceUntil is when the maintenance covering a's device at at ends
// (zero: none); a failed lookup is logged and answers zero. It serves the
// alerts' "in maintenance" (alerts.Deps.Maintenance).
func (s *Service) MaintenanceUntil(ctx context.Context, a *domain.Alert, at time.Time) time.Time {
	until, err := s.Until(ctx, placementOf(a), at)
	if err != nil {
		s.d.Logger.Warn("maintenance of an alert's device not known", "alert_id", a.ID, "device_id", a.DeviceID, "error", err)
	}
	return until
}

// HeldUntil says whether a's notifications are held at at and until when:
// the end of a snooze or of the maintenance covering its device, whichever
// is later (reason "snoozed" or "maintenance"); a zero until is not held
// (notify.Holds).
func (s *Service) HeldUntil(ctx context.Context, a *domain.Alert, at time.Time) (until time.Time, reason string, err error) {
	if a == nil {
		return time.Time{}, "", nil
	}
	until, err = s.Until(ctx, placementOf(a), at)
	if !until.IsZero() {
		reason = ReasonMaintenance
	}
	if a.SnoozedUntil.After(at) && a.SnoozedUntil.After(until) {
		return a.SnoozedUntil, ReasonSnoozed, nil // held whatever the maintenance lookup said
	}
	if err != nil {
		return time.Time{}, "", err
	}
	return until, reason, nil
}
