package tenancy

import (
	"context"

	"github.com/breeze-rmm/breeze/core/domain"
)

func (s *Service) partners() kind[*domain.Partner] {
	st := s.d.Store.Partners()
	return kind[*domain.Partner]{
		resource: ResourcePartner, read: domain.PermPartnersRead, write: domain.PermPartnersWrite,
		owner:  func(p *domain.Partner) (string, string, string) { return p.ID, p.ID, "" },
		create: st.Create, get: st.Get, update: st.Update, delete: st.Delete,
	}
}

// ListPartners lists the partners in the caller's partners:read scope.
func (s *Service) ListPartners(ctx context.Context, p *domain.Principal, page domain.PageRequest) (domain.Page[*domain.Partner], error) {
	return s.d.Store.Partners().List(ctx, p.ScopeFor(domain.PermPartnersRead), page)
}

// GetPartner reads a partner in the caller's partners:read scope.
func (s *Service) GetPartner(ctx context.Context, p *domain.Principal, id string) (*domain.Partner, error) {
	return s.partners().fetch(ctx, p, id)
}

// CreatePartner adds a partner. A partner grant of partners:write edits
// that partner; only the platform owner (a global grant) adds partners.
func (s *Service) CreatePartner(ctx context.Context, p *domain.Principal, part *domain.Partner) error {
	if !p.ScopeFor(domain.PermPartnersWrite).Global {
		return domain.Forbiddenf("only the platform owner creates partners")
	}
	return s.partners().add(ctx, p, part)
}

// PartnerPatch lists what UpdatePartner may change; nil leaves a field alone.
type PartnerPatch struct {
	Name        *string
	RequireTOTP *bool
	RequireMTLS *bool
	Version     int64 // required: the version the caller read
}

// UpdatePartner renames a partner or changes its second-factor or mutual-TLS rule.
func (s *Service) UpdatePartner(ctx context.Context, p *domain.Principal, id string, patch PartnerPatch) (*domain.Partner, error) {
	part, err := s.partners().edit(ctx, p, id, patch.Version, func(part *domain.Partner) {
		setIf(&part.Name, patch.Name)
		setIf(&part.RequireTOTP, patch.RequireTOTP)
		setIf(&part.RequireMTLS, patch.RequireMTLS)
		part.Version = patch.Version
	})
	if patch.RequireTOTP != nil || patch.RequireMTLS != nil {
		// Partner policy: every node hears it (the mutual-TLS switch sets
		// the nodes keep are dropped on it, internal/server/ca.go).
		err = s.accessChanged(ctx, err)
	}
	if err == nil && patch.RequireMTLS != nil && s.d.PartnerRulesChanged != nil {
		s.d.PartnerRulesChanged()
	}
	return part, err
}

// DeletePartner deletes a partner without organizations.
func (s *Service) DeletePartner(ctx context.Context, p *domain.Principal, id string) error {
	return s.accessChanged(ctx, s.partners().remove(ctx, p, id))
}

// setIf sets *dst to *v when v is not nil.
func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
