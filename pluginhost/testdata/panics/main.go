// Command panics is a test collector whose Collect panics, which kills the
// plugin process.
package main

import (
	"context"

	"github.com/breeze-rmm/breeze/internal/testplugin"
	"github.com/breeze-rmm/breeze/sdk"
)

func main() {
	sdk.ServeCollector(testplugin.Collector{Name: "panics", OnCollect: func(context.Context) (sdk.Collection, error) {
		panic("panics: boom on purpose")
	}})
}
