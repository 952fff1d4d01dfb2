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
	resOrg     = "organization"
	qPartnerID = "partnerId"
)

func (h *handlers) orgRoutes(r *registrar) {
	const tag = "Organizations"
	read, write := httpapi.User(domain.PermOrgsRead), httpapi.User(domain.PermOrgsWrite)
	r.add(http.MethodGet, "/orgs", read, "orgs.list", resOrg, httpapi.Doc{
		Summary: "List organizations", Tag: tag, Response: Org{}, List: true,
		Query: listParams(idParam(qPartnerID, "this partner's organizations"), pSearch),
	}, h.listOrgs)
	r.add(http.MethodPost, "/orgs", write, "orgs.create", resOrg, httpapi.Doc{
		Summary: "Create an organization", Tag: tag,
		Request: CreateOrgRequest{}, Response: Org{}, Status: http.StatusCreated,
	}, h.createOrg)
	r.add(http.MethodGet, "/orgs/:id", read, "orgs.get", resOrg, httpapi.Doc{
		Summary: "Get an organization", Tag: tag, Response: Org{},
	}, h.getOrg)
	r.add(http.MethodPatch, "/orgs/:id", write, "orgs.update", resOrg, httpapi.Doc{
		Summary: "Rename an organization", Tag: tag, Request: UpdateOrgRequest{}, Response: Org{},
	}, h.updateOrg)
	r.add(http.MethodDelete, "/orgs/:id", write, "orgs.delete", resOrg, httpapi.Doc{
		Summary: "Delete an organization without sites, groups or devices", Tag: tag, Status: http.StatusNoContent,
	}, h.deleteOrg)
}

func (h *handlers) listOrgs(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	q, err := parseList(c, qPartnerID, qSearch)
	if err != nil {
		return err
	}
	var f ports.OrgFilter
	if f.PartnerID, err = q.id(qPartnerID); err != nil {
		return err
	}
	if f.Query, err = q.text(qSearch); err != nil {
		return err
	}
	page, err := h.d.Store.Orgs().List(ctx, p.ScopeFor(domain.PermOrgsRead), f, q.page)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, pageOf(page, orgOut))
	return nil
}

func (h *handlers) createOrg(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	var in CreateOrgRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	o := &domain.Organization{PartnerID: in.PartnerID, Name: in.Name}
	if o.PartnerID == "" {
		o.PartnerID = p.PartnerID
	}
	if err := h.d.Store.Orgs().Create(ctx, p.ScopeFor(domain.PermOrgsWrite), o); err != nil {
		return err
	}
	audit.SetResource(ctx, resOrg, o.ID, o.PartnerID, o.ID)
	created(c, "/orgs", o.ID, orgOut(o))
	return nil
}

func (h *handlers) getOrg(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	o, err := h.d.Store.Orgs().Get(ctx, p.ScopeFor(domain.PermOrgsRead), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, orgOut(o))
	return nil
}

func (h *handlers) updateOrg(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	var in UpdateOrgRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	if err := requireVersion(in.Version); err != nil {
		return err
	}
	scope := p.ScopeFor(domain.PermOrgsWrite)
	o, err := h.d.Store.Orgs().Get(ctx, scope, c.Param("id"))
	if err != nil {
		return err
	}
	audit.SetResource(ctx, resOrg, o.ID, o.PartnerID, o.ID)
	if in.Name != nil {
		o.Name = *in.Name
	}
	o.Version = in.Version
	out, err := h.d.Store.Orgs().Update(ctx, scope, o)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, orgOut(out))
	return nil
}

func (h *handlers) deleteOrg(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	scope := p.ScopeFor(domain.PermOrgsWrite)
	o, err := h.d.Store.Orgs().Get(ctx, scope, c.Param("id"))
	if err != nil {
		return err
	}
	audit.SetResource(ctx, resOrg, o.ID, o.PartnerID, o.ID)
	if err := h.d.Store.Orgs().Delete(ctx, scope, o.ID); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
