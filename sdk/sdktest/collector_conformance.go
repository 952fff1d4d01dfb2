package sdktest

import (
	"context"
	"testing"

	"github.com/breeze-rmm/breeze/sdk"
)

// MetricNameRE is what metric names must look like (sdk.MetricNameRE).
var MetricNameRE = sdk.MetricNameRE

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
			if err := col.Validate(); err != nil {
				t.Errorf("Collect #%d breaks the collector rules (docs/plugins.md, Collector limits):\n%v", i+1, err)
			}
		}
	})
	t.Run("Cancelled", func(t *testing.T) {
		c := open(t)
		checkCancelled(t, func(ctx context.Context) error { _, err := c.Collect(ctx); return err })
	})
}
