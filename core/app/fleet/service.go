// Package fleet is the dashboard's fleet at a glance: devices by status,
// unresolved alerts by severity, the devices needing attention and the
// recent alert activity. Every figure comes from the store's aggregate
// reads (ports.FleetStore), never from listing the fleet, and is scoped to
// the caller: devices by devices:read, alerts by alerts:read, and a device
// named beside an alert needs both.
package fleet

import (
	"context"
	"errors"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// List sizes: the defaults and the most a caller may ask for.
const (
	DefaultAttention = 10
	MaxAttention     = 50
	DefaultActivity  = 20
	MaxActivity      = 100
)

// Deps are the service's collaborators.
type Deps struct {
	Store ports.Store
	Clock ports.Clock
}

// Service computes fleet summaries.
type Service struct{ d Deps }

// New checks deps and fills defaults.
func New(d Deps) (*Service, error) {
	if d.Store == nil {
		return nil, errors.New("fleet: Store is required")
	}
	if d.Clock == nil {
		d.Clock = ports.ClockFunc(time.Now)
	}
	return &Service{d: d}, nil
}

// Filter narrows a summary to one org or site the caller may read, and
// sizes its lists (0: the default).
type Filter struct {
	OrgID     string
	SiteID    string
	Attention int
	Activity  int
}

// Summary is the fleet at a glance.
type Summary struct {
	Devices   domain.DeviceCounts
	Alerts    domain.SeverityCounts
	Attention []domain.AttentionDevice
	Activity  []domain.AlertActivity
	At        time.Time
}

// Summary computes the caller's fleet summary. An org or site the caller
// may not read devices of, or a site outside the named org, is ErrNotFound.
func (s *Service) Summary(ctx context.Context, p *domain.Principal, f Filter) (*Summary, error) {
	attention, err := size("attention", f.Attention, DefaultAttention, MaxAttention)
	if err != nil {
		return nil, err
	}
	activity, err := size("activity", f.Activity, DefaultActivity, MaxActivity)
	if err != nil {
		return nil, err
	}
	devices, alerts := p.ScopeFor(domain.PermDevicesRead), p.ScopeFor(domain.PermAlertsRead)
	if err := s.checkFilter(ctx, devices, f); err != nil {
		return nil, err
	}
	ff := ports.FleetFilter{OrgID: f.OrgID, SiteID: f.SiteID}
	st := s.d.Store.Fleet()
	out := &Summary{At: s.d.Clock.Now().UTC()}
	if out.Devices, err = st.DeviceCounts(ctx, devices, ff); err != nil {
		return nil, err
	}
	if out.Alerts, err = st.AlertCounts(ctx, alerts, ff); err != nil {
		return nil, err
	}
	if out.Attention, err = st.NeedingAttention(ctx, alerts, devices, ff, attention); err != nil {
		return nil, err
	}
	if out.Activity, err = st.RecentActivity(ctx, alerts, devices, ff, activity); err != nil {
		return nil, err
	}
	return out, nil
}

// checkFilter answers ErrNotFound for an org or site outside the caller's
// device scope, so a filter is no existence oracle and never widens it.
func (s *Service) checkFilter(ctx context.Context, devices domain.Scope, f Filter) error {
	if f.OrgID != "" {
		if _, err := s.d.Store.Orgs().Get(ctx, devices, f.OrgID); err != nil {
			return err
		}
	}
	if f.SiteID != "" {
		site, err := s.d.Store.Sites().Get(ctx, devices, f.SiteID)
		if err != nil {
			return err
		}
		if f.OrgID != "" && site.OrgID != f.OrgID {
			return domain.NotFoundf("site not found in that organization")
		}
	}
	return nil
}

func size(name string, n, def, max int) (int, error) {
	switch {
	case n == 0:
		return def, nil
	case n < 0 || n > max:
		return 0, domain.Invalidf("%s must be from 1 to %d", name, max)
	}
	return n, nil
}
