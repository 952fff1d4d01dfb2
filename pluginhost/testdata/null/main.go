// Command null is a test plugin that answers at once: a collector returning
// a fixed collection, or ($NULL_KIND=alert_channel) an alert channel that
// delivers nothing. Benchmarks use it to measure the host's own overhead.
package main

import (
	"os"

	"github.com/breeze-rmm/breeze/internal/testplugin"
	"github.com/breeze-rmm/breeze/sdk"
)

func main() {
	if sdk.Kind(os.Getenv("NULL_KIND")) == sdk.KindAlertChannel {
		sdk.ServeAlertChannel(testplugin.NullAlert{})
		return
	}
	sdk.ServeCollector(testplugin.NullCollector{})
}
