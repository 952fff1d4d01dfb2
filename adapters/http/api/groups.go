package api

import (
	"context"
	"net/http"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/tenancy"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

const resGroup = tenancy.ResourceGroup

func (h *handlers) groupRoutes(r *registrar) {
	const tag = "Device groups"
	t := h.d.Tenancy
	read, write := httpapi.User(domain.PermGroupsRead), httpapi.User(domain.PermGroupsWrite)
	r.add(http.MethodGet, "/device-groups", read, "device-groups.list", resGroup, httpapi.Doc{
		Summary: "List device groups", Tag: tag, Response: DeviceGroup{}, List: true,
		Query: listParams(idParam(qOrgID, "this organization's groups"), idParam(qSiteID, "this site's groups"), pSearch),
	}, listOf(groupFilter, t.ListGroups, groupOut, qOrgID, qSiteID, qSearch))
	r.add(http.MethodPost, "/device-groups", write, "device-groups.create", resGroup, httpapi.Doc{
		Summary: "Create a device group", Tag: tag,
		Request: CreateDeviceGroupRequest{}, Response: DeviceGroup{}, Status: http.StatusCreated,
	}, createOne("/device-groups", h.createGroup, groupOut))
	r.add(http.MethodGet, "/device-groups/:id", read, "device-groups.get", resGroup, httpapi.Doc{
		Summary: "Get a device group", Tag: tag, Response: DeviceGroup{},
	}, getOne(t.GetGroup, groupOut))
	r.add(http.MethodPatch, "/device-groups/:id", write, "device-groups.update", resGroup, httpapi.Doc{
		Summary: "Rename a device group", Tag: tag, Request: UpdateDeviceGroupRequest{}, Response: DeviceGroup{},
	}, updateOne(h.updateGroup, groupOut))
	r.add(http.MethodDelete, "/device-groups/:id", write, "device-groups.delete", resGroup, httpapi.Doc{
		Summary: "Delete an empty device group", Tag: tag, Status: http.StatusNoContent,
	}, deleteOne(t.DeleteGroup))
}

func groupFilter(q listQuery) (f ports.DeviceGroupFilter, err error) {
	if f.OrgID, err = q.id(qOrgID); err != nil {
		return f, err
	}
	if f.SiteID, err = q.id(qSiteID); err != nil {
		return f, err
	}
	f.Query, err = q.text(qSearch)
	return f, err
}

func (h *handlers) createGroup(ctx context.Context, p *domain.Principal, in CreateDeviceGroupRequest) (*domain.DeviceGroup, error) {
	g := &domain.DeviceGroup{OrgID: in.OrgID, SiteID: in.SiteID, Name: in.Name}
	return g, h.d.Tenancy.CreateGroup(ctx, p, g)
}

func (h *handlers) updateGroup(ctx context.Context, p *domain.Principal, id string, in UpdateDeviceGroupRequest) (*domain.DeviceGroup, error) {
	return h.d.Tenancy.UpdateGroup(ctx, p, id, tenancy.GroupPatch{Name: in.Name, Version: in.Version})
}
