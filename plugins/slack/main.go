// Command slack is Breeze's Slack alert channel plugin: it posts each alert
// to a Slack incoming webhook, coloured by severity.
package main

import "github.com/breeze-rmm/breeze/sdk"

// New returns the Slack channel: the SDK's incoming-webhook channel with
// Slack's message. Like every server-side plugin it reaches Slack only
// through the host's egress (sdk.PostJSON).
func New() *sdk.WebhookChannel {
	return &sdk.WebhookChannel{Name: "slack", Version: "1.0.0", Service: "Slack",
		Description: "Posts alerts to a Slack incoming webhook", Build: build, Explain: explain}
}

func main() { sdk.ServeAlertChannel(New()) }
