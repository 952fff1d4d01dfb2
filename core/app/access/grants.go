package access

import (
	"context"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
)

// Grant gives a user a role at a unit. The caller needs users:write over the
// unit and must hold every permission of the role there.
func (s *Service) Grant(ctx context.Context, p *domain.Principal, a *domain.RoleAssignment) error {
	if a.UserID == "" || a.RoleID == "" {
		return domain.Invalidf("userId and roleId are required")
	}
	unit, err := s.resolveUnit(ctx, p, domain.Unit{PartnerID: a.PartnerID, OrgID: a.OrgID, SiteID: a.SiteID}, domain.PermUsersWrite)
	if err != nil {
		return err
	}
	if unit.PartnerID == "" {
		return domain.Invalidf("a grant needs a partner, organization or site")
	}
	role, err := s.d.Store.Roles().Get(ctx, p.ScopeFor(domain.PermRolesRead), a.RoleID)
	if err != nil {
		return notFoundAs(err, "role")
	}
	if _, err := s.d.Store.Users().Get(ctx, p.ScopeFor(domain.PermUsersRead), a.UserID); err != nil {
		return notFoundAs(err, "user")
	}
	if !p.HoldsAt(unit, role.Permissions...) {
		return domain.Forbiddenf("you cannot grant a role holding permissions you do not hold")
	}
	a.PartnerID, a.OrgID, a.SiteID = unit.PartnerID, unit.OrgID, unit.SiteID
	a.CreatedBy = p.UserID
	if err := s.d.Store.RoleAssignments().Create(ctx, p.ScopeFor(domain.PermUsersWrite), a); err != nil {
		return err
	}
	s.accessChanged(ctx, a.UserID)
	audit.SetResource(ctx, "role_assignment", a.ID, a.PartnerID, a.OrgID)
	return nil
}

// Revoke removes a grant. Like granting, it needs the role's permissions.
func (s *Service) Revoke(ctx context.Context, p *domain.Principal, id string) error {
	scope := p.ScopeFor(domain.PermUsersWrite)
	a, err := s.d.Store.RoleAssignments().Get(ctx, scope, id)
	if err != nil {
		return err
	}
	audit.SetResource(ctx, "role_assignment", a.ID, a.PartnerID, a.OrgID)
	role, err := s.d.Store.Roles().Get(ctx, domain.GlobalScope(), a.RoleID)
	if err != nil {
		return notFoundAs(err, "role")
	}
	if !p.HoldsAt(domain.Unit{PartnerID: a.PartnerID, OrgID: a.OrgID, SiteID: a.SiteID}, role.Permissions...) {
		return domain.Forbiddenf("you cannot revoke a grant holding permissions you do not hold")
	}
	if err := s.d.Store.RoleAssignments().Delete(ctx, scope, id); err != nil {
		return err
	}
	s.accessChanged(ctx, a.UserID)
	return nil
}
