// Command pagerduty is Breeze's PagerDuty alert channel plugin: it sends
// each alert transition to the PagerDuty Events API v2, one incident per
// Breeze alert (triggered, acknowledged and resolved share its dedup_key).
package main

import "github.com/breeze-rmm/breeze/sdk"

func main() { sdk.ServeAlertChannel(New()) }
