// Command collector is a template collector plugin.
package main

import (
	"context"
	"runtime"

	"github.com/breeze-rmm/breeze/sdk"
)

// Collector is your collector.
type Collector struct{}

func (*Collector) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "my-collector", Version: "0.1.0"}, nil
}

// Collect returns metrics and inventory facts. Where your data source is
// missing, return what you can (a fact saying so), not an error.
func (*Collector) Collect(ctx context.Context) (sdk.Collection, error) {
	if err := ctx.Err(); err != nil {
		return sdk.Collection{}, err
	}
	return sdk.Collection{
		Metrics: []sdk.Metric{{Name: "my.goroutines", Value: float64(runtime.NumGoroutine())}},
		Facts:   []sdk.Fact{{Key: "my.os", Value: runtime.GOOS}},
	}, nil
}

func main() { sdk.ServeCollector(&Collector{}) }
