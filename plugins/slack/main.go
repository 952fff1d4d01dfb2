// Command slack is Breeze's Slack alert channel plugin: it posts each alert
// to a Slack incoming webhook, coloured by severity.
package main

import "github.com/breeze-rmm/breeze/sdk"

func main() { sdk.ServeAlertChannel(New()) }
