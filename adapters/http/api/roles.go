package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/access"
	"github.com/breeze-rmm/breeze/core/domain"
)

const resRole = "role"

func (h *handlers) roleRoutes(r *registrar) {
	const tag = "Roles"
	read, write := httpapi.User(domain.PermRolesRead), httpapi.User(domain.PermRolesWrite)
	r.add(http.MethodGet, "/roles", read, "roles.list", resRole, httpapi.Doc{
		Summary: "List built-in and custom roles", Tag: tag, Response: Role{}, List: true, Query: listParams(),
	}, h.listRoles)
	r.add(http.MethodPost, "/roles", write, "roles.create", resRole, httpapi.Doc{
		Summary: "Create a custom role", Tag: tag, Request: CreateRoleRequest{}, Response: Role{}, Status: http.StatusCreated,
	}, h.createRole)
	r.add(http.MethodGet, "/roles/:id", read, "roles.get", resRole, httpapi.Doc{
		Summary: "Get a role", Tag: tag, Response: Role{},
	}, h.getRole)
	r.add(http.MethodPatch, "/roles/:id", write, "roles.update", resRole, httpapi.Doc{
		Summary: "Edit a custom role", Tag: tag, Request: UpdateRoleRequest{}, Response: Role{},
	}, h.updateRole)
	r.add(http.MethodDelete, "/roles/:id", write, "roles.delete", resRole, httpapi.Doc{
		Summary: "Delete an unassigned custom role", Tag: tag, Status: http.StatusNoContent,
	}, h.deleteRole)
}

func (h *handlers) listRoles(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	q, err := parseList(c)
	if err != nil {
		return err
	}
	page, err := h.d.Store.Roles().List(ctx, p.ScopeFor(domain.PermRolesRead), q.page)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, pageOf(page, roleOut))
	return nil
}

func (h *handlers) createRole(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	var in CreateRoleRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	role := &domain.Role{PartnerID: in.PartnerID, Name: in.Name, Description: in.Description, Permissions: in.Permissions}
	if err := h.d.Access.CreateRole(ctx, p, role); err != nil {
		return err
	}
	created(c, "/roles", role.ID, roleOut(role))
	return nil
}

func (h *handlers) getRole(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	role, err := h.d.Store.Roles().Get(ctx, p.ScopeFor(domain.PermRolesRead), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, roleOut(role))
	return nil
}

func (h *handlers) updateRole(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	var in UpdateRoleRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	if err := requireVersion(in.Version); err != nil {
		return err
	}
	patch := access.RolePatch{Name: in.Name, Description: in.Description, Version: in.Version}
	if in.Permissions != nil {
		perms := append([]domain.Permission{}, *in.Permissions...)
		patch.Permissions = &perms
	}
	role, err := h.d.Access.UpdateRole(ctx, p, c.Param("id"), patch)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, roleOut(role))
	return nil
}

func (h *handlers) deleteRole(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	if err := h.d.Access.DeleteRole(ctx, p, c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
