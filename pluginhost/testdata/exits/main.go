// Command exits is a test collector that exits by itself shortly after it
// started ($EXITS_AFTER, default 300ms).
package main

import (
	"context"
	"os"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
)

type collector struct{}

func (collector) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "exits", Version: "0.0.1"}, nil
}

func (collector) Collect(context.Context) (sdk.Collection, error) {
	return sdk.Collection{Facts: []sdk.Fact{{Key: "exits.alive", Value: "true"}}}, nil
}

func main() {
	after, err := time.ParseDuration(os.Getenv("EXITS_AFTER"))
	if err != nil {
		after = 300 * time.Millisecond
	}
	go func() {
		time.Sleep(after)
		os.Exit(3)
	}()
	sdk.ServeCollector(collector{})
}
