package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
)

const resPartner = "partner"

func (h *handlers) partnerRoutes(r *registrar) {
	const tag = "Partners"
	read, write := httpapi.User(domain.PermPartnersRead), httpapi.User(domain.PermPartnersWrite)
	r.add(http.MethodGet, "/partners", read, "partners.list", resPartner, httpapi.Doc{
		Summary: "List partners", Tag: tag, Response: Partner{}, List: true, Query: listParams(),
	}, h.listPartners)
	r.add(http.MethodPost, "/partners", write, "partners.create", resPartner, httpapi.Doc{
		Summary: "Create a partner (platform owner only)", Tag: tag,
		Request: CreatePartnerRequest{}, Response: Partner{}, Status: http.StatusCreated,
	}, h.createPartner)
	r.add(http.MethodGet, "/partners/:id", read, "partners.get", resPartner, httpapi.Doc{
		Summary: "Get a partner", Tag: tag, Response: Partner{},
	}, h.getPartner)
	r.add(http.MethodPatch, "/partners/:id", write, "partners.update", resPartner, httpapi.Doc{
		Summary: "Rename a partner or require a second factor of its users", Tag: tag,
		Request: UpdatePartnerRequest{}, Response: Partner{},
	}, h.updatePartner)
	r.add(http.MethodDelete, "/partners/:id", write, "partners.delete", resPartner, httpapi.Doc{
		Summary: "Delete a partner without organizations", Tag: tag, Status: http.StatusNoContent,
	}, h.deletePartner)
}

func (h *handlers) listPartners(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	q, err := parseList(c)
	if err != nil {
		return err
	}
	page, err := h.d.Store.Partners().List(ctx, p.ScopeFor(domain.PermPartnersRead), q.page)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, pageOf(page, partnerOut))
	return nil
}

func (h *handlers) createPartner(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	var in CreatePartnerRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	// A partner grant of partners:write edits that partner; only the
	// platform owner (a global grant) adds partners.
	if !p.ScopeFor(domain.PermPartnersWrite).Global {
		return domain.Forbiddenf("only the platform owner creates partners")
	}
	part := &domain.Partner{Name: in.Name, RequireTOTP: in.RequireTOTP}
	if err := h.d.Store.Partners().Create(ctx, p.ScopeFor(domain.PermPartnersWrite), part); err != nil {
		return err
	}
	audit.SetResource(ctx, resPartner, part.ID, part.ID, "")
	created(c, "/partners", part.ID, partnerOut(part))
	return nil
}

func (h *handlers) getPartner(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	part, err := h.d.Store.Partners().Get(ctx, p.ScopeFor(domain.PermPartnersRead), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, partnerOut(part))
	return nil
}

func (h *handlers) updatePartner(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	var in UpdatePartnerRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	if err := requireVersion(in.Version); err != nil {
		return err
	}
	scope := p.ScopeFor(domain.PermPartnersWrite)
	part, err := h.d.Store.Partners().Get(ctx, scope, c.Param("id"))
	if err != nil {
		return err
	}
	audit.SetResource(ctx, resPartner, part.ID, part.ID, "")
	if in.Name != nil {
		part.Name = *in.Name
	}
	if in.RequireTOTP != nil {
		part.RequireTOTP = *in.RequireTOTP
	}
	part.Version = in.Version
	out, err := h.d.Store.Partners().Update(ctx, scope, part)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, partnerOut(out))
	return nil
}

func (h *handlers) deletePartner(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	scope := p.ScopeFor(domain.PermPartnersWrite)
	part, err := h.d.Store.Partners().Get(ctx, scope, c.Param("id"))
	if err != nil {
		return err
	}
	audit.SetResource(ctx, resPartner, part.ID, part.ID, "")
	if err := h.d.Store.Partners().Delete(ctx, scope, part.ID); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
