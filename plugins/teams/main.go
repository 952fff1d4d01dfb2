// Command teams is Breeze's Microsoft Teams alert channel plugin: it posts
// each alert as an Adaptive Card to a Teams incoming webhook.
package main

import "github.com/breeze-rmm/breeze/sdk"

func main() { sdk.ServeAlertChannel(New()) }
