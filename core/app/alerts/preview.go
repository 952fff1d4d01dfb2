package alerts

import (
	"context"
	"errors"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Preview bounds.
const (
	// PreviewSample is how many covered devices a preview lists.
	PreviewSample = 50
	// previewScan bounds the devices one preview reads; past it the count
	// is a lower bound (Coverage.Truncated).
	previewScan = 100_000
)

// Coverage is what a rule would watch now: how many devices, and the
// first few.
type Coverage struct {
	Count     int
	Truncated bool // the count stopped at the scan bound: at least Count
	Devices   []*domain.Device
}

// Preview answers which devices r would cover now, without storing it: r
// is validated like a new rule (a scope id outside the caller's reach is
// ErrNotFound, like create), and only devices the caller may read are
// counted. Decommissioned devices are never judged, so never counted.
func (s *Service) Preview(ctx context.Context, p *domain.Principal, r *domain.AlertRule) (*Coverage, error) {
	r.ID = ""
	if r.OrgID == "" && r.PartnerID == "" {
		r.PartnerID = p.PartnerID
	}
	if err := s.validate(ctx, p, r); err != nil {
		return nil, err
	}
	write := p.ScopeFor(permRulesWrite)
	if r.OrgID != "" {
		o, err := s.d.Store.Orgs().Get(ctx, write, r.OrgID)
		if err != nil {
			return nil, err
		}
		if !write.CoversOrg(o.PartnerID, o.ID) {
			return nil, domain.NotFoundf("organization %s not found", r.OrgID)
		}
		r.PartnerID = o.PartnerID
	} else if !write.CoversPartner(r.PartnerID) {
		return nil, domain.NotFoundf("partner %s not found", r.PartnerID)
	}
	c := &compiled{rule: r, scope: set(r.ScopeIDs), exclude: set(r.ExcludeDeviceIDs)}
	read := p.ScopeFor(domain.PermDevicesRead)
	out := &Coverage{}
	seen := map[string]bool{}
	scanned := 0
	take := func(d *domain.Device) bool {
		scanned++
		if seen[d.ID] || d.Status == domain.DeviceDecommissioned || !c.covers(d.ID, placement{d.PartnerID, d.OrgID, d.SiteID, d.GroupID}) {
			return scanned < previewScan
		}
		seen[d.ID] = true
		out.Count++
		if len(out.Devices) < PreviewSample {
			out.Devices = append(out.Devices, d)
		}
		return scanned < previewScan
	}
	var filters []ports.DeviceFilter
	switch r.ScopeKind {
	case domain.AlertScopeDevices:
		for _, id := range r.ScopeIDs {
			d, err := s.d.Store.Devices().Get(ctx, read, id)
			if errors.Is(err, domain.ErrNotFound) {
				continue // writable by the rule's owner, not readable by the caller
			}
			if err != nil {
				return nil, err
			}
			take(d)
		}
		return out, nil
	case domain.AlertScopePartner:
		filters = []ports.DeviceFilter{{OrgID: r.OrgID}}
	default:
		for _, id := range r.ScopeIDs {
			switch r.ScopeKind {
			case domain.AlertScopeOrg:
				filters = append(filters, ports.DeviceFilter{OrgID: id})
			case domain.AlertScopeSite:
				filters = append(filters, ports.DeviceFilter{SiteID: id})
			case domain.AlertScopeGroup:
				filters = append(filters, ports.DeviceFilter{GroupID: id})
			}
		}
	}
	for _, f := range filters {
		page := domain.PageRequest{Limit: domain.MaxPageSize}
		for {
			pg, err := s.d.Store.Devices().List(ctx, read, f, page)
			if err != nil {
				return nil, err
			}
			for _, d := range pg.Items {
				if !take(d) {
					out.Truncated = true
					return out, nil
				}
			}
			if pg.NextCursor == "" {
				break
			}
			page.Cursor = pg.NextCursor
		}
	}
	return out, nil
}
