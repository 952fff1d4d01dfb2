package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Audit-log filters.
const (
	qActorID      = "actorId"
	qAction       = "action"
	qResourceType = "resourceType"
	qResourceID   = "resourceId"
	qFrom         = "from"
	qTo           = "to"
)

func (h *handlers) auditRoutes(r *registrar) {
	r.add(http.MethodGet, "/audit-logs", httpapi.User(domain.PermAuditRead), "audit-logs.list", "audit_log", httpapi.Doc{
		Summary: "Search the audit log, newest first", Tag: "Audit",
		Response: AuditLogEntry{}, List: true,
		Query: listParams(
			httpapi.Param{Name: qActorID, Description: "Only rows of this actor (user or API key id)."},
			httpapi.Param{Name: qAction, Description: "Only this action, e.g. orgs.create."},
			httpapi.Param{Name: qResourceType, Description: "Only this resource type, e.g. organization."},
			httpapi.Param{Name: qResourceID, Description: "Only rows about this resource."},
			idParam(qOrgID, "rows of this organization"),
			httpapi.Param{Name: qFrom, Format: "date-time", Description: "Rows at or after this RFC 3339 time."},
			httpapi.Param{Name: qTo, Format: "date-time", Description: "Rows before this RFC 3339 time."},
		),
	}, h.listAudit)
}

func (h *handlers) listAudit(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	q, err := parseList(c, qActorID, qAction, qResourceType, qResourceID, qOrgID, qFrom, qTo)
	if err != nil {
		return err
	}
	var f ports.AuditFilter
	for name, dst := range map[string]*string{
		qActorID: &f.ActorID, qAction: &f.Action, qResourceType: &f.ResourceType, qResourceID: &f.ResourceID,
	} {
		if *dst, err = q.text(name); err != nil {
			return err
		}
	}
	if f.OrgID, err = q.id(qOrgID); err != nil {
		return err
	}
	if f.From, err = q.time(qFrom); err != nil {
		return err
	}
	if f.To, err = q.time(qTo); err != nil {
		return err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return domain.Invalidf("from must be before to")
	}
	page, err := h.d.Store.Audit().List(ctx, p.ScopeFor(domain.PermAuditRead), f, q.page)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, pageOf(page, auditOut))
	return nil
}
