package api

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/agents"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

const resDevice = "device"

// Query parameters of the device routes.
const (
	qGroupID = "groupId"
	qStatus  = "status"
	qOS      = "os"
	qStep    = "step" // and qFrom, qTo of the audit log
)

// Metrics defaults and bounds.
const (
	defaultMetricsRange = time.Hour
	defaultMetricsStep  = time.Minute
	maxMetricsPoints    = 10_000
)

// Devices come into being by enrollment only: no POST. PATCH moves a device,
// decommission retires it; the agent reports everything else.
func (h *handlers) deviceRoutes(r *registrar) {
	const tag = "Devices"
	read, write := httpapi.User(domain.PermDevicesRead), httpapi.User(domain.PermDevicesWrite)
	r.add(http.MethodGet, "/devices", read, "devices.list", resDevice, httpapi.Doc{
		Summary: "List devices", Tag: tag, Response: Device{}, List: true,
		Query: listParams(
			idParam(qOrgID, "this organization's devices"), idParam(qSiteID, "this site's devices"),
			idParam(qGroupID, "this group's devices"),
			httpapi.Param{Name: qStatus, Description: "Only devices in this status.", Enum: []string{"online", "offline", "pending", "decommissioned"}},
			httpapi.Param{Name: qOS, Description: "Only devices of this operating system (linux, windows, darwin)."},
			httpapi.Param{Name: qSearch, Description: "Case-insensitive substring of the hostname."},
		),
	}, h.listDevices)
	r.add(http.MethodGet, "/devices/:id", read, "devices.get", resDevice, httpapi.Doc{
		Summary: "Get a device with its latest telemetry", Tag: tag, Response: DeviceDetail{},
	}, h.getDevice)
	r.add(http.MethodPatch, "/devices/:id", write, "devices.move", resDevice, httpapi.Doc{
		Summary: "Move a device to another site or group", Tag: tag,
		Description: "Within its organization; you need devices:write over the device and the target.",
		Request:     MoveDeviceRequest{}, Response: Device{},
	}, h.moveDevice)
	r.add(http.MethodPost, "/devices/:id/decommission", write, "devices.decommission", resDevice, httpapi.Doc{
		Summary: "Decommission a device", Tag: tag,
		Description: "Revokes its agent token and closes its live link; the device stays listed as decommissioned.",
		Response:    Device{},
	}, h.decommissionDevice)
	r.add(http.MethodGet, "/devices/:id/metrics", read, "devices.metrics", resDevice, httpapi.Doc{
		Summary: "A device's telemetry, downsampled", Tag: tag, Response: DeviceMetrics{},
		Query: []httpapi.Param{
			{Name: qFrom, Format: "date-time", Description: "Start (inclusive); default: an hour before to."},
			{Name: qTo, Format: "date-time", Description: "End (exclusive); default: now."},
			{Name: qStep, Description: "Bucket size: seconds (60) or a duration (5m); default 60 s, at least 1 s, at most 10000 buckets."},
		},
	}, h.deviceMetrics)
	r.add(http.MethodGet, "/devices/:id/inventory", read, "devices.inventory", resDevice, httpapi.Doc{
		Summary: "A device's last reported inventory", Tag: tag, Response: DeviceInventory{},
	}, h.deviceInventory)
}

func (h *handlers) listDevices(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	q, err := parseList(c, qOrgID, qSiteID, qGroupID, qStatus, qOS, qSearch)
	if err != nil {
		return err
	}
	var f ports.DeviceFilter
	if f.OrgID, err = q.id(qOrgID); err != nil {
		return err
	}
	if f.SiteID, err = q.id(qSiteID); err != nil {
		return err
	}
	if f.GroupID, err = q.id(qGroupID); err != nil {
		return err
	}
	if s := q.v.Get(qStatus); s != "" {
		f.Status = domain.DeviceStatus(s)
		if !f.Status.Valid() {
			return domain.Invalidf("status must be online, offline, pending or decommissioned")
		}
	}
	if f.OS, err = q.text(qOS); err != nil {
		return err
	}
	if f.Query, err = q.text(qSearch); err != nil {
		return err
	}
	page, err := h.d.Store.Devices().List(ctx, p.ScopeFor(domain.PermDevicesRead), f, q.page)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, pageOf(page, deviceOut))
	return nil
}

