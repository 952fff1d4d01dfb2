package conditions

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// MetricThreshold is "metric comparator threshold for duration", e.g. CPU
// above 90 % for 10 minutes. ClearThreshold gives hysteresis: a firing
// alert resolves only once the value is back past it (defaults to the
// threshold itself).
type MetricThreshold struct {
	Metric          string   `json:"metric"` // cpu, memory, disk (percent), load1, load5, load15
	Mount           string   `json:"mount,omitempty"`
	Comparator      string   `json:"comparator"` // > >= < <=
	Threshold       float64  `json:"threshold"`
	DurationSeconds int      `json:"durationSeconds"`
	ClearThreshold  *float64 `json:"clearThreshold,omitempty"`
}

// Metrics are the metric names a threshold may watch.
var Metrics = []string{"cpu", "memory", "disk", "load1", "load5", "load15"}

// MaxDurationSeconds bounds a threshold's duration (a day).
const MaxDurationSeconds = 86400

func init() {
	Register(Kind{Name: "metric_threshold", Compile: compileMetric})
}

func compileMetric(raw json.RawMessage) (Condition, json.RawMessage, error) {
	var p MetricThreshold
	if err := decodeStrict(raw, &p); err != nil {
		return nil, nil, err
	}
	if !slices.Contains(Metrics, p.Metric) {
		return nil, nil, domain.Invalidf("unknown metric %q (known: %s)", domain.Abbrev(p.Metric, 64), strings.Join(Metrics, ", "))
	}
	if p.Mount != "" && p.Metric != "disk" {
		return nil, nil, domain.Invalidf("mount is for the disk metric only")
	}
	if len(p.Mount) > 256 {
		return nil, nil, domain.Invalidf("mount longer than 256 characters")
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
	return &metric{p: p, clear: clear, above: above, orEqual: strings.HasSuffix(p.Comparator, "="),
		dur: time.Duration(p.DurationSeconds) * time.Second}, norm, nil
}

type metric struct {
	p       MetricThreshold
	clear   float64
	above   bool
	orEqual bool
	dur     time.Duration
}

func (*metric) condition()           {}
func (m *metric) For() time.Duration { return m.dur }

func (m *metric) Describe(v float64) string {
	name := m.p.Metric
	if m.p.Mount != "" {
		name += " " + m.p.Mount
	}
	return fmt.Sprintf("%s %.4g %s %.4g for %s", name, v, m.p.Comparator, m.p.Threshold, m.dur)
}

func (m *metric) Check(hb *protocol.Heartbeat) (v float64, breach, clear, ok bool) {
	if v, ok = m.value(hb); !ok {
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

// value reads the metric from the sample without allocating.
func (m *metric) value(hb *protocol.Heartbeat) (float64, bool) {
	switch m.p.Metric {
	case "cpu":
		return hb.CPUPercent, true
	case "memory":
		if hb.MemoryTotal == 0 {
			return 0, false
		}
		return float64(min(hb.MemoryUsed, hb.MemoryTotal)) / float64(hb.MemoryTotal) * 100, true
	case "disk":
		// A mount names one filesystem; none means the fullest.
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
	case "load1":
		return hb.Load1, true
	case "load5":
		return hb.Load5, true
	case "load15":
		return hb.Load15, true
	}
	return 0, false
}
