// Command exits is a test collector that exits by itself shortly after it
// started ($EXITS_AFTER, default 300ms).
package main

import (
	"context"
	"os"
	"time"

	"github.com/breeze-rmm/breeze/internal/testplugin"
	"github.com/breeze-rmm/breeze/sdk"
)

func main() {
	after := testplugin.EnvDuration("EXITS_AFTER", 300*time.Millisecond)
	go func() {
		time.Sleep(after)
		os.Exit(3)
	}()
	sdk.ServeCollector(testplugin.Collector{Name: "exits", OnCollect: func(context.Context) (sdk.Collection, error) {
		return sdk.Collection{Facts: []sdk.Fact{{Key: "exits.alive", Value: "true"}}}, nil
	}})
}
