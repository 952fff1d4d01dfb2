package tenancy

import (
	"context"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

func (s *Service) orgs() kind[*domain.Organization] {
	st := s.d.Store.Orgs()
	return kind[*domain.Organization]{
		resource: ResourceOrg, read: domain.PermOrgsRead, write: domain.PermOrgsWrite,
		owner:  func(o *domain.Organization) (string, string, string) { return o.ID, o.PartnerID, o.ID },
		create: st.Create, get: st.Get, update: st.Update, delete: st.Delete,
	}
}

// ListOrgs lists the organizations in the caller's orgs:read scope.
func (s *Service) ListOrgs(ctx context.Context, p *domain.Principal, f ports.OrgFilter, page domain.PageRequest) (domain.Page[*domain.Organization], error) {
	return s.d.Store.Orgs().List(ctx, p.ScopeFor(domain.PermOrgsRead), f, page)
}

// GetOrg reads an organization in the caller's orgs:read scope.
func (s *Service) GetOrg(ctx context.Context, p *domain.Principal, id string) (*domain.Organization, error) {
	return s.orgs().fetch(ctx, p, id)
}

// CreateOrg adds an organization to o.PartnerID, by default the caller's
// own partner.
func (s *Service) CreateOrg(ctx context.Context, p *domain.Principal, o *domain.Organization) error {
	if o.PartnerID == "" {
		o.PartnerID = p.PartnerID
	}
	if err := s.orgs().add(ctx, p, o); err != nil {
		return err
	}
	if s.d.Seeder != nil {
		s.d.Seeder.OrgCreated(ctx, o)
	}
	return nil
}

// OrgPatch lists what UpdateOrg may change; nil leaves a field alone.
type OrgPatch struct {
	Name    *string
	Version int64 // required: the version the caller read
}

// UpdateOrg renames an organization.
func (s *Service) UpdateOrg(ctx context.Context, p *domain.Principal, id string, patch OrgPatch) (*domain.Organization, error) {
	return s.orgs().edit(ctx, p, id, patch.Version, func(o *domain.Organization) {
		setIf(&o.Name, patch.Name)
		o.Version = patch.Version
	})
}

// DeleteOrg deletes an organization without sites, groups or devices.
func (s *Service) DeleteOrg(ctx context.Context, p *domain.Principal, id string) error {
	return s.accessChanged(ctx, s.orgs().remove(ctx, p, id))
}
