// Command panics is a test collector whose Collect panics, which kills the
// plugin process.
package main

import (
	"context"

	"github.com/breeze-rmm/breeze/sdk"
)

type collector struct{}

func (collector) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "panics", Version: "0.0.1"}, nil
}

func (collector) Collect(context.Context) (sdk.Collection, error) {
	panic("panics: boom on purpose")
}

func main() { sdk.ServeCollector(collector{}) }
