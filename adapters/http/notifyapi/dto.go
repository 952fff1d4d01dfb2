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
	Enabled     bool              `json:"enabled"`
	CreatedBy   string            `json:"createdBy"`
	CreatedAt   time.Time         `json:"createdAt"`
}

func routeOut(r *domain.NotificationRoute) Route {
	return Route{ID: r.ID, PartnerID: r.PartnerID, OrgID: r.OrgID, Name: r.Name, ChannelID: r.ChannelID,
		Severities: r.Severities, RatePerHour: r.RatePerHour, Enabled: r.Enabled, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}
}

// RouteRequest creates a route: orgId for an org's own, partnerId alone
// for a partner-wide default. ratePerHour 0 is no limit; enabled defaults
// to true.
type RouteRequest struct {
	PartnerID   string            `json:"partnerId"`
	OrgID       string            `json:"orgId"`
	Name        string            `json:"name"`
	ChannelID   string            `json:"channelId"`
	Severities  []domain.Severity `json:"severities"`
	RatePerHour int               `json:"ratePerHour"`
	Enabled     *bool             `json:"enabled"`
}

// Delivery is one attempt to send an alert transition through a route.
type Delivery struct {
	ID         string    `json:"id"`
	AlertID    string    `json:"alertId"`
	RouteID    string    `json:"routeId"`
	OrgID      string    `json:"orgId"`
	ChannelID  string    `json:"channelId"`
	Transition string    `json:"transition"`
	Attempt    int       `json:"attempt"`
	Outcome    string    `json:"outcome"`
	Detail     string    `json:"detail"`
	LatencyMS  int64     `json:"latencyMs"`
	At         time.Time `json:"at"`
}

func deliveryOut(d *domain.NotificationDelivery) Delivery {
	return Delivery{ID: d.ID, AlertID: d.AlertID, RouteID: d.RouteID, OrgID: d.OrgID, ChannelID: d.ChannelID,
		Transition: string(d.Transition), Attempt: d.Attempt, Outcome: d.Outcome, Detail: d.Detail, LatencyMS: d.LatencyMS, At: d.At}
}
