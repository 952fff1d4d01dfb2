package discovery

import (
	"context"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
)

// GetSettings returns an org's discovery settings (empty, version 0, when
// never saved) to a caller reading discovery in the org or one of its sites.
func (s *Service) GetSettings(ctx context.Context, p *domain.Principal, orgID string) (*domain.DiscoverySettings, error) {
	return s.d.Store.DiscoverySettings().Get(ctx, p.ScopeFor(permRead), orgID)
}

// PutSettings replaces an org's allowed ranges at version (0 the first
// time). The allowed ranges bound what technicians may scan, so changing
// them needs discovery:manage and orgs:write over the whole org (an org or
// partner admin); profiles already saved are checked again when they scan.
func (s *Service) PutSettings(ctx context.Context, p *domain.Principal, orgID string, allowed []string, version int64) (*domain.DiscoverySettings, error) {
	cur, err := s.d.Store.DiscoverySettings().Get(ctx, p.ScopeFor(permRead), orgID)
	if err != nil {
		return nil, err
	}
	audit.SetResource(ctx, ResourceSettings, orgID, cur.PartnerID, orgID)
	unit := domain.Unit{PartnerID: cur.PartnerID, OrgID: orgID}
	if !p.HoldsAt(unit, permManage, domain.PermOrgsWrite) {
		return nil, domain.Forbiddenf("changing an organization's allowed discovery ranges needs discovery:manage and orgs:write over it")
	}
	ranges, err := CheckAllowed(allowed)
	if err != nil {
		return nil, err
	}
	return s.d.Store.DiscoverySettings().Put(ctx, p.ScopeFor(permManage),
		&domain.DiscoverySettings{OrgID: orgID, AllowedRanges: ranges, Version: version})
}
