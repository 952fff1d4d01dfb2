package api

import (
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

// Devices come into being by enrollment only: no POST. PATCH moves a device,
// decommission retires it; the agent reports everything else.
func (h *handlers) deviceRoutes(r *registrar) {
	const tag = "Devices"
	a := h.d.Agents
	read, write := httpapi.User(domain.PermDevicesRead), httpapi.User(domain.PermDevicesWrite)
	r.add(http.MethodGet, "/devices", read, "devices.list", resDevice, httpapi.Doc{
		Summary: "List devices", Tag: tag, Response: Device{}, List: true,
		Query: listParams(
			idParam(qOrgID, "this organization's devices"), idParam(qSiteID, "this site's devices"),
			idParam(qGroupID, "this group's devices"),
			httpapi.Param{Name: qStatus, Description: "Only devices in this status.", Enum: []string{"online", "offline", "pending", "decommissioned"}},
			httpapi.Param{Name: qOS, Description: "Only devices of this operating system (linux, windows, darwin)."},
			httpapi.Param{Name: qSearch, Description: "Case-insensitive substring of the hostname."},
			httpapi.Param{Name: qKind, Description: "Only devices of this kind: agent (runs the agent) or network (a tracked discovery asset).", Enum: []string{"agent", "network"}},
		),
	}, listOf(deviceFilter, a.ListDevices, deviceOut, qOrgID, qSiteID, qGroupID, qStatus, qOS, qSearch, qKind))
	r.add(http.MethodGet, "/devices/:id", read, "devices.get", resDevice, httpapi.Doc{
		Summary: "Get a device with its latest telemetry", Tag: tag, Response: DeviceDetail{},
	}, refuseQuery(getOne(a.GetDevice, deviceDetailOut)))
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
	h.pluginMetricsRoute(r, read)
	r.add(http.MethodGet, "/devices/:id/inventory", read, "devices.inventory", resDevice, httpapi.Doc{
		Summary: "A device's last reported inventory", Tag: tag, Response: DeviceInventory{},
	}, refuseQuery(getOne(a.DeviceInventory, inventoryOut)))
}

func deviceFilter(q listQuery) (f ports.DeviceFilter, err error) {
	if f.OrgID, err = q.id(qOrgID); err != nil {
		return f, err
	}
	if f.SiteID, err = q.id(qSiteID); err != nil {
		return f, err
	}
	if f.GroupID, err = q.id(qGroupID); err != nil {
		return f, err
	}
	if s := q.v.Get(qStatus); s != "" {
		f.Status = domain.DeviceStatus(s)
		if !f.Status.Valid() {
			return f, domain.Invalidf("status must be online, offline, pending or decommissioned")
		}
	}
	if f.OS, err = q.text(qOS); err != nil {
		return f, err
	}
	switch k := domain.DeviceKind(q.v.Get(qKind)); k {
	case "", domain.DeviceKindAgent, domain.DeviceKindNetwork:
		f.Kind = k
	default:
		return f, domain.Invalidf("kind must be agent or network")
	}
	f.Query, err = q.text(qSearch)
	return f, err
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
	p, err := principal(c)
	if err != nil {
		return err
	}
	v, err := strictQuery(c, qFrom, qTo, qStep)
	if err != nil {
		return err
	}
	w, err := metricsWindow(v)
	if err != nil {
		return err
	}
	m, err := h.d.Agents.DeviceMetrics(c.Request.Context(), p, c.Param("id"), w)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, metricsOut(c.Param("id"), m))
	return nil
}

// metricsWindow reads from, to and step.
func metricsWindow(v url.Values) (w agents.MetricsWindow, err error) {
	q := listQuery{v: v}
	if w.To, err = q.time(qTo); err != nil {
		return w, err
	}
	if w.From, err = q.time(qFrom); err != nil {
		return w, err
	}
	w.Step, err = parseStep(v.Get(qStep))
	return w, err
}

// parseStep reads a bucket size: whole seconds ("60") or a Go duration
// ("5m"), at least one second and a whole number of seconds. Empty is 0:
// the service's default.
func parseStep(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
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
