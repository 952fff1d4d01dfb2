package sdk_test

import (
	"testing"

	"github.com/breeze-rmm/breeze/sdk"
)

func TestNotificationHelpers(t *testing.T) {
	colors := map[string]string{"critical": "red", "info": "blue"}
	for _, tc := range []struct {
		n                               sdk.Notification
		transition, device, link, color string
	}{
		{sdk.Notification{Severity: "critical", DeviceID: "d1", URL: "https://b.example/a/1"}, "triggered", "d1", "https://b.example/a/1", "red"},
		{sdk.Notification{Status: "resolved", Severity: "critical", DeviceName: "web", DeviceID: "d1", URL: "javascript:alert(1)"}, "resolved", "web", "", "green"},
		{sdk.Notification{Status: "acknowledged", Severity: "odd", URL: "/alerts/1"}, "acknowledged", "", "", "grey"},
	} {
		n := tc.n
		if n.Transition() != tc.transition || n.Device() != tc.device || n.Link() != tc.link || n.Color(colors, "grey", "green") != tc.color {
			t.Errorf("%+v: %q %q %q %q; want %q %q %q %q", n, n.Transition(), n.Device(), n.Link(), n.Color(colors, "grey", "green"),
				tc.transition, tc.device, tc.link, tc.color)
		}
	}
	if got := sdk.Truncate("héllo", 5); got != "héllo" {
		t.Errorf("Truncate at length = %q", got)
	}
	if got := sdk.Truncate("héllo wörld", 5); got != "héll…" {
		t.Errorf("Truncate = %q, want 5 runes ending in …", got)
	}
}
