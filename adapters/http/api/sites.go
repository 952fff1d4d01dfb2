package api

import (
	"context"
	"net/http"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/tenancy"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

const (
	resSite = tenancy.ResourceSite
	qOrgID  = "orgId"
	qSiteID = "siteId"
)

func (h *handlers) siteRoutes(r *registrar) {
	const tag = "Sites"
	t := h.d.Tenancy
	read, write := httpapi.User(domain.PermSitesRead), httpapi.User(domain.PermSitesWrite)
	r.add(http.MethodGet, "/sites", read, "sites.list", resSite, httpapi.Doc{
		Summary: "List sites", Tag: tag, Response: Site{}, List: true,
		Query: listParams(idParam(qOrgID, "this organization's sites"), pSearch),
	}, listOf(siteFilter, t.ListSites, siteOut, qOrgID, qSearch))
	r.add(http.MethodPost, "/sites", write, "sites.create", resSite, httpapi.Doc{
		Summary: "Create a site", Tag: tag, Request: CreateSiteRequest{}, Response: Site{}, Status: http.StatusCreated,
	}, createOne("/sites", h.createSite, siteOut))
	r.add(http.MethodGet, "/sites/:id", read, "sites.get", resSite, httpapi.Doc{
		Summary: "Get a site", Tag: tag, Response: Site{},
	}, getOne(t.GetSite, siteOut))
	r.add(http.MethodPatch, "/sites/:id", write, "sites.update", resSite, httpapi.Doc{
		Summary: "Rename a site or change its time zone", Tag: tag, Request: UpdateSiteRequest{}, Response: Site{},
	}, updateOne(h.updateSite, siteOut))
	r.add(http.MethodDelete, "/sites/:id", write, "sites.delete", resSite, httpapi.Doc{
		Summary: "Delete a site without groups or devices", Tag: tag, Status: http.StatusNoContent,
	}, deleteOne(t.DeleteSite))
}

func siteFilter(q listQuery) (f ports.SiteFilter, err error) {
	if f.OrgID, err = q.id(qOrgID); err != nil {
		return f, err
	}
	f.Query, err = q.text(qSearch)
	return f, err
}

func (h *handlers) createSite(ctx context.Context, p *domain.Principal, in CreateSiteRequest) (*domain.Site, error) {
	s := &domain.Site{OrgID: in.OrgID, Name: in.Name, Timezone: in.Timezone}
	return s, h.d.Tenancy.CreateSite(ctx, p, s)
}

func (h *handlers) updateSite(ctx context.Context, p *domain.Principal, id string, in UpdateSiteRequest) (*domain.Site, error) {
	return h.d.Tenancy.UpdateSite(ctx, p, id, tenancy.SitePatch{Name: in.Name, Timezone: in.Timezone, Version: in.Version})
}
