// Package fleetapi is the dashboard's fleet summary on the REST API:
// GET /api/v1/fleet/summary, over core/app/fleet. It needs devices:read;
// alert figures need alerts:read too (without it they are zero and the
// lists empty). An orgId or siteId the caller may not read devices of is
// 404.
//
// Wiring (internal/server), after api.Register on the same server:
//
//	fleetapi.Register(srv, fleetapi.Deps{Fleet: fleetSvc})
package fleetapi

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/core/app/fleet"
	"github.com/breeze-rmm/breeze/core/domain"
)

// Deps are what the route needs.
type Deps struct {
	Fleet *fleet.Service
}

const (
	qOrgID     = "orgId"
	qSiteID    = "siteId"
	qAttention = "attention"
	qActivity  = "activity"
)

// Register adds the route under /api/v1. It panics on wiring mistakes,
// like httpapi.Server.Handle.
func Register(s *httpapi.Server, d Deps) {
	if d.Fleet == nil {
		panic("fleetapi: Deps.Fleet is required")
	}
	h := &handlers{svc: d.Fleet}
	s.Group(api.Prefix).HandleRoute(httpapi.Route{Method: http.MethodGet, Path: "/fleet/summary",
		Rule: httpapi.User(string(domain.PermDevicesRead)), Name: "fleet.summary", Resource: "fleet",
		Doc: httpapi.Doc{
			Summary: "The fleet at a glance", Tag: "Fleet", Response: Summary{},
			Description: "Devices by status, unresolved (open or acknowledged) alerts by severity, the devices needing " +
				"attention (worst unresolved severity, then most alerts) and the newest alert transitions, counted over " +
				"what the caller may read: devices through devices:read, alerts through alerts:read.",
			Query: []httpapi.Param{
				{Name: qOrgID, Format: "uuid", Description: "Only this organization."},
				{Name: qSiteID, Format: "uuid", Description: "Only this site."},
				{Name: qAttention, Type: "integer", Description: "Devices needing attention to list, 1 to 50 (default 10)."},
				{Name: qActivity, Type: "integer", Description: "Alert transitions to list, 1 to 100 (default 20)."},
			},
		}}, func(c *gin.Context) {
		p := api.PrincipalFrom(c)
		if p == nil {
			httpapi.WriteError(c, errors.New("fleetapi: no principal on a guarded route"))
			return
		}
		if err := h.summary(c, p); err != nil {
			httpapi.WriteError(c, err)
		}
	})
}

type handlers struct{ svc *fleet.Service }

func (h *handlers) summary(c *gin.Context, p *domain.Principal) error {
	f, err := parseFilter(c.Request.URL.RawQuery)
	if err != nil {
		return err
	}
	s, err := h.svc.Summary(c.Request.Context(), p, f)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, summaryOut(s))
	return nil
}

// parseFilter validates the query: an unknown, repeated or malformed
// parameter is 400 (a typo must not silently widen the figures).
func parseFilter(raw string) (fleet.Filter, error) {
	var f fleet.Filter
	v, err := url.ParseQuery(raw)
	if err != nil {
		return f, domain.Invalidf("malformed query string")
	}
	for k, vs := range v {
		switch k {
		case qOrgID, qSiteID, qAttention, qActivity:
		default:
			return f, domain.Invalidf("unknown query parameter %q", domain.Abbrev(k, 64))
		}
		if len(vs) > 1 {
			return f, domain.Invalidf("query parameter %q is given more than once", k)
		}
	}
	for name, dst := range map[string]*string{qOrgID: &f.OrgID, qSiteID: &f.SiteID} {
		if id := v.Get(name); id != "" {
			if !domain.ValidID(id) {
				return f, domain.Invalidf("%s must be a UUID", name)
			}
			*dst = id
		}
	}
	for name, dst := range map[string]*int{qAttention: &f.Attention, qActivity: &f.Activity} {
		if s := v.Get(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				return f, domain.Invalidf("%s must be a whole number from 1", name)
			}
			*dst = n
		}
	}
	return f, nil
}
