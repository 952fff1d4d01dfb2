// Command failedunits is Breeze's systemd collector plugin: how many units
// have failed and which, as a metric and inventory facts. Without systemd it
// reports that fact and nothing else.
package main

import "github.com/breeze-rmm/breeze/sdk"

func main() { sdk.ServeCollector(New()) }
