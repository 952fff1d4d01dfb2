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
	resOrg     = tenancy.ResourceOrg
	qPartnerID = "partnerId"
)

func (h *handlers) orgRoutes(r *registrar) {
	const tag = "Organizations"
	t := h.d.Tenancy
	read, write := httpapi.User(domain.PermOrgsRead), httpapi.User(domain.PermOrgsWrite)
	r.add(http.MethodGet, "/orgs", read, "orgs.list", resOrg, httpapi.Doc{
		Summary: "List organizations", Tag: tag, Response: Org{}, List: true,
		Query: listParams(idParam(qPartnerID, "this partner's organizations"), pSearch),
	}, listOf(orgFilter, t.ListOrgs, orgOut, qPartnerID, qSearch))
	r.add(http.MethodPost, "/orgs", write, "orgs.create", resOrg, httpapi.Doc{
		Summary: "Create an organization", Tag: tag,
		Request: CreateOrgRequest{}, Response: Org{}, Status: http.StatusCreated,
	}, createOne("/orgs", h.createOrg, orgOut))
	r.add(http.MethodGet, "/orgs/:id", read, "orgs.get", resOrg, httpapi.Doc{
		Summary: "Get an organization", Tag: tag, Response: Org{},
	}, getOne(t.GetOrg, orgOut))
	r.add(http.MethodPatch, "/orgs/:id", write, "orgs.update", resOrg, httpapi.Doc{
		Summary: "Rename an organization", Tag: tag, Request: UpdateOrgRequest{}, Response: Org{},
	}, updateOne(h.updateOrg, orgOut))
	r.add(http.MethodDelete, "/orgs/:id", write, "orgs.delete", resOrg, httpapi.Doc{
		Summary: "Delete an organization without sites, groups or devices", Tag: tag, Status: http.StatusNoContent,
	}, deleteOne(t.DeleteOrg))
}

func orgFilter(q listQuery) (f ports.OrgFilter, err error) {
	if f.PartnerID, err = q.id(qPartnerID); err != nil {
		return f, err
	}
	f.Query, err = q.text(qSearch)
	return f, err
}

func (h *handlers) createOrg(ctx context.Context, p *domain.Principal, in CreateOrgRequest) (*domain.Organization, error) {
	o := &domain.Organization{PartnerID: in.PartnerID, Name: in.Name}
	return o, h.d.Tenancy.CreateOrg(ctx, p, o)
}

func (h *handlers) updateOrg(ctx context.Context, p *domain.Principal, id string, in UpdateOrgRequest) (*domain.Organization, error) {
	return h.d.Tenancy.UpdateOrg(ctx, p, id, tenancy.OrgPatch{Name: in.Name, Version: in.Version})
}
