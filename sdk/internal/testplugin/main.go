// Command testplugin is a trivial plugin of the kind named by $SDKTEST_KIND,
// used by the SDK's own tests and benchmarks.
package main

import (
	"os"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/internal/toy"
)

func main() {
	switch sdk.Kind(os.Getenv("SDKTEST_KIND")) {
	case sdk.KindAlertChannel:
		sdk.ServeAlertChannel(&toy.Alert{})
	case sdk.KindScanner:
		sdk.ServeScanner(&toy.Scanner{})
	case sdk.KindScriptRuntime:
		sdk.ServeScriptRuntime(&toy.Runtime{})
	default:
		sdk.ServeCollector(&toy.Collector{})
	}
}
