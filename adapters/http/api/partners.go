package api

import (
	"context"
	"net/http"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/tenancy"
	"github.com/breeze-rmm/breeze/core/domain"
)

const resPartner = tenancy.ResourcePartner

func (h *handlers) partnerRoutes(r *registrar) {
	const tag = "Partners"
	t := h.d.Tenancy
	read, write := httpapi.User(domain.PermPartnersRead), httpapi.User(domain.PermPartnersWrite)
	r.add(http.MethodGet, "/partners", read, "partners.list", resPartner, httpapi.Doc{
		Summary: "List partners", Tag: tag, Response: Partner{}, List: true, Query: listParams(),
	}, listAll(t.ListPartners, partnerOut))
	r.add(http.MethodPost, "/partners", write, "partners.create", resPartner, httpapi.Doc{
		Summary: "Create a partner (platform owner only)", Tag: tag,
		Request: CreatePartnerRequest{}, Response: Partner{}, Status: http.StatusCreated,
	}, createOne("/partners", h.createPartner, partnerOut))
	r.add(http.MethodGet, "/partners/:id", read, "partners.get", resPartner, httpapi.Doc{
		Summary: "Get a partner", Tag: tag, Response: Partner{},
	}, getOne(t.GetPartner, partnerOut))
	r.add(http.MethodPatch, "/partners/:id", write, "partners.update", resPartner, httpapi.Doc{
		Summary: "Rename a partner or require a second factor of its users", Tag: tag,
		Request: UpdatePartnerRequest{}, Response: Partner{},
	}, updateOne(h.updatePartner, partnerOut))
	r.add(http.MethodDelete, "/partners/:id", write, "partners.delete", resPartner, httpapi.Doc{
		Summary: "Delete a partner without organizations", Tag: tag, Status: http.StatusNoContent,
	}, deleteOne(t.DeletePartner))
}

func (h *handlers) createPartner(ctx context.Context, p *domain.Principal, in CreatePartnerRequest) (*domain.Partner, error) {
	part := &domain.Partner{Name: in.Name, RequireTOTP: in.RequireTOTP, RequireMTLS: in.RequireMTLS}
	return part, h.d.Tenancy.CreatePartner(ctx, p, part)
}

func (h *handlers) updatePartner(ctx context.Context, p *domain.Principal, id string, in UpdatePartnerRequest) (*domain.Partner, error) {
	return h.d.Tenancy.UpdatePartner(ctx, p, id, tenancy.PartnerPatch{Name: in.Name, RequireTOTP: in.RequireTOTP, RequireMTLS: in.RequireMTLS, Version: in.Version})
}
