// Command null is a test plugin that answers at once: a collector returning
// a fixed collection, or ($NULL_KIND=alert_channel) an alert channel that
// delivers nothing. Benchmarks use it to measure the host's own overhead.
package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/breeze-rmm/breeze/sdk"
)

type collector struct{}

func (collector) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "null", Version: "0.0.1"}, nil
}

func (collector) Collect(context.Context) (sdk.Collection, error) {
	return sdk.Collection{
		Metrics: []sdk.Metric{{Name: "null.value", Value: 1, Unit: "count"}},
		Facts:   []sdk.Fact{{Key: "null.fact", Value: "yes"}},
	}, nil
}

type alert struct{}

func (alert) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "null", Version: "0.0.1"}, nil
}

func (alert) Send(context.Context, sdk.Notification) (sdk.SendResult, error) {
	return sdk.SendResult{Delivered: true, Attempts: 1}, nil
}

func (alert) Test(context.Context, json.RawMessage) (sdk.TestResult, error) {
	return sdk.TestResult{OK: true}, nil
}

func main() {
	if sdk.Kind(os.Getenv("NULL_KIND")) == sdk.KindAlertChannel {
		sdk.ServeAlertChannel(alert{})
		return
	}
	sdk.ServeCollector(collector{})
}
