// Package notifyapi is the notifications REST API over core/app/notify:
// notification routes (/api/v1/notification-routes, PATCH to change one), the delivery log and
// its dead-letter list (/api/v1/notification-deliveries?state=dead) and
// one alert's deliveries (/api/v1/alerts/:id/deliveries).
//
// Reads need alerts:read, route writes alerts:write; a route or alert
// outside the caller's scope is 404.
//
// Wiring (internal/server), after api.Register on the same server:
//
//	notifyapi.Register(srv, notifyapi.Deps{Notify: notifySvc})
package notifyapi

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/core/app/notify"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Deps are what the routes need.
type Deps struct {
	Notify *notify.Service
}

const (
	qLimit   = "limit"
	qCursor  = "cursor"
	qOrgID   = "orgId"
	qState   = "state"
	qAlertID = "alertId"
	qRouteID = "routeId"
)

// Register adds the routes under /api/v1. It panics on wiring mistakes,
// like httpapi.Server.Handle.
func Register(s *httpapi.Server, d Deps) {
	if d.Notify == nil {
		panic("notifyapi: Deps.Notify is required")
	}
	h := &handlers{svc: d.Notify}
	g := s.Group(api.Prefix)
	read, write := httpapi.User(string(domain.PermAlertsRead)), httpapi.User(string(domain.PermAlertsWrite))
	const tag = "Notifications"
	add := func(r httpapi.Route, fn func(c *gin.Context, p *domain.Principal) error) {
		g.HandleRoute(r, func(c *gin.Context) {
			p := api.PrincipalFrom(c)
			if p == nil {
				httpapi.WriteError(c, errors.New("notifyapi: no principal on a guarded route"))
				return
			}
			if err := fn(c, p); err != nil {
				httpapi.WriteError(c, err)
			}
		})
	}
	paging := []httpapi.Param{{Name: qLimit, Type: "integer", Description: "Page size, 1 to 500 (default 50)."},
		{Name: qCursor, Description: "The nextCursor of the previous page."}}
	add(httpapi.Route{Method: http.MethodGet, Path: "/notification-routes", Rule: read, Name: "notification-routes.list",
		Resource: notify.ResourceRoute, Doc: httpapi.Doc{
			Summary: "List notification routes", Tag: tag, Response: Route{}, List: true,
			Query: append(paging, httpapi.Param{Name: qOrgID, Format: "uuid", Description: "Only this org's routes and its partner's defaults."}),
		}}, h.listRoutes)
	add(httpapi.Route{Method: http.MethodPost, Path: "/notification-routes", Rule: write, Name: "notification-routes.create",
		Resource: notify.ResourceRoute, Doc: httpapi.Doc{
			Summary: "Create a notification route", Tag: tag, Request: RouteRequest{}, Response: Route{}, Status: http.StatusCreated,
			Description: "An org's route (orgId) or a partner-wide default (partnerId alone) sending alerts of the listed " +
				"severities to an installed alert-channel plugin, with the org's settings of that plugin.",
		}}, h.createRoute)
	add(httpapi.Route{Method: http.MethodGet, Path: "/notification-routes/:id", Rule: read, Name: "notification-routes.get",
		Resource: notify.ResourceRoute, Doc: httpapi.Doc{Summary: "Get a notification route", Tag: tag, Response: Route{}}}, h.getRoute)
	add(httpapi.Route{Method: http.MethodPatch, Path: "/notification-routes/:id", Rule: write, Name: "notification-routes.update",
		Resource: notify.ResourceRoute, Doc: httpapi.Doc{
			Summary: "Change a notification route", Tag: tag, Request: RoutePatchRequest{}, Response: Route{},
			Description: "Changes the name, channel, severities, rate limit, storm grouping (groupAfter, groupIntervalSeconds; " +
				"either 0: no grouping) or enabled flag; absent fields stay. A disabled route sends nothing more, " +
				"queued deliveries included.",
		}}, h.updateRoute)
	add(httpapi.Route{Method: http.MethodDelete, Path: "/notification-routes/:id", Rule: write, Name: "notification-routes.delete",
		Resource: notify.ResourceRoute, Doc: httpapi.Doc{Summary: "Delete a notification route", Tag: tag, Status: http.StatusNoContent}},
		h.deleteRoute)
	add(httpapi.Route{Method: http.MethodGet, Path: "/notification-deliveries", Rule: read, Name: "notification-deliveries.list",
		Resource: "notification_delivery", Doc: httpapi.Doc{
			Summary: "The notification delivery log; state=dead is the dead-letter list", Tag: tag, Response: Delivery{}, List: true,
			Query: append(paging, httpapi.Param{Name: qState, Enum: outcomes, Description: "Only attempts with this outcome."},
				httpapi.Param{Name: qAlertID, Format: "uuid", Description: "Only this alert's attempts."},
				httpapi.Param{Name: qRouteID, Format: "uuid", Description: "Only this route's attempts."}),
		}}, h.listDeliveries)
	add(httpapi.Route{Method: http.MethodGet, Path: "/alerts/:id/deliveries", Rule: read, Name: "alerts.deliveries",
		Resource: "alert", Doc: httpapi.Doc{
			Summary: "An alert's delivery log (channel, attempt, outcome, latency)", Tag: "Alerts", Response: Delivery{}, List: true,
			Query: paging,
		}}, h.alertDeliveries)
}

