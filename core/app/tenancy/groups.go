package tenancy

import (
	"context"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

func (s *Service) groups() kind[*domain.DeviceGroup] {
	st := s.d.Store.DeviceGroups()
	return kind[*domain.DeviceGroup]{
		resource: ResourceGroup, read: domain.PermGroupsRead, write: domain.PermGroupsWrite,
		owner:  func(g *domain.DeviceGroup) (string, string, string) { return g.ID, g.PartnerID, g.OrgID },
		create: st.Create, get: st.Get, update: st.Update, delete: st.Delete,
	}
}

// ListGroups lists the device groups in the caller's groups:read scope.
func (s *Service) ListGroups(ctx context.Context, p *domain.Principal, f ports.DeviceGroupFilter, page domain.PageRequest) (domain.Page[*domain.DeviceGroup], error) {
	return s.d.Store.DeviceGroups().List(ctx, p.ScopeFor(domain.PermGroupsRead), f, page)
}

// GetGroup reads a device group in the caller's groups:read scope.
func (s *Service) GetGroup(ctx context.Context, p *domain.Principal, id string) (*domain.DeviceGroup, error) {
	return s.groups().fetch(ctx, p, id)
}

// CreateGroup adds a device group to a site, or org-wide to an org (one of
// g.SiteID and g.OrgID is required).
func (s *Service) CreateGroup(ctx context.Context, p *domain.Principal, g *domain.DeviceGroup) error {
	if g.OrgID == "" && g.SiteID == "" {
		return domain.Invalidf("orgId or siteId is required")
	}
	return s.groups().add(ctx, p, g)
}

// GroupPatch lists what UpdateGroup may change; nil leaves a field alone.
type GroupPatch struct {
	Name    *string
	Version int64 // required: the version the caller read
}

// UpdateGroup renames a device group.
func (s *Service) UpdateGroup(ctx context.Context, p *domain.Principal, id string, patch GroupPatch) (*domain.DeviceGroup, error) {
	return s.groups().edit(ctx, p, id, patch.Version, func(g *domain.DeviceGroup) {
		setIf(&g.Name, patch.Name)
		g.Version = patch.Version
	})
}

// DeleteGroup deletes an empty device group.
func (s *Service) DeleteGroup(ctx context.Context, p *domain.Principal, id string) error {
	return s.groups().remove(ctx, p, id)
}
