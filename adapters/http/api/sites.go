package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

const (
	resSite = "site"
	qOrgID  = "orgId"
	qSiteID = "siteId"
)

func (h *handlers) siteRoutes(r *registrar) {
	const tag = "Sites"
	read, write := httpapi.User(domain.PermSitesRead), httpapi.User(domain.PermSitesWrite)
	r.add(http.MethodGet, "/sites", read, "sites.list", resSite, httpapi.Doc{
		Summary: "List sites", Tag: tag, Response: Site{}, List: true,
		Query: listParams(idParam(qOrgID, "this organization's sites"), pSearch),
	}, h.listSites)
	r.add(http.MethodPost, "/sites", write, "sites.create", resSite, httpapi.Doc{
		Summary: "Create a site", Tag: tag, Request: CreateSiteRequest{}, Response: Site{}, Status: http.StatusCreated,
	}, h.createSite)
	r.add(http.MethodGet, "/sites/:id", read, "sites.get", resSite, httpapi.Doc{
		Summary: "Get a site", Tag: tag, Response: Site{},
	}, h.getSite)
	r.add(http.MethodPatch, "/sites/:id", write, "sites.update", resSite, httpapi.Doc{
		Summary: "Rename a site or change its time zone", Tag: tag, Request: UpdateSiteRequest{}, Response: Site{},
	}, h.updateSite)
	r.add(http.MethodDelete, "/sites/:id", write, "sites.delete", resSite, httpapi.Doc{
		Summary: "Delete a site without groups or devices", Tag: tag, Status: http.StatusNoContent,
	}, h.deleteSite)
}

func (h *handlers) listSites(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	q, err := parseList(c, qOrgID, qSearch)
	if err != nil {
		return err
	}
	var f ports.SiteFilter
	if f.OrgID, err = q.id(qOrgID); err != nil {
		return err
	}
	if f.Query, err = q.text(qSearch); err != nil {
		return err
	}
	page, err := h.d.Store.Sites().List(ctx, p.ScopeFor(domain.PermSitesRead), f, q.page)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, pageOf(page, siteOut))
	return nil
}

func (h *handlers) createSite(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	var in CreateSiteRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	if in.OrgID == "" {
		return domain.Invalidf("orgId is required")
	}
	s := &domain.Site{OrgID: in.OrgID, Name: in.Name, Timezone: in.Timezone}
	if err := h.d.Store.Sites().Create(ctx, p.ScopeFor(domain.PermSitesWrite), s); err != nil {
		return err
	}
	audit.SetResource(ctx, resSite, s.ID, s.PartnerID, s.OrgID)
	created(c, "/sites", s.ID, siteOut(s))
	return nil
}

func (h *handlers) getSite(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	s, err := h.d.Store.Sites().Get(ctx, p.ScopeFor(domain.PermSitesRead), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, siteOut(s))
	return nil
}

func (h *handlers) updateSite(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	var in UpdateSiteRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	if err := requireVersion(in.Version); err != nil {
		return err
	}
	scope := p.ScopeFor(domain.PermSitesWrite)
	s, err := h.d.Store.Sites().Get(ctx, scope, c.Param("id"))
	if err != nil {
		return err
	}
	audit.SetResource(ctx, resSite, s.ID, s.PartnerID, s.OrgID)
	if in.Name != nil {
		s.Name = *in.Name
	}
	if in.Timezone != nil {
		s.Timezone = *in.Timezone
	}
	s.Version = in.Version
	out, err := h.d.Store.Sites().Update(ctx, scope, s)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, siteOut(out))
	return nil
}

func (h *handlers) deleteSite(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	scope := p.ScopeFor(domain.PermSitesWrite)
	s, err := h.d.Store.Sites().Get(ctx, scope, c.Param("id"))
	if err != nil {
		return err
	}
	audit.SetResource(ctx, resSite, s.ID, s.PartnerID, s.OrgID)
	if err := h.d.Store.Sites().Delete(ctx, scope, s.ID); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
