package agents

import (
	"context"
	"regexp"
	"unicode"
	"unicode/utf8"

	"github.com/breeze-rmm/breeze/core/domain"
)

// seriesPluginRE is a plugin id (the manifest's rule).
var seriesPluginRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$`)

// seriesName accepts what the heartbeat ingest keeps: 1..200 bytes of
// text without control characters (the SDK asks collectors for less).
func seriesName(n string) bool {
	if n == "" || len(n) > 200 || !utf8.ValidString(n) {
		return false
	}
	for _, r := range n {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// PluginMetrics is one collector plugin metric of a device downsampled
// over a window (the defaults filled in).
type PluginMetrics struct {
	MetricsWindow
	Series domain.PluginSeries
	Points []domain.SeriesPoint
}

// DevicePluginMetrics downsamples one collector plugin metric of a device
// from its stored heartbeats: the same rows as DeviceMetrics, so the same
// history and retention. Values reported under several label sets count
// together (avg, min and max over all of them).
func (s *Service) DevicePluginMetrics(ctx context.Context, p *domain.Principal, id string, series domain.PluginSeries, w MetricsWindow) (PluginMetrics, error) {
	if !seriesPluginRE.MatchString(series.Plugin) {
		return PluginMetrics{}, domain.Invalidf("plugin must be a plugin id (e.g. acme.disk-health)")
	}
	if !seriesName(series.Name) {
		return PluginMetrics{}, domain.Invalidf("metric must be a collector metric name (1..200 bytes of text)")
	}
	w, err := s.window(w)
	if err != nil {
		return PluginMetrics{}, err
	}
	points, err := s.d.Store.Telemetry().QuerySeries(ctx, p.ScopeFor(domain.PermDevicesRead), id, series, w.From, w.To, w.Step)
	if err != nil {
		return PluginMetrics{}, err
	}
	return PluginMetrics{MetricsWindow: w, Series: series, Points: points}, nil
}
