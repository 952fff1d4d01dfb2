package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/domain"
)

// Query parameters naming a collector plugin metric.
const (
	qPlugin = "plugin"
	qMetric = "metric"
)

// DevicePluginMetrics is the answer of GET /devices/:id/plugin-metrics.
type DevicePluginMetrics struct {
	DeviceID string        `json:"deviceId"`
	Plugin   string        `json:"plugin"`
	Metric   string        `json:"metric"`
	From     time.Time     `json:"from"`
	To       time.Time     `json:"to"`
	Step     int64         `json:"stepSeconds"`
	Points   []SeriesPoint `json:"points" doc:"Oldest first; buckets without a value are left out."`
}

// SeriesPoint is one bucket of a plugin metric: every value reported in
// it, whatever its labels.
type SeriesPoint struct {
	At      time.Time `json:"at"`
	Samples int       `json:"samples"`
	Avg     float64   `json:"avg"`
	Min     float64   `json:"min"`
	Max     float64   `json:"max"`
}

// pluginMetricsRoute is GET /devices/:id/plugin-metrics.
func (h *handlers) pluginMetricsRoute(r *registrar, read httpapi.Rule) {
	r.add(http.MethodGet, "/devices/:id/plugin-metrics", read, "devices.pluginMetrics", resDevice, httpapi.Doc{
		Summary: "A collector plugin's metric of a device, downsampled", Tag: "Devices", Response: DevicePluginMetrics{},
		Description: "Read from the stored heartbeats (the same history and retention as /metrics). " +
			"Values reported under several label sets are counted together.",
		Query: []httpapi.Param{
			{Name: qPlugin, Description: "The collector plugin's id (required)."},
			{Name: qMetric, Description: "The metric's name (required)."},
			{Name: qFrom, Format: "date-time", Description: "Start (inclusive); default: an hour before to."},
			{Name: qTo, Format: "date-time", Description: "End (exclusive); default: now."},
			{Name: qStep, Description: "Bucket size: seconds (60) or a duration (5m); default 60 s, at most 10000 buckets."},
		},
	}, h.devicePluginMetrics)
}

func (h *handlers) devicePluginMetrics(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	v, err := strictQuery(c, qPlugin, qMetric, qFrom, qTo, qStep)
	if err != nil {
		return err
	}
	w, err := metricsWindow(v)
	if err != nil {
		return err
	}
	series := domain.PluginSeries{Plugin: v.Get(qPlugin), Name: v.Get(qMetric)}
	m, err := h.d.Agents.DevicePluginMetrics(c.Request.Context(), p, c.Param("id"), series, w)
	if err != nil {
		return err
	}
	out := DevicePluginMetrics{DeviceID: c.Param("id"), Plugin: series.Plugin, Metric: series.Name, From: m.From.UTC(),
		To: m.To.UTC(), Step: int64(m.Step / time.Second), Points: make([]SeriesPoint, 0, len(m.Points))}
	for _, pt := range m.Points {
		out.Points = append(out.Points, SeriesPoint{At: pt.At.UTC(), Samples: pt.Samples, Avg: pt.Avg, Min: pt.Min, Max: pt.Max})
	}
	c.JSON(http.StatusOK, out)
	return nil
}