var outcomes = domain.DeliveryOutcomes

type handlers struct{ svc *notify.Service }

func (h *handlers) listRoutes(c *gin.Context, p *domain.Principal) error {
	v, page, err := query(c, qOrgID)
	if err != nil {
		return err
	}
	f := ports.NotificationRouteFilter{OrgID: v.Get(qOrgID)}
	if f.OrgID != "" && !domain.ValidID(f.OrgID) {
		return domain.Invalidf("orgId must be a UUID")
	}
	out, err := h.svc.ListRoutes(c.Request.Context(), p, f, page)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, pageOf(out, routeOut))
	return nil
}

func (h *handlers) createRoute(c *gin.Context, p *domain.Principal) error {
	var in RouteRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	enabled := in.Enabled == nil || *in.Enabled
	r, err := h.svc.CreateRoute(c.Request.Context(), p, notify.RouteInput{PartnerID: in.PartnerID, OrgID: in.OrgID, Name: in.Name,
		ChannelID: in.ChannelID, Severities: in.Severities, RatePerHour: in.RatePerHour, GroupAfter: in.GroupAfter,
		GroupIntervalSeconds: in.GroupIntervalSeconds, Enabled: enabled})
	if err != nil {
		return err
	}
	c.Header("Location", api.Prefix+"/notification-routes/"+r.ID)
	c.JSON(http.StatusCreated, routeOut(r))
	return nil
}

func (h *handlers) getRoute(c *gin.Context, p *domain.Principal) error {
	r, err := h.svc.GetRoute(c.Request.Context(), p, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, routeOut(r))
	return nil
}

func (h *handlers) updateRoute(c *gin.Context, p *domain.Principal) error {
	var in RoutePatchRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	r, err := h.svc.UpdateRoute(c.Request.Context(), p, c.Param("id"), notify.RoutePatch{Name: in.Name, ChannelID: in.ChannelID,
		Severities:  in.Severities,
		RatePerHour: in.RatePerHour, GroupAfter: in.GroupAfter, GroupIntervalSeconds: in.GroupIntervalSeconds, Enabled: in.Enabled})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, routeOut(r))
	return nil
}

func (h *handlers) deleteRoute(c *gin.Context, p *domain.Principal) error {
	if err := h.svc.DeleteRoute(c.Request.Context(), p, c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (h *handlers) listDeliveries(c *gin.Context, p *domain.Principal) error {
	v, page, err := query(c, qState, qAlertID, qRouteID)
	if err != nil {
		return err
	}
	f := ports.DeliveryFilter{Outcome: v.Get(qState), AlertID: v.Get(qAlertID), RouteID: v.Get(qRouteID)}
	if f.Outcome != "" && !contains(outcomes, f.Outcome) {
		return domain.Invalidf("state must be one of %s", strings.Join(outcomes, ", "))
	}
	if f.AlertID != "" && !domain.ValidID(f.AlertID) {
		return domain.Invalidf("alertId must be a UUID")
	}
	if f.RouteID != "" && !domain.ValidID(f.RouteID) {
		return domain.Invalidf("routeId must be a UUID")
	}
	out, err := h.svc.ListDeliveries(c.Request.Context(), p, f, page)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, pageOf(out, deliveryOut))
	return nil
}

func (h *handlers) alertDeliveries(c *gin.Context, p *domain.Principal) error {
	_, page, err := query(c)
	if err != nil {
		return err
	}
	out, err := h.svc.AlertDeliveries(c.Request.Context(), p, c.Param("id"), page)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, pageOf(out, deliveryOut))
	return nil
}

// query validates ?limit=&cursor= and the named filters; an unknown or
// repeated parameter is 400 (a typo must not widen a list).
func query(c *gin.Context, filters ...string) (url.Values, domain.PageRequest, error) {
	var page domain.PageRequest
	v, err := url.ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		return nil, page, domain.Invalidf("malformed query string")
	}
	for k, vs := range v {
		if k != qLimit && k != qCursor && !contains(filters, k) {
			return nil, page, domain.Invalidf("unknown query parameter %q", domain.Abbrev(k, 64))
		}
		if len(vs) > 1 {
			return nil, page, domain.Invalidf("query parameter %q is given more than once", k)
		}
	}
	if s := v.Get(qLimit); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > domain.MaxPageSize {
			return nil, page, domain.Invalidf("limit must be a whole number from 1 to %d", domain.MaxPageSize)
		}
		page.Limit = n
	}
	page.Cursor = v.Get(qCursor)
	if _, err := domain.DecodeCursor(page.Cursor); err != nil {
		return nil, page, err
	}
	return v, page.Normalize(), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func pageOf[S, T any](p domain.Page[S], conv func(S) T) api.Page[T] {
	out := api.Page[T]{Items: make([]T, 0, len(p.Items)), NextCursor: p.NextCursor}
	for _, it := range p.Items {
		out.Items = append(out.Items, conv(it))
	}
	return out
}
