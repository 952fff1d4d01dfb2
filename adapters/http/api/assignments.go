package api

import (
	"context"
	"net/http"

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
	a := h.d.Access
	read, write := httpapi.User(domain.PermUsersRead), httpapi.User(domain.PermUsersWrite)
	r.add(http.MethodGet, "/role-assignments", read, "role-assignments.list", resAssignment, httpapi.Doc{
		Summary: "List role assignments", Tag: tag, Response: RoleAssignment{}, List: true,
		Query: listParams(idParam(qUserID, "this user's grants"), idParam(qRoleID, "grants of this role")),
	}, listOf(assignmentFilter, a.ListGrants, assignmentOut, qUserID, qRoleID))
	r.add(http.MethodPost, "/role-assignments", write, "role-assignments.create", resAssignment, httpapi.Doc{
		Summary: "Grant a role to a user", Tag: tag,
		Request: CreateRoleAssignmentRequest{}, Response: RoleAssignment{}, Status: http.StatusCreated,
	}, createOne("/role-assignments", h.createAssignment, assignmentOut))
	r.add(http.MethodGet, "/role-assignments/:id", read, "role-assignments.get", resAssignment, httpapi.Doc{
		Summary: "Get a role assignment", Tag: tag, Response: RoleAssignment{},
	}, getOne(a.GetGrant, assignmentOut))
	r.add(http.MethodDelete, "/role-assignments/:id", write, "role-assignments.delete", resAssignment, httpapi.Doc{
		Summary: "Revoke a role assignment", Tag: tag, Status: http.StatusNoContent,
	}, deleteOne(a.Revoke))
}

func assignmentFilter(q listQuery) (f ports.RoleAssignmentFilter, err error) {
	if f.UserID, err = q.id(qUserID); err != nil {
		return f, err
	}
	f.RoleID, err = q.id(qRoleID)
	return f, err
}

func (h *handlers) createAssignment(ctx context.Context, p *domain.Principal, in CreateRoleAssignmentRequest) (*domain.RoleAssignment, error) {
	a := &domain.RoleAssignment{UserID: in.UserID, RoleID: in.RoleID, PartnerID: in.PartnerID, OrgID: in.OrgID, SiteID: in.SiteID}
	return a, h.d.Access.Grant(ctx, p, a)
}
