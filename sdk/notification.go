package sdk

import "net/url"

// Helpers for a channel's message builder (a WebhookChannel's Build), so
// every channel reads a notification the same way.

// Transition is n.Status, or "triggered" when the host sent none.
func (n Notification) Transition() string {
	if n.Status == "" {
		return "triggered"
	}
	return n.Status
}

// Device names n's device: its name, else its id ("" for neither).
func (n Notification) Device() string {
	if n.DeviceName != "" {
		return n.DeviceName
	}
	return n.DeviceID
}

// Link is n.URL when it is an absolute http(s) URL, "" otherwise: the only
// links a channel should render.
func (n Notification) Link() string {
	u, err := url.Parse(n.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

// Color picks n's colour (or any style) from bySeverity: resolved once the
// alert is resolved, unknown for a severity not in the map.
func (n Notification) Color(bySeverity map[string]string, unknown, resolved string) string {
	if n.Transition() == "resolved" {
		return resolved
	}
	if c, ok := bySeverity[n.Severity]; ok {
		return c
	}
	return unknown
}

// Truncate cuts s to at most n runes, marking a cut with "…".
func Truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
