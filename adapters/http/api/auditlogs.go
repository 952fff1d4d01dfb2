package api

import (
	"net/http"

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
	}, listOf(auditFilter, h.d.AuditLog.List, auditOut, qActorID, qAction, qResourceType, qResourceID, qOrgID, qFrom, qTo))
}

// auditFilter parses the audit-log filters (the service checks the window).
func auditFilter(q listQuery) (f ports.AuditFilter, err error) {
	for name, dst := range map[string]*string{
		qActorID: &f.ActorID, qAction: &f.Action, qResourceType: &f.ResourceType, qResourceID: &f.ResourceID,
	} {
		if *dst, err = q.text(name); err != nil {
			return f, err
		}
	}
	if f.OrgID, err = q.id(qOrgID); err != nil {
		return f, err
	}
	if f.From, err = q.time(qFrom); err != nil {
		return f, err
	}
	f.To, err = q.time(qTo)
	return f, err
}
