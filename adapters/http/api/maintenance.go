package api

import (
	"context"
	"net/http"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/maintenance"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

func (h *handlers) maintenanceRoutes(r *registrar) {
	const tag = "Maintenance"
	m := h.d.Maintenance
	read, manage := httpapi.User(domain.PermAlertsRead), httpapi.User(domain.PermAlertsWrite)
	r.add(http.MethodGet, "/maintenance-windows", read, "maintenance-windows.list", maintenance.ResourceWindow, httpapi.Doc{
		Summary: "List maintenance windows", Tag: tag, Response: MaintenanceWindow{}, List: true,
		Query: listParams(idParam(qOrgID, "this org's windows and its partner's partner-wide ones")),
	}, listOf(windowFilter, m.ListWindows, windowOut, qOrgID))
	r.add(http.MethodPost, "/maintenance-windows", manage, "maintenance-windows.create", maintenance.ResourceWindow, httpapi.Doc{
		Summary: "Create a maintenance window", Tag: tag, Request: MaintenanceWindowRequest{}, Response: MaintenanceWindow{},
		Status: http.StatusCreated,
	}, createOne("/maintenance-windows", h.createWindow, windowOut))
	r.add(http.MethodGet, "/maintenance-windows/:id", read, "maintenance-windows.get", maintenance.ResourceWindow, httpapi.Doc{
		Summary: "Get a maintenance window", Tag: tag, Response: MaintenanceWindow{},
	}, getOne(m.GetWindow, windowOut))
	r.add(http.MethodPatch, "/maintenance-windows/:id", manage, "maintenance-windows.update", maintenance.ResourceWindow, httpapi.Doc{
		Summary: "Replace a maintenance window's settings", Tag: tag, Request: MaintenanceWindowRequest{}, Response: MaintenanceWindow{},
	}, updateOne(h.updateWindow, windowOut))
	r.add(http.MethodDelete, "/maintenance-windows/:id", manage, "maintenance-windows.delete", maintenance.ResourceWindow, httpapi.Doc{
		Summary: "Delete a maintenance window", Tag: tag, Status: http.StatusNoContent,
	}, deleteOne(m.DeleteWindow))
}

func windowFilter(q listQuery) (f ports.MaintenanceWindowFilter, err error) {
	f.OrgID, err = q.id(qOrgID)
	return f, err
}

func (h *handlers) createWindow(ctx context.Context, p *domain.Principal, in MaintenanceWindowRequest) (*maintenance.Window, error) {
	if in.Version != 0 {
		return nil, domain.Invalidf("version is for PATCH")
	}
	w, err := windowIn(in)
	if err != nil {
		return nil, err
	}
	return h.d.Maintenance.CreateWindow(ctx, p, w)
}

func (h *handlers) updateWindow(ctx context.Context, p *domain.Principal, id string, in MaintenanceWindowRequest) (*maintenance.Window, error) {
	if in.PartnerID != "" || in.OrgID != "" {
		return nil, domain.Invalidf("a window's owner never changes (partnerId and orgId are for POST)")
	}
	if err := requireVersion(in.Version); err != nil {
		return nil, err
	}
	w, err := windowIn(in)
	if err != nil {
		return nil, err
	}
	w.ID = id
	return h.d.Maintenance.UpdateWindow(ctx, p, w)
}
