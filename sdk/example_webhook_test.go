package sdk_test

import (
	"fmt"

	"github.com/breeze-rmm/breeze/sdk"
)

// A Discord channel: the service's message is all a WebhookChannel needs.
// In a plugin's main, serve it with sdk.ServeAlertChannel.
func ExampleWebhookChannel() {
	ch := &sdk.WebhookChannel{
		Name: "discord", Version: "0.1.0", Service: "Discord",
		Description: "Posts alerts to a Discord channel webhook",
		Build: func(n sdk.Notification) (any, error) {
			text := fmt.Sprintf("**%s**: %s (%s)\n%s", n.Transition(), n.Title, n.Device(), n.Message)
			return map[string]string{"content": sdk.Truncate(text, 2000)}, nil
		},
	}
	m, _ := ch.Build(sdk.Notification{Status: "resolved", Title: "Disk full", DeviceName: "web-01", Message: "/ is 61% full"})
	fmt.Printf("%q\n", m)
	// Output: map["content":"**resolved**: Disk full (web-01)\n/ is 61% full"]
}
