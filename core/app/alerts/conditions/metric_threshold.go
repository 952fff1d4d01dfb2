package conditions

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// MetricThreshold is "metric comparator threshold for duration", e.g. CPU
// above 90 % for 10 minutes. ClearThreshold gives hysteresis: a firing
// alert resolves only once the value is back past it (defaults to the
// threshold itself).
//
// Mount narrows disk to one filesystem and Interface narrows net_rx and
// net_tx to one network interface (none: the fullest disk, the busiest
// interface). The metric "plugin" watches a collector plugin's metric
// from the heartbeat: Plugin is the plugin's id and PluginMetric the
// metric's name, e.g. {"metric":"plugin","plugin":"breeze.failedunits",
// "pluginMetric":"systemd.failed_units"}; when the plugin reports the name
// several times (labels), the worst value counts (the highest for > and
// >=, the lowest for < and <=).
type MetricThreshold struct {
	Metric          string   `json:"metric"` // a name of Metrics
	Mount           string   `json:"mount,omitempty"`
	Interface       string   `json:"interface,omitempty"`
	Plugin          string   `json:"plugin,omitempty"`
	PluginMetric    string   `json:"pluginMetric,omitempty"`
	Comparator      string   `json:"comparator"` // > >= < <=
	Threshold       float64  `json:"threshold"`
	DurationSeconds int      `json:"durationSeconds"`
	ClearThreshold  *float64 `json:"clearThreshold,omitempty"`
}

// reader reads one metric from a sample without allocating; ok=false when
// the sample lacks it. worst is set for a metric reported several times.
type reader func(m *metric, hb *protocol.Heartbeat) (v float64, ok bool)

// metricDef is one watchable metric: one entry of the table below.
type metricDef struct {
	read reader
	// field is the narrowing parameter the metric takes ("" none).
	field string
}

// metrics is the table of watchable metrics.
var metrics = map[string]metricDef{
	"cpu":    {read: func(_ *metric, hb *protocol.Heartbeat) (float64, bool) { return hb.CPUPercent, true }},
	"memory": {read: readMemory},
	"disk":   {read: readDisk, field: "mount"},
	"load1":  {read: func(_ *metric, hb *protocol.Heartbeat) (float64, bool) { return hb.Load1, true }},
	"load5":  {read: func(_ *metric, hb *protocol.Heartbeat) (float64, bool) { return hb.Load5, true }},
	"load15": {read: func(_ *metric, hb *protocol.Heartbeat) (float64, bool) { return hb.Load15, true }},
	"net_rx": {read: func(m *metric, hb *protocol.Heartbeat) (float64, bool) { return readNet(m, hb, true) }, field: "interface"},
	"net_tx": {read: func(m *metric, hb *protocol.Heartbeat) (float64, bool) { return readNet(m, hb, false) }, field: "interface"},
	"plugin": {read: readPlugin, field: "plugin"},
}

