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
	// Storm grouping: in each GroupIntervalSeconds window the first
	// GroupAfter notifications of one (rule, transition) go out alone, the
	// rest in one digest at the window's end. Either 0: no grouping.
	GroupAfter           int
	GroupIntervalSeconds int
	Enabled              bool
	CreatedBy            string
	CreatedAt            time.Time
}

// Route grouping defaults and bounds.
const (
	DefaultGroupAfter           = 5
	DefaultGroupIntervalSeconds = 300
	MaxGroupAfter               = 1000
	MaxGroupIntervalSeconds     = 86400
)

// Grouping reports whether the route collects storms into digests.
func (r *NotificationRoute) Grouping() bool { return r.GroupAfter > 0 && r.GroupIntervalSeconds > 0 }

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
	DeliveryHeld        = "held"         // held (maintenance, snooze) until HeldUntil; sent then
	DeliveryGrouped     = "grouped"      // part of a storm: waits for its digest (DigestID)
	DeliverySuppressed  = "suppressed"   // not sent, by design (see Detail)
)

// DeliveryOutcomes lists every outcome.
var DeliveryOutcomes = []string{DeliveryDelivered, DeliveryFailed, DeliveryDead, DeliveryRateLimited, DeliveryHeld,
	DeliveryGrouped, DeliverySuppressed}

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
	// Reminder n > 0 is the n-th re-notification of a still open alert
	// (Transition open); 0 is the transition itself.
	Reminder int
	Attempt  int
	Outcome  string
	Detail   string
	// DigestID names the storm digest that carries (or carried) this alert.
	DigestID string
	// HeldUntil is when a held delivery is tried again (Outcome held).
	HeldUntil time.Time
	LatencyMS int64
	At        time.Time
}

// Group kinds: a transition, or a reminder.
const GroupKindReminder = "reminder"

// GroupWindow is one storm-grouping window of a route: notifications of
// one org's alerts of one rule and kind whose turn came in [Start, End).
// The org is part of it because a partner default route sends each org's
// alerts with that org's channel settings.
type GroupWindow struct {
	RouteID string
	OrgID   string
	RuleID  string
	Kind    string // open, acknowledged, resolved or reminder
	Start   time.Time
	End     time.Time
}

// GroupMember is one notification placed in a window: the first ones
// (Seq up to the route's GroupAfter) went out alone; Grouped ones wait
// for the window's digest, which claims them (DigestID).
type GroupMember struct {
	GroupWindow
	AlertID  string
	Reminder int
	Seq      int
	Grouped  bool
	DigestID string
}
