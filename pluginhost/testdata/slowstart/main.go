// Command slowstart is a test collector that takes $SLOWSTART_DELAY
// (default 5s) before it serves, to trip the host's start timeout.
package main

import (
	"context"
	"os"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
)

type collector struct{}

func (collector) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "slowstart", Version: "0.0.1"}, nil
}

func (collector) Collect(context.Context) (sdk.Collection, error) { return sdk.Collection{}, nil }

func main() {
	d, err := time.ParseDuration(os.Getenv("SLOWSTART_DELAY"))
	if err != nil {
		d = 5 * time.Second
	}
	time.Sleep(d)
	sdk.ServeCollector(collector{})
}
