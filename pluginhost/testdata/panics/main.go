// Command panics is a test collector whose Collect panics, which kills the
// plugin process; with PANICS_AT_START set it panics before serving.
package main

import (
	"context"
	"os"

	"github.com/breeze-rmm/breeze/internal/testplugin"
	"github.com/breeze-rmm/breeze/sdk"
)

func main() {
	if os.Getenv("PANICS_AT_START") != "" {
		panic("panics: boom at start")
	}
	sdk.ServeCollector(testplugin.Collector{Name: "panics", OnCollect: func(context.Context) (sdk.Collection, error) {
		panic("panics: boom on purpose")
	}})
}
