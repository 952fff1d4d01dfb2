package sdktest

import (
	"context"
	"math"
	"regexp"
	"testing"

	"github.com/breeze-rmm/breeze/sdk"
)

// MetricNameRE is what metric names must look like.
var MetricNameRE = regexp.MustCompile(`^[a-z][a-z0-9_.]{0,127}$`)

// CollectorConformance runs the collector suite in-process over gRPC.
// Collectors must work on any machine: where their data source is missing
// they return an empty collection (or facts saying so), not an error.
func CollectorConformance(t *testing.T, factory func(t *testing.T) sdk.Collector) {
	t.Helper()
	collectorSuite(t, inProcess(sdk.KindCollector, factory))
}

// CollectorConformanceBinary runs the same suite against a built plugin
// executable, launched as a host launches it (see Launch and Build).
func CollectorConformanceBinary(t *testing.T, bin string) {
	t.Helper()
	collectorSuite(t, fromBinary[sdk.Collector](sdk.KindCollector, bin))
}

func collectorSuite(t *testing.T, mk opener[sdk.Collector]) {
	open := func(t *testing.T) sdk.Collector { return mk(t, NewFakeHost(nil)) }
	t.Run("Info", func(t *testing.T) { checkInfo(t, open(t), sdk.KindCollector) })
	t.Run("Collect", func(t *testing.T) {
		c := open(t)
		for i := 0; i < 2; i++ {
			col, err := c.Collect(ctxT(t))
			if err != nil {
				t.Fatalf("Collect #%d: %v", i+1, err)
			}
			for _, m := range col.Metrics {
				if !MetricNameRE.MatchString(m.Name) {
					t.Errorf("metric name %q does not match %s", m.Name, MetricNameRE)
				}
				if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
					t.Errorf("metric %s = %v", m.Name, m.Value)
				}
			}
			seen := map[string]bool{}
			for _, f := range col.Facts {
				if f.Key == "" || seen[f.Key] {
					t.Errorf("fact key %q empty or repeated", f.Key)
				}
				seen[f.Key] = true
			}
		}
	})
	t.Run("Cancelled", func(t *testing.T) {
		c := open(t)
		checkCancelled(t, func(ctx context.Context) error { _, err := c.Collect(ctx); return err })
	})
}
