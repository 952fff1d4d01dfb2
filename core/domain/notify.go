package domain

import "time"

// NotificationRoute sends an org's alerts of some severities to one alert
// channel (an installed alert-channel plugin, with the org's settings). A
// route with no OrgID is its partner's default for every org.
type NotificationRoute struct {
	ID         string
	PartnerID  string
	OrgID      string // "" for a partner-wide default
	Name       string
	ChannelID  string // the alert-channel plugin id
	Severities []Severity
	// RatePerHour bounds what this route sends per org and hour (0: no limit).
	RatePerHour int
	Enabled     bool
	CreatedBy   string
	CreatedAt   time.Time
}

// Matches reports whether the route takes an alert of severity sev.
func (r *NotificationRoute) Matches(sev Severity) bool {
	if !r.Enabled {
		return false
	}
	for _, s := range r.Severities {
		if s == sev {
			return true
		}
	}
	return false
}

// Delivery outcomes.
const (
	DeliveryDelivered   = "delivered"    // the channel took it
	DeliveryFailed      = "failed"       // this attempt failed; another follows
	DeliveryDead        = "dead"         // the last attempt failed: dead-lettered
	DeliveryRateLimited = "rate_limited" // held back by the route's rate limit
)

// NotificationDelivery is one attempt to send an alert transition through
// a route (the delivery log; dead ones are the dead-letter list).
type NotificationDelivery struct {
	ID         string
	AlertID    string
	RouteID    string
	PartnerID  string
	OrgID      string
	SiteID     string
	ChannelID  string
	Transition AlertState // open, acknowledged, resolved
	Attempt    int
	Outcome    string
	Detail     string
	LatencyMS  int64
	At         time.Time
}
