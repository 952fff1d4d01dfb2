package testplugin

import (
	"context"
	"encoding/json"

	"github.com/breeze-rmm/breeze/sdk"
)

// NullCollector answers at once with a fixed collection: the null plugin,
// and the in-process baseline the host's benchmarks compare it with.
type NullCollector struct{}

// Info implements sdk.Plugin.
func (NullCollector) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "null", Version: "0.0.1"}, nil
}

// Collect implements sdk.Collector.
func (NullCollector) Collect(context.Context) (sdk.Collection, error) {
	return sdk.Collection{
		Metrics: []sdk.Metric{{Name: "null.value", Value: 1, Unit: "count"}},
		Facts:   []sdk.Fact{{Key: "null.fact", Value: "yes"}},
	}, nil
}

// NullAlert is an alert channel that delivers nothing and says it did.
type NullAlert struct{}

// Info implements sdk.Plugin.
func (NullAlert) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "null", Version: "0.0.1"}, nil
}

// Send implements sdk.AlertChannel.
func (NullAlert) Send(context.Context, sdk.Notification) (sdk.SendResult, error) {
	return sdk.SendResult{Delivered: true, Attempts: 1}, nil
}

// Test implements sdk.AlertChannel.
func (NullAlert) Test(context.Context, json.RawMessage) (sdk.TestResult, error) {
	return sdk.TestResult{OK: true}, nil
}
