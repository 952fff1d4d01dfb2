// Command teams is Breeze's Microsoft Teams alert channel plugin: it posts
// each alert as an Adaptive Card to a Teams incoming webhook.
package main

import "github.com/breeze-rmm/breeze/sdk"

// New returns the Teams channel: the SDK's incoming-webhook channel with
// an Adaptive Card. Like every server-side plugin it reaches Teams only
// through the host's egress (sdk.PostJSON).
func New() *sdk.WebhookChannel {
	return &sdk.WebhookChannel{Name: "teams", Version: "1.0.0", Service: "Teams",
		Description: "Posts alerts as Adaptive Cards to a Teams webhook", Build: build}
}

func main() { sdk.ServeAlertChannel(New()) }
