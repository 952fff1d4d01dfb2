package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

const resGroup = "device_group"

func (h *handlers) groupRoutes(r *registrar) {
	const tag = "Device groups"
	read, write := httpapi.User(domain.PermGroupsRead), httpapi.User(domain.PermGroupsWrite)
	r.add(http.MethodGet, "/device-groups", read, "device-groups.list", resGroup, httpapi.Doc{
		Summary: "List device groups", Tag: tag, Response: DeviceGroup{}, List: true,
		Query: listParams(idParam(qOrgID, "this organization's groups"), idParam(qSiteID, "this site's groups"), pSearch),
	}, h.listGroups)
	r.add(http.MethodPost, "/device-groups", write, "device-groups.create", resGroup, httpapi.Doc{
		Summary: "Create a device group", Tag: tag,
		Request: CreateDeviceGroupRequest{}, Response: DeviceGroup{}, Status: http.StatusCreated,
	}, h.createGroup)
	r.add(http.MethodGet, "/device-groups/:id", read, "device-groups.get", resGroup, httpapi.Doc{
		Summary: "Get a device group", Tag: tag, Response: DeviceGroup{},
	}, h.getGroup)
	r.add(http.MethodPatch, "/device-groups/:id", write, "device-groups.update", resGroup, httpapi.Doc{
		Summary: "Rename a device group", Tag: tag, Request: UpdateDeviceGroupRequest{}, Response: DeviceGroup{},
	}, h.updateGroup)
	r.add(http.MethodDelete, "/device-groups/:id", write, "device-groups.delete", resGroup, httpapi.Doc{
		Summary: "Delete an empty device group", Tag: tag, Status: http.StatusNoContent,
	}, h.deleteGroup)
}

func (h *handlers) listGroups(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	q, err := parseList(c, qOrgID, qSiteID, qSearch)
	if err != nil {
		return err
	}
	var f ports.DeviceGroupFilter
	if f.OrgID, err = q.id(qOrgID); err != nil {
		return err
	}
	if f.SiteID, err = q.id(qSiteID); err != nil {
		return err
	}
	if f.Query, err = q.text(qSearch); err != nil {
		return err
	}
	page, err := h.d.Store.DeviceGroups().List(ctx, p.ScopeFor(domain.PermGroupsRead), f, q.page)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, pageOf(page, groupOut))
	return nil
}

func (h *handlers) createGroup(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	var in CreateDeviceGroupRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	if in.OrgID == "" && in.SiteID == "" {
		return domain.Invalidf("orgId or siteId is required")
	}
	g := &domain.DeviceGroup{OrgID: in.OrgID, SiteID: in.SiteID, Name: in.Name}
	if err := h.d.Store.DeviceGroups().Create(ctx, p.ScopeFor(domain.PermGroupsWrite), g); err != nil {
		return err
	}
	audit.SetResource(ctx, resGroup, g.ID, g.PartnerID, g.OrgID)
	created(c, "/device-groups", g.ID, groupOut(g))
	return nil
}

func (h *handlers) getGroup(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	g, err := h.d.Store.DeviceGroups().Get(ctx, p.ScopeFor(domain.PermGroupsRead), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, groupOut(g))
	return nil
}

func (h *handlers) updateGroup(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	var in UpdateDeviceGroupRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	if err := requireVersion(in.Version); err != nil {
		return err
	}
	scope := p.ScopeFor(domain.PermGroupsWrite)
	g, err := h.d.Store.DeviceGroups().Get(ctx, scope, c.Param("id"))
	if err != nil {
		return err
	}
	audit.SetResource(ctx, resGroup, g.ID, g.PartnerID, g.OrgID)
	if in.Name != nil {
		g.Name = *in.Name
	}
	g.Version = in.Version
	out, err := h.d.Store.DeviceGroups().Update(ctx, scope, g)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, groupOut(out))
	return nil
}

func (h *handlers) deleteGroup(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	scope := p.ScopeFor(domain.PermGroupsWrite)
	g, err := h.d.Store.DeviceGroups().Get(ctx, scope, c.Param("id"))
	if err != nil {
		return err
	}
	audit.SetResource(ctx, resGroup, g.ID, g.PartnerID, g.OrgID)
	if err := h.d.Store.DeviceGroups().Delete(ctx, scope, g.ID); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
