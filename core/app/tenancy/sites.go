package tenancy

import (
	"context"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

func (s *Service) sites() kind[*domain.Site] {
	st := s.d.Store.Sites()
	return kind[*domain.Site]{
		resource: ResourceSite, read: domain.PermSitesRead, write: domain.PermSitesWrite,
		owner:  func(site *domain.Site) (string, string, string) { return site.ID, site.PartnerID, site.OrgID },
		create: st.Create, get: st.Get, update: st.Update, delete: st.Delete,
	}
}

// ListSites lists the sites in the caller's sites:read scope.
func (s *Service) ListSites(ctx context.Context, p *domain.Principal, f ports.SiteFilter, page domain.PageRequest) (domain.Page[*domain.Site], error) {
	return s.d.Store.Sites().List(ctx, p.ScopeFor(domain.PermSitesRead), f, page)
}

// GetSite reads a site in the caller's sites:read scope.
func (s *Service) GetSite(ctx context.Context, p *domain.Principal, id string) (*domain.Site, error) {
	return s.sites().fetch(ctx, p, id)
}

// CreateSite adds a site to site.OrgID (required).
func (s *Service) CreateSite(ctx context.Context, p *domain.Principal, site *domain.Site) error {
	if site.OrgID == "" {
		return domain.Invalidf("orgId is required")
	}
	return s.sites().add(ctx, p, site)
}

// SitePatch lists what UpdateSite may change; nil leaves a field alone.
type SitePatch struct {
	Name     *string
	Timezone *string
	Version  int64 // required: the version the caller read
}

// UpdateSite renames a site or changes its time zone.
func (s *Service) UpdateSite(ctx context.Context, p *domain.Principal, id string, patch SitePatch) (*domain.Site, error) {
	return s.sites().edit(ctx, p, id, patch.Version, func(site *domain.Site) {
		setIf(&site.Name, patch.Name)
		setIf(&site.Timezone, patch.Timezone)
		site.Version = patch.Version
	})
}

// DeleteSite deletes a site without groups or devices.
func (s *Service) DeleteSite(ctx context.Context, p *domain.Principal, id string) error {
	return s.accessChanged(ctx, s.sites().remove(ctx, p, id))
}
