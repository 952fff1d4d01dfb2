// Command slowstart is a test collector that takes $SLOWSTART_DELAY
// (default 5s) before it serves, to trip the host's start timeout.
package main

import (
	"time"

	"github.com/breeze-rmm/breeze/internal/testplugin"
	"github.com/breeze-rmm/breeze/sdk"
)

func main() {
	time.Sleep(testplugin.EnvDuration("SLOWSTART_DELAY", 5*time.Second))
	sdk.ServeCollector(testplugin.Collector{Name: "slowstart"})
}