// Metrics are the metric names a threshold may watch, sorted.
var Metrics = func() []string {
	out := make([]string, 0, len(metrics))
	for n := range metrics {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}()

// MaxDurationSeconds bounds a threshold's duration (a day).
const MaxDurationSeconds = 86400

// Bounds on the narrowing names (the agent keeps plugin metric names to
// 200 bytes and plugin ids to 64).
const (
	maxMountLen        = 256
	maxInterfaceLen    = 64
	maxPluginMetricLen = 200
)

func init() {
	Register(Kind{Name: "metric_threshold", Compile: compileMetric})
}

func compileMetric(raw json.RawMessage) (Condition, json.RawMessage, error) {
	var p MetricThreshold
	if err := decodeStrict(raw, &p); err != nil {
		return nil, nil, err
	}
	def, ok := metrics[p.Metric]
	if !ok {
		return nil, nil, domain.Invalidf("unknown metric %q (known: %s)", domain.Abbrev(p.Metric, 64), strings.Join(Metrics, ", "))
	}
	if err := checkNarrowing(&p, def.field); err != nil {
		return nil, nil, err
	}
	if p.Comparator == "" {
		p.Comparator = ">"
	}
	above := p.Comparator == ">" || p.Comparator == ">="
	if !above && p.Comparator != "<" && p.Comparator != "<=" {
		return nil, nil, domain.Invalidf("comparator must be >, >=, < or <=")
	}
	if math.IsNaN(p.Threshold) || math.IsInf(p.Threshold, 0) {
		return nil, nil, domain.Invalidf("threshold must be a finite number")
	}
	if p.DurationSeconds < 1 || p.DurationSeconds > MaxDurationSeconds {
		return nil, nil, domain.Invalidf("durationSeconds must be within 1..%d", MaxDurationSeconds)
	}
	clear := p.Threshold
	if p.ClearThreshold != nil {
		clear = *p.ClearThreshold
		if math.IsNaN(clear) || math.IsInf(clear, 0) {
			return nil, nil, domain.Invalidf("clearThreshold must be a finite number")
		}
		if (above && clear > p.Threshold) || (!above && clear < p.Threshold) {
			return nil, nil, domain.Invalidf("clearThreshold must lie on the healthy side of the threshold")
		}
	}
	norm, _ := json.Marshal(p)
	return &metric{p: p, read: def.read, clear: clear, above: above, orEqual: strings.HasSuffix(p.Comparator, "="),
		dur: time.Duration(p.DurationSeconds) * time.Second}, norm, nil
}

// checkNarrowing allows only the narrowing field of the metric.
func checkNarrowing(p *MetricThreshold, field string) error {
	set := map[string]bool{"mount": p.Mount != "", "interface": p.Interface != "", "plugin": p.Plugin != "" || p.PluginMetric != ""}
	for f, on := range set {
		if on && f != field {
			return domain.Invalidf("%s is not a parameter of the %s metric", f, p.Metric)
		}
	}
	switch {
	case len(p.Mount) > maxMountLen:
		return domain.Invalidf("mount longer than %d characters", maxMountLen)
	case len(p.Interface) > maxInterfaceLen:
		return domain.Invalidf("interface longer than %d characters", maxInterfaceLen)
	}
	if field != "plugin" {
		return nil
	}
	if err := checkPluginID(p.Plugin, true); err != nil {
		return err
	}
	if p.PluginMetric == "" || len(p.PluginMetric) > maxPluginMetricLen || !printable(p.PluginMetric) {
		return domain.Invalidf("pluginMetric names the plugin's metric: 1 to %d printable characters", maxPluginMetricLen)
	}
	return nil
}

type metric struct {
	p       MetricThreshold
	read    reader
	clear   float64
	above   bool
	orEqual bool
	dur     time.Duration
}

func (*metric) condition()           {}
func (m *metric) For() time.Duration { return m.dur }

// PluginID names the plugin a plugin metric comes from ("" for the others).
func (m *metric) PluginID() string { return m.p.Plugin }

func (m *metric) Describe(v float64) string {
	name := m.p.Metric
	switch {
	case m.p.Mount != "":
		name += " " + m.p.Mount
	case m.p.Interface != "":
		name += " " + m.p.Interface
	case m.p.Plugin != "":
		name = m.p.Plugin + " " + m.p.PluginMetric
	}
	return fmt.Sprintf("%s %.4g %s %.4g for %s", name, v, m.p.Comparator, m.p.Threshold, m.dur)
}

func (m *metric) Check(hb *protocol.Heartbeat) (v float64, breach, clear, ok bool) {
	if v, ok = m.read(m, hb); !ok || math.IsNaN(v) {
		return 0, false, false, false
	}
	if m.above {
		breach = v > m.p.Threshold || (m.orEqual && v == m.p.Threshold)
		clear = v < m.clear
	} else {
		breach = v < m.p.Threshold || (m.orEqual && v == m.p.Threshold)
		clear = v > m.clear
	}
	if m.clear == m.p.Threshold {
		clear = !breach // no hysteresis asked: healthy is clear
	}
	return v, breach, clear, true
}

// worse reports whether v is worse than best for this threshold.
func (m *metric) worse(v, best float64) bool {
	if m.above {
		return v > best
	}
	return v < best
}

func readMemory(_ *metric, hb *protocol.Heartbeat) (float64, bool) {
	if hb.MemoryTotal == 0 {
		return 0, false
	}
	return float64(min(hb.MemoryUsed, hb.MemoryTotal)) / float64(hb.MemoryTotal) * 100, true
}

// readDisk: a mount names one filesystem; none means the fullest.
func readDisk(m *metric, hb *protocol.Heartbeat) (float64, bool) {
	best, found := 0.0, false
	for i := range hb.Disks {
		d := &hb.Disks[i]
		if d.Total == 0 || (m.p.Mount != "" && d.Mount != m.p.Mount) {
			continue
		}
		if pct := float64(min(d.Used, d.Total)) / float64(d.Total) * 100; !found || pct > best {
			best, found = pct, true
		}
	}
	return best, found
}

// readNet: an interface names one; none means the busiest (in bytes per
// second, received or sent).
func readNet(m *metric, hb *protocol.Heartbeat, rx bool) (float64, bool) {
	best, found := 0.0, false
	for i := range hb.Network {
		n := &hb.Network[i]
		if m.p.Interface != "" && n.Interface != m.p.Interface {
			continue
		}
		v := n.TxBps
		if rx {
			v = n.RxBps
		}
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			continue
		}
		if !found || v > best {
			best, found = v, true
		}
	}
	return best, found
}

// readPlugin finds the plugin's metric by name; the worst value counts
// when it is reported more than once.
func readPlugin(m *metric, hb *protocol.Heartbeat) (float64, bool) {
	best, found := 0.0, false
	for i := range hb.PluginMetrics {
		pm := &hb.PluginMetrics[i]
		if pm.Name != m.p.PluginMetric || pm.Plugin != m.p.Plugin || math.IsNaN(pm.Value) || math.IsInf(pm.Value, 0) {
			continue
		}
		if !found || m.worse(pm.Value, best) {
			best, found = pm.Value, true
		}
	}
	return best, found
}
