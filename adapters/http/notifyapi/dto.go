package notifyapi

import (
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Route is a notification route.
type Route struct {
	ID          string            `json:"id"`
	PartnerID   string            `json:"partnerId"`
	OrgID       string            `json:"orgId,omitempty"`
	Name        string            `json:"name"`
	ChannelID   string            `json:"channelId"`
	Severities  []domain.Severity `json:"severities"`
	RatePerHour int               `json:"ratePerHour"`
	// Storm grouping: per window of groupIntervalSeconds, the first
	// groupAfter notifications of one rule and transition go out alone,
	// the rest in one digest at the window's end (either 0: none).
	GroupAfter           int       `json:"groupAfter"`
	GroupIntervalSeconds int       `json:"groupIntervalSeconds"`
	Enabled              bool      `json:"enabled"`
	CreatedBy            string    `json:"createdBy"`
	CreatedAt            time.Time `json:"createdAt"`
}

func routeOut(r *domain.NotificationRoute) Route {
	return Route{ID: r.ID, PartnerID: r.PartnerID, OrgID: r.OrgID, Name: r.Name, ChannelID: r.ChannelID,
		Severities: r.Severities, RatePerHour: r.RatePerHour, GroupAfter: r.GroupAfter, GroupIntervalSeconds: r.GroupIntervalSeconds,
		Enabled: r.Enabled, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}
}

// RouteRequest creates a route: orgId for an org's own, partnerId alone
// for a partner-wide default. ratePerHour 0 is no limit; enabled defaults
// to true; groupAfter and groupIntervalSeconds default to 5 and 300.
type RouteRequest struct {
	PartnerID            string            `json:"partnerId"`
	OrgID                string            `json:"orgId"`
	Name                 string            `json:"name"`
	ChannelID            string            `json:"channelId"`
	Severities           []domain.Severity `json:"severities"`
	RatePerHour          int               `json:"ratePerHour"`
	GroupAfter           *int              `json:"groupAfter"`
	GroupIntervalSeconds *int              `json:"groupIntervalSeconds"`
	Enabled              *bool             `json:"enabled"`
}

// RoutePatchRequest changes a route: absent (or null) fields stay as they
// are. The owner (partnerId, orgId) is fixed.
type RoutePatchRequest struct {
	Name                 *string            `json:"name"`
	ChannelID            *string            `json:"channelId"`
	Severities           *[]domain.Severity `json:"severities"`
	RatePerHour          *int               `json:"ratePerHour"`
	GroupAfter           *int               `json:"groupAfter"`
	GroupIntervalSeconds *int               `json:"groupIntervalSeconds"`
	Enabled              *bool              `json:"enabled"`
}

// Delivery is one attempt to send an alert transition through a route.
type Delivery struct {
	ID         string `json:"id"`
	AlertID    string `json:"alertId"`
	RouteID    string `json:"routeId"`
	OrgID      string `json:"orgId"`
	ChannelID  string `json:"channelId"`
	Transition string `json:"transition"`
	// Reminder n > 0: the n-th re-notification of a still open alert.
	Reminder int    `json:"reminder"`
	Attempt  int    `json:"attempt"`
	Outcome  string `json:"outcome"`
	Detail   string `json:"detail"`
	// DigestID names the storm digest that carried this alert.
	DigestID string `json:"digestId,omitempty"`
	// HeldUntil is when a held delivery is tried again.
	HeldUntil *time.Time `json:"heldUntil,omitempty"`
	LatencyMS int64      `json:"latencyMs"`
	At        time.Time  `json:"at"`
}

func deliveryOut(d *domain.NotificationDelivery) Delivery {
	out := Delivery{ID: d.ID, AlertID: d.AlertID, RouteID: d.RouteID, OrgID: d.OrgID, ChannelID: d.ChannelID,
		Transition: string(d.Transition), Reminder: d.Reminder, Attempt: d.Attempt, Outcome: d.Outcome, Detail: d.Detail,
		DigestID: d.DigestID, LatencyMS: d.LatencyMS, At: d.At}
	if !d.HeldUntil.IsZero() {
		until := d.HeldUntil
		out.HeldUntil = &until
	}
	return out
}
