package access

import (
	"context"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
)

// CreateRole adds a custom role to a partner. Its permissions must all be
// held by the caller over the whole partner.
func (s *Service) CreateRole(ctx context.Context, p *domain.Principal, r *domain.Role) error {
	unit, err := s.resolveUnit(ctx, p, domain.Unit{PartnerID: r.PartnerID}, domain.PermRolesWrite)
	if err != nil {
		return err
	}
	r.PartnerID, r.BuiltIn = unit.PartnerID, false
	if err := r.Validate(); err != nil {
		return err
	}
	if !p.HoldsAt(unit, r.Permissions...) {
		return domain.Forbiddenf("a role cannot hold permissions you do not hold")
	}
	if err := s.d.Store.Roles().Create(ctx, p.ScopeFor(domain.PermRolesWrite), r); err != nil {
		return err
	}
	audit.SetResource(ctx, "role", r.ID, r.PartnerID, "")
	return nil
}

// RolePatch lists what UpdateRole may change; nil leaves a field alone.
type RolePatch struct {
	Name        *string
	Description *string
	Permissions *[]domain.Permission
	Version     int64 // required: the version the caller read
}

// UpdateRole edits a custom role under the same rule as CreateRole.
func (s *Service) UpdateRole(ctx context.Context, p *domain.Principal, id string, patch RolePatch) (*domain.Role, error) {
	if err := domain.RequireVersion(patch.Version); err != nil {
		return nil, err
	}
	scope := p.ScopeFor(domain.PermRolesWrite)
	r, err := s.d.Store.Roles().Get(ctx, scope, id)
	if err != nil {
		return nil, err
	}
	audit.SetResource(ctx, "role", r.ID, r.PartnerID, "")
	if r.BuiltIn {
		return nil, domain.Invalidf("built-in roles cannot change; copy one into a custom role")
	}
	if patch.Name != nil {
		r.Name = *patch.Name
	}
	if patch.Description != nil {
		r.Description = *patch.Description
	}
	if patch.Permissions != nil {
		r.Permissions = *patch.Permissions
	}
	if patch.Version != 0 {
		r.Version = patch.Version
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if !p.HoldsAt(domain.Unit{PartnerID: r.PartnerID}, r.Permissions...) {
		return nil, domain.Forbiddenf("a role cannot hold permissions you do not hold")
	}
	nr, err := s.d.Store.Roles().Update(ctx, scope, r)
	if err != nil {
		return nil, err
	}
	s.accessChanged(ctx, "") // whoever holds it
	return nr, nil
}

// DeleteRole removes an unassigned custom role.
func (s *Service) DeleteRole(ctx context.Context, p *domain.Principal, id string) error {
	scope := p.ScopeFor(domain.PermRolesWrite)
	r, err := s.d.Store.Roles().Get(ctx, scope, id)
	if err != nil {
		return err
	}
	audit.SetResource(ctx, "role", r.ID, r.PartnerID, "")
	if r.BuiltIn {
		return domain.Invalidf("built-in roles cannot be deleted")
	}
	if err := s.d.Store.Roles().Delete(ctx, scope, id); err != nil {
		return err
	}
	s.accessChanged(ctx, "")
	return nil
}
