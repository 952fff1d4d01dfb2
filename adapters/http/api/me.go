package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/domain"
)

func (h *handlers) meRoutes(r *registrar) {
	r.add(http.MethodGet, "/me", httpapi.Authenticated(), "me.get", resUser, httpapi.Doc{
		Summary: "Who am I: my user, grants and effective permissions", Tag: "Me", Response: Me{},
	}, h.me)
	r.add(http.MethodGet, "/permissions", httpapi.Authenticated(), "permissions.list", "permission", httpapi.Doc{
		Summary: "The permission registry", Tag: "Roles", Response: PermissionInfo{}, List: true,
	}, h.permissions)
}

func (h *handlers) me(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	u, err := h.d.Access.Caller(ctx, p)
	if err != nil {
		return fmt.Errorf("load the caller: %w", err)
	}
	names := map[string]string{}
	for _, r := range domain.BuiltInRoles() {
		names[r.ID] = r.Name
	}
	out := Me{User: userOut(u), Kind: string(p.Kind), APIKeyID: p.APIKeyID, MustEnrollTOTP: p.MustEnrollTOTP,
		Grants: make([]Grant, 0, len(p.Grants)), Permissions: append([]string{}, p.Permissions()...)}
	for _, g := range p.Grants {
		id := g.Assignment.RoleID
		if _, known := names[id]; !known && id != "" {
			// A custom role of one of the caller's own grants.
			role, err := h.d.Access.GrantedRole(ctx, p, id)
			switch {
			case err == nil:
				names[id] = role.Name
			case !errors.Is(err, domain.ErrNotFound):
				return fmt.Errorf("load role %s: %w", id, err)
			}
		}
		out.Grants = append(out.Grants, grantOut(g, names[id]))
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h *handlers) permissions(c *gin.Context) error {
	if err := noQuery(c); err != nil {
		return err
	}
	all := domain.AllPermissions()
	page := Page[PermissionInfo]{Items: make([]PermissionInfo, 0, len(all))}
	for _, p := range all {
		page.Items = append(page.Items, permissionOut(p))
	}
	c.JSON(http.StatusOK, page)
	return nil
}
