package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

const (
	resAssignment = "role_assignment"
	qUserID       = "userId"
	qRoleID       = "roleId"
)

// Role assignments are read with users:read and granted or revoked with
// users:write (and the role's own permissions, checked by the use case).
// They have no PATCH: a changed grant is a revoke and a new grant.
func (h *handlers) assignmentRoutes(r *registrar) {
	const tag = "Role assignments"
	read, write := httpapi.User(domain.PermUsersRead), httpapi.User(domain.PermUsersWrite)
	r.add(http.MethodGet, "/role-assignments", read, "role-assignments.list", resAssignment, httpapi.Doc{
		Summary: "List role assignments", Tag: tag, Response: RoleAssignment{}, List: true,
		Query: listParams(idParam(qUserID, "this user's grants"), idParam(qRoleID, "grants of this role")),
	}, h.listAssignments)
	r.add(http.MethodPost, "/role-assignments", write, "role-assignments.create", resAssignment, httpapi.Doc{
		Summary: "Grant a role to a user", Tag: tag,
		Request: CreateRoleAssignmentRequest{}, Response: RoleAssignment{}, Status: http.StatusCreated,
	}, h.createAssignment)
	r.add(http.MethodGet, "/role-assignments/:id", read, "role-assignments.get", resAssignment, httpapi.Doc{
		Summary: "Get a role assignment", Tag: tag, Response: RoleAssignment{},
	}, h.getAssignment)
	r.add(http.MethodDelete, "/role-assignments/:id", write, "role-assignments.delete", resAssignment, httpapi.Doc{
		Summary: "Revoke a role assignment", Tag: tag, Status: http.StatusNoContent,
	}, h.deleteAssignment)
}

func (h *handlers) listAssignments(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	q, err := parseList(c, qUserID, qRoleID)
	if err != nil {
		return err
	}
	var f ports.RoleAssignmentFilter
	if f.UserID, err = q.id(qUserID); err != nil {
		return err
	}
	if f.RoleID, err = q.id(qRoleID); err != nil {
		return err
	}
	page, err := h.d.Store.RoleAssignments().List(ctx, p.ScopeFor(domain.PermUsersRead), f, q.page)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, pageOf(page, assignmentOut))
	return nil
}

func (h *handlers) createAssignment(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	var in CreateRoleAssignmentRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	if in.UserID == "" || in.RoleID == "" {
		return domain.Invalidf("userId and roleId are required")
	}
	a := &domain.RoleAssignment{UserID: in.UserID, RoleID: in.RoleID, PartnerID: in.PartnerID, OrgID: in.OrgID, SiteID: in.SiteID}
	if err := h.d.Access.Grant(ctx, p, a); err != nil {
		return err
	}
	created(c, "/role-assignments", a.ID, assignmentOut(a))
	return nil
}

func (h *handlers) getAssignment(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	a, err := h.d.Store.RoleAssignments().Get(ctx, p.ScopeFor(domain.PermUsersRead), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, assignmentOut(a))
	return nil
}

func (h *handlers) deleteAssignment(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	if err := h.d.Access.Revoke(ctx, p, c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
