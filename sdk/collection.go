package sdk

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"unicode/utf8"
)

// What a host keeps of one Collect (the agent drops what is beyond, it
// does not fail the collection): Collection.Kept applies these limits and
// is what the agent sends. Collection.Validate checks the same, so an
// author's own test (sdktest.CollectorConformance) fails where the host
// would silently drop. This file is the one place they live.
const (
	MaxMetrics     = 100  // metrics per collection
	MaxFacts       = 100  // facts per collection
	MaxNameLen     = 128  // a metric name, fact key, label key or value
	MaxFactValue   = 4096 // a fact's value (longer is clipped)
	MaxLabels      = 16   // labels per metric
	MaxUnitLen     = 32   // a metric's unit (longer is clipped)
	MetricNameExpr = `^[a-z][a-z0-9_.]{0,127}$`
)

// MetricNameRE is what metric names must look like: lower case, digits,
// '_' and '.', starting with a letter, at most MaxNameLen bytes.
var MetricNameRE = regexp.MustCompile(MetricNameExpr)

// Validate reports every way c breaks the collector rules: metric names
// not matching MetricNameRE, NaN or infinite values, too many metrics,
// facts or labels, empty or repeated fact keys, over-long keys or values.
func (c Collection) Validate() error {
	var errs []error
	if len(c.Metrics) > MaxMetrics {
		errs = append(errs, fmt.Errorf("%d metrics: at most %d are kept", len(c.Metrics), MaxMetrics))
	}
	for _, m := range c.Metrics {
		if !validMetricName(m.Name) {
			errs = append(errs, fmt.Errorf("metric name %q does not match %s", m.Name, MetricNameExpr))
		}
		if !finite(m.Value) {
			errs = append(errs, fmt.Errorf("metric %s = %v: not a finite number", m.Name, m.Value))
		}
		if len(m.Unit) > MaxUnitLen {
			errs = append(errs, fmt.Errorf("metric %s: unit longer than %d bytes", m.Name, MaxUnitLen))
		}
		if len(m.Labels) > MaxLabels {
			errs = append(errs, fmt.Errorf("metric %s: %d labels, at most %d are kept", m.Name, len(m.Labels), MaxLabels))
		}
		for k, v := range m.Labels {
			if k == "" || len(k) > MaxNameLen || len(v) > MaxNameLen {
				errs = append(errs, fmt.Errorf("metric %s: label %q empty or longer than %d bytes (key or value)", m.Name, k, MaxNameLen))
			}
		}
	}
	if len(c.Facts) > MaxFacts {
		errs = append(errs, fmt.Errorf("%d facts: at most %d are kept", len(c.Facts), MaxFacts))
	}
	seen := map[string]bool{}
	for _, f := range c.Facts {
		if !validFactKey(f.Key) || seen[f.Key] {
			errs = append(errs, fmt.Errorf("fact key %q empty, repeated or longer than %d bytes", f.Key, MaxNameLen))
		}
		seen[f.Key] = true
		if len(f.Value) > MaxFactValue {
			errs = append(errs, fmt.Errorf("fact %s: value longer than %d bytes", f.Key, MaxFactValue))
		}
	}
	return errors.Join(errs...)
}

func validMetricName(name string) bool { return MetricNameRE.MatchString(name) }
func finite(v float64) bool            { return !math.IsNaN(v) && !math.IsInf(v, 0) }
func validFactKey(k string) bool       { return k != "" && len(k) <= MaxNameLen }

// Kept is what a host keeps of c, in order: the first MaxMetrics metrics
// whose name matches MetricNameRE and whose value is finite (NaN and Inf
// cannot be encoded as JSON), each with its unit clipped to MaxUnitLen and
// at most MaxLabels labels (non-empty keys, in key order; keys and values
// clipped to MaxNameLen); the first MaxFacts facts with a non-empty key of
// at most MaxNameLen bytes, a repeated key's first value only, values
// clipped to MaxFactValue. Clipping cuts on a character boundary.
func (c Collection) Kept() Collection {
	var out Collection
	for _, m := range c.Metrics {
		if len(out.Metrics) == MaxMetrics {
			break
		}
		if !validMetricName(m.Name) || !finite(m.Value) {
			continue
		}
		m.Unit = clip(m.Unit, MaxUnitLen)
		m.Labels = keptLabels(m.Labels)
		out.Metrics = append(out.Metrics, m)
	}
	seen := map[string]bool{}
	for _, f := range c.Facts {
		if len(out.Facts) == MaxFacts {
			break
		}
		if !validFactKey(f.Key) || seen[f.Key] {
			continue
		}
		seen[f.Key] = true
		f.Value = clip(f.Value, MaxFactValue)
		out.Facts = append(out.Facts, f)
	}
	return out
}

func keptLabels(in map[string]string) map[string]string {
	if len(in) == 0 {
		return nil
	}
	keys := make([]string, 0, len(in))
	for k := range in {
		if k != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make(map[string]string, min(len(keys), MaxLabels))
	for _, k := range keys {
		if len(out) == MaxLabels {
			break
		}
		out[clip(k, MaxNameLen)] = clip(in[k], MaxNameLen)
	}
	return out
}

// clip keeps at most n bytes of s, cut on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
