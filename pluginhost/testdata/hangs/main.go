// Command hangs is a test collector whose Collect never returns and ignores
// cancellation. It says so on stdout first.
package main

import (
	"context"
	"fmt"

	"github.com/breeze-rmm/breeze/sdk"
)

type collector struct{}

func (collector) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "hangs", Version: "0.0.1"}, nil
}

func (collector) Collect(context.Context) (sdk.Collection, error) {
	fmt.Println("hangs: hanging now")
	<-make(chan struct{})
	return sdk.Collection{}, nil
}

func main() { sdk.ServeCollector(collector{}) }
