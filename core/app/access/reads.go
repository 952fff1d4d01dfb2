package access

import (
	"context"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Reads of users, roles, grants and API keys: each runs in the caller's
// scope for the resource's read permission, so an id outside it is
// ErrNotFound. (Grants are read with users:read.)

// ListUsers lists the users in the caller's users:read scope.
func (s *Service) ListUsers(ctx context.Context, p *domain.Principal, f ports.UserFilter, page domain.PageRequest) (domain.Page[*domain.User], error) {
	return s.d.Store.Users().List(ctx, p.ScopeFor(domain.PermUsersRead), f, page)
}

// GetUser reads a user in the caller's users:read scope.
func (s *Service) GetUser(ctx context.Context, p *domain.Principal, id string) (*domain.User, error) {
	return s.d.Store.Users().Get(ctx, p.ScopeFor(domain.PermUsersRead), id)
}

// ListRoles lists the built-in roles and the custom ones in the caller's
// roles:read scope.
func (s *Service) ListRoles(ctx context.Context, p *domain.Principal, page domain.PageRequest) (domain.Page[*domain.Role], error) {
	return s.d.Store.Roles().List(ctx, p.ScopeFor(domain.PermRolesRead), page)
}

// GetRole reads a role in the caller's roles:read scope.
func (s *Service) GetRole(ctx context.Context, p *domain.Principal, id string) (*domain.Role, error) {
	return s.d.Store.Roles().Get(ctx, p.ScopeFor(domain.PermRolesRead), id)
}

// ListGrants lists the role assignments in the caller's users:read scope.
func (s *Service) ListGrants(ctx context.Context, p *domain.Principal, f ports.RoleAssignmentFilter, page domain.PageRequest) (domain.Page[*domain.RoleAssignment], error) {
	return s.d.Store.RoleAssignments().List(ctx, p.ScopeFor(domain.PermUsersRead), f, page)
}

// GetGrant reads a role assignment in the caller's users:read scope.
func (s *Service) GetGrant(ctx context.Context, p *domain.Principal, id string) (*domain.RoleAssignment, error) {
	return s.d.Store.RoleAssignments().Get(ctx, p.ScopeFor(domain.PermUsersRead), id)
}

// ListKeys lists the API keys in the caller's api-keys:read scope.
func (s *Service) ListKeys(ctx context.Context, p *domain.Principal, page domain.PageRequest) (domain.Page[*domain.APIKey], error) {
	return s.d.Store.APIKeys().List(ctx, p.ScopeFor(domain.PermAPIKeysRead), page)
}

// GetKey reads an API key in the caller's api-keys:read scope.
func (s *Service) GetKey(ctx context.Context, p *domain.Principal, id string) (*domain.APIKey, error) {
	return s.d.Store.APIKeys().Get(ctx, p.ScopeFor(domain.PermAPIKeysRead), id)
}

// Caller reads the principal's own user row. The principal was built from
// it a moment ago, so it needs no scope.
func (s *Service) Caller(ctx context.Context, p *domain.Principal) (*domain.User, error) {
	return s.d.Store.Users().GetByID(ctx, p.UserID)
}

// GrantedRole reads a role one of the principal's own grants names,
// whatever the scope of the caller's roles:read (a technician may not list
// roles, yet sees the name of their own). Any other id is ErrNotFound.
func (s *Service) GrantedRole(ctx context.Context, p *domain.Principal, id string) (*domain.Role, error) {
	for _, g := range p.Grants {
		if g.Assignment.RoleID == id {
			return s.d.Store.Roles().Get(ctx, domain.GlobalScope(), id)
		}
	}
	return nil, domain.NotFoundf("role not found")
}