func (h *handlers) getDevice(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	if err := noQuery(c); err != nil {
		return err
	}
	scope := p.ScopeFor(domain.PermDevicesRead)
	d, err := h.d.Store.Devices().Get(ctx, scope, c.Param("id"))
	if err != nil {
		return err
	}
	out := DeviceDetail{Device: deviceOut(d), Plugins: []DevicePluginState{}}
	states, err := h.d.Store.Inventory().PluginStates(ctx, scope, d.ID)
	if err != nil {
		return err
	}
	for _, st := range states {
		out.Plugins = append(out.Plugins, DevicePluginState{ID: st.PluginID, Version: st.Version, State: st.State,
			Error: st.Error, ReportedAt: st.At.UTC()})
	}
	latest, err := h.d.Store.Telemetry().Latest(ctx, scope, d.ID)
	switch {
	case err == nil:
		out.Latest = sampleOut(latest)
	case !errors.Is(err, domain.ErrNotFound):
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h *handlers) moveDevice(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	var in MoveDeviceRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	if err := requireVersion(in.Version); err != nil {
		return err
	}
	if in.SiteID == nil && in.GroupID == nil {
		return domain.Invalidf("give siteId, groupId or both")
	}
	d, err := h.d.Agents.MoveDevice(ctx, p, c.Param("id"), agents.Move{SiteID: in.SiteID, GroupID: in.GroupID, Version: in.Version})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, deviceOut(d))
	return nil
}

func (h *handlers) decommissionDevice(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	if err := noQuery(c); err != nil {
		return err
	}
	d, err := h.d.Agents.Decommission(ctx, p, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, deviceOut(d))
	return nil
}

func (h *handlers) deviceMetrics(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	v, err := strictQuery(c, qFrom, qTo, qStep)
	if err != nil {
		return err
	}
	q := listQuery{v: v}
	to, err := q.time(qTo)
	if err != nil {
		return err
	}
	if to.IsZero() {
		to = h.d.Clock.Now().UTC()
	}
	from, err := q.time(qFrom)
	if err != nil {
		return err
	}
	if from.IsZero() {
		from = to.Add(-defaultMetricsRange)
	}
	step, err := parseStep(v.Get(qStep))
	if err != nil {
		return err
	}
	if !from.Before(to) {
		return domain.Invalidf("from must be before to")
	}
	if to.Sub(from)/step > maxMetricsPoints {
		return domain.Invalidf("from..to holds more than %d steps: use a larger step", maxMetricsPoints)
	}
	points, err := h.d.Store.Telemetry().Query(ctx, p.ScopeFor(domain.PermDevicesRead), c.Param("id"), from, to, step)
	if err != nil {
		return err
	}
	out := DeviceMetrics{DeviceID: c.Param("id"), From: from, To: to, Step: int64(step / time.Second),
		Points: make([]MetricPoint, 0, len(points))}
	for _, pt := range points {
		out.Points = append(out.Points, pointOut(pt))
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// parseStep reads a bucket size: whole seconds ("60") or a Go duration
// ("5m"), at least one second and a whole number of seconds.
func parseStep(s string) (time.Duration, error) {
	if s == "" {
		return defaultMetricsStep, nil
	}
	var d time.Duration
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 1 || n > int64(366*24*time.Hour/time.Second) {
			return 0, domain.Invalidf("step must be from 1 second to 366 days")
		}
		d = time.Duration(n) * time.Second
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, domain.Invalidf("step must be seconds (60) or a duration (5m)")
	}
	if d < time.Second || d%time.Second != 0 {
		return 0, domain.Invalidf("step must be a whole number of seconds, at least 1")
	}
	return d, nil
}

func (h *handlers) deviceInventory(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	if err := noQuery(c); err != nil {
		return err
	}
	inv, err := h.d.Store.Inventory().Get(ctx, p.ScopeFor(domain.PermDevicesRead), c.Param("id"))
	if err != nil {
		return err
	}
	doc, err := agents.InventoryOf(inv)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, inventoryOut(inv, doc))
	return nil
}

// strictQuery parses the query string and refuses parameters other than
// names, and any given twice.
func strictQuery(c *gin.Context, names ...string) (url.Values, error) {
	v, err := url.ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		return nil, domain.Invalidf("malformed query string")
	}
	allowed := map[string]bool{}
	for _, n := range names {
		allowed[n] = true
	}
	for k, vs := range v {
		if !allowed[k] {
			return nil, domain.Invalidf("unknown query parameter %q", domain.Abbrev(k, 64))
		}
		if len(vs) > 1 {
			return nil, domain.Invalidf("query parameter %q is given more than once", k)
		}
	}
	return v, nil
}
