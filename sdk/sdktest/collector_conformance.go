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
	open := func(t *testing.T) sdk.Collector {
		return InProcess[sdk.Collector](t, sdk.KindCollector, factory(t), NewFakeHost(nil))
	}
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
