package api

import (
	"context"
	"net/http"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/access"
	"github.com/breeze-rmm/breeze/core/domain"
)

const resRole = "role"

func (h *handlers) roleRoutes(r *registrar) {
	const tag = "Roles"
	a := h.d.Access
	read, write := httpapi.User(domain.PermRolesRead), httpapi.User(domain.PermRolesWrite)
	r.add(http.MethodGet, "/roles", read, "roles.list", resRole, httpapi.Doc{
		Summary: "List built-in and custom roles", Tag: tag, Response: Role{}, List: true, Query: listParams(),
	}, listAll(a.ListRoles, roleOut))
	r.add(http.MethodPost, "/roles", write, "roles.create", resRole, httpapi.Doc{
		Summary: "Create a custom role", Tag: tag, Request: CreateRoleRequest{}, Response: Role{}, Status: http.StatusCreated,
	}, createOne("/roles", h.createRole, roleOut))
	r.add(http.MethodGet, "/roles/:id", read, "roles.get", resRole, httpapi.Doc{
		Summary: "Get a role", Tag: tag, Response: Role{},
	}, getOne(a.GetRole, roleOut))
	r.add(http.MethodPatch, "/roles/:id", write, "roles.update", resRole, httpapi.Doc{
		Summary: "Edit a custom role", Tag: tag, Request: UpdateRoleRequest{}, Response: Role{},
	}, updateOne(h.updateRole, roleOut))
	r.add(http.MethodDelete, "/roles/:id", write, "roles.delete", resRole, httpapi.Doc{
		Summary: "Delete an unassigned custom role", Tag: tag, Status: http.StatusNoContent,
	}, deleteOne(a.DeleteRole))
}

func (h *handlers) createRole(ctx context.Context, p *domain.Principal, in CreateRoleRequest) (*domain.Role, error) {
	role := &domain.Role{PartnerID: in.PartnerID, Name: in.Name, Description: in.Description, Permissions: in.Permissions}
	return role, h.d.Access.CreateRole(ctx, p, role)
}

func (h *handlers) updateRole(ctx context.Context, p *domain.Principal, id string, in UpdateRoleRequest) (*domain.Role, error) {
	patch := access.RolePatch{Name: in.Name, Description: in.Description, Version: in.Version}
	if in.Permissions != nil {
		perms := append([]domain.Permission{}, *in.Permissions...)
		patch.Permissions = &perms
	}
	return h.d.Access.UpdateRole(ctx, p, id, patch)
}
