package sdk

import (
	"errors"
	"fmt"
	"math"
	"regexp"
)

// What a host keeps of one Collect (the agent drops what is beyond, it
// does not fail the collection). Collection.Validate checks the same, so an
// author's own test (sdktest.CollectorConformance) fails where the host
// would silently drop.
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
		if !MetricNameRE.MatchString(m.Name) {
			errs = append(errs, fmt.Errorf("metric name %q does not match %s", m.Name, MetricNameExpr))
		}
		if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
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
		if f.Key == "" || len(f.Key) > MaxNameLen || seen[f.Key] {
			errs = append(errs, fmt.Errorf("fact key %q empty, repeated or longer than %d bytes", f.Key, MaxNameLen))
		}
		seen[f.Key] = true
		if len(f.Value) > MaxFactValue {
			errs = append(errs, fmt.Errorf("fact %s: value longer than %d bytes", f.Key, MaxFactValue))
		}
	}
	return errors.Join(errs...)
}
