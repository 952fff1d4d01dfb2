package alerts

import (
	"context"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// MaxScopeIDs bounds a scope's ids and its exclusions.
const MaxScopeIDs = 1000

// ValidateScope checks an alert-rule style scope (alert rules, maintenance
// windows) owned by an org (orgID set) or a partner: the kind, that ids
// are listed for every kind but partner (and none for it, which belongs to
// a partner-wide owner), and that every id and exclusion lies in the owner
// and in scope, the caller's scope for the write (else ErrNotFound: no
// oracle).
func ValidateScope(ctx context.Context, st ports.Store, scope domain.Scope, partnerID, orgID string,
	kind domain.AlertScopeKind, ids, exclude []string) error {
	if len(ids) > MaxScopeIDs || len(exclude) > MaxScopeIDs {
		return domain.Invalidf("at most %d scope ids and %d exclusions", MaxScopeIDs, MaxScopeIDs)
	}
	partner, org := partnerID, orgID
	if org != "" {
		o, err := st.Orgs().Get(ctx, scope, org)
		if err != nil {
			return err
		}
		partner = o.PartnerID
	}
	inOwner := func(pid, oid string) bool { return pid == partner && (org == "" || oid == org) }
	if kind == domain.AlertScopePartner && (org != "" || len(ids) > 0) {
		return domain.Invalidf("a partner scope belongs to a partner-wide owner and lists no ids")
	}
	if kind != domain.AlertScopePartner && len(ids) == 0 {
		return domain.Invalidf("scopeIds lists the %ss it applies to", kind)
	}
	switch kind {
	case domain.AlertScopePartner, domain.AlertScopeOrg, domain.AlertScopeSite, domain.AlertScopeGroup, domain.AlertScopeDevices:
	default:
		return domain.Invalidf("scopeKind must be partner, org, site, group or devices")
	}
	for _, id := range ids {
		var pid, oid string
		switch kind {
		case domain.AlertScopeOrg:
			o, err := st.Orgs().Get(ctx, scope, id)
			if err != nil {
				return err
			}
			pid, oid = o.PartnerID, o.ID
		case domain.AlertScopeSite:
			x, err := st.Sites().Get(ctx, scope, id)
			if err != nil {
				return err
			}
			pid, oid = x.PartnerID, x.OrgID
		case domain.AlertScopeGroup:
			x, err := st.DeviceGroups().Get(ctx, scope, id)
			if err != nil {
				return err
			}
			pid, oid = x.PartnerID, x.OrgID
		case domain.AlertScopeDevices:
			x, err := st.Devices().Get(ctx, scope, id)
			if err != nil {
				return err
			}
			pid, oid = x.PartnerID, x.OrgID
		}
		if !inOwner(pid, oid) {
			return domain.NotFoundf("%s %s not found", kind, id)
		}
	}
	for _, id := range exclude {
		x, err := st.Devices().Get(ctx, scope, id)
		if err != nil {
			return err
		}
		if !inOwner(x.PartnerID, x.OrgID) {
			return domain.NotFoundf("device %s not found", id)
		}
	}
	return nil
}
