package ports

import (
	"context"

	"github.com/breeze-rmm/breeze/core/domain"
)

// NotifyStores holds notification routes and the delivery log. ports.Store
// embeds it.
type NotifyStores interface {
	NotificationRoutes() NotificationRouteStore
	NotificationDeliveries() NotificationDeliveryStore
}

// NotificationRouteFilter narrows a route list. Empty fields do not filter.
type NotificationRouteFilter struct {
	OrgID string // an org's own routes plus its partner's defaults
}

// NotificationRouteStore keeps routes. Ownership and visibility follow
// alert rules: an org route needs its org covered, a partner default its
// partner to write; the partner's orgs may read its defaults.
type NotificationRouteStore interface {
	// Create fills ID, CreatedAt and PartnerID (from the org).
	Create(ctx context.Context, s domain.Scope, r *domain.NotificationRoute) error
	Get(ctx context.Context, s domain.Scope, id string) (*domain.NotificationRoute, error)
	List(ctx context.Context, s domain.Scope, f NotificationRouteFilter, page domain.PageRequest) (domain.Page[*domain.NotificationRoute], error)
	Delete(ctx context.Context, s domain.Scope, id string) error
	// ForOrg lists the routes that apply to an org: its own and its
	// partner's defaults (a system read for the notifier).
	ForOrg(ctx context.Context, orgID string) ([]*domain.NotificationRoute, error)
}

// DeliveryFilter narrows the delivery log. Empty fields do not filter.
type DeliveryFilter struct {
	AlertID string
	Outcome string
}

// NotificationDeliveryStore is the delivery log; a row is visible when the
// scope covers its alert's (partner, org, site).
type NotificationDeliveryStore interface {
	// Record appends one attempt (ID and At filled when empty).
	Record(ctx context.Context, d *domain.NotificationDelivery) error
	// List is in id (time) order.
	List(ctx context.Context, s domain.Scope, f DeliveryFilter, page domain.PageRequest) (domain.Page[*domain.NotificationDelivery], error)
	// Delivered reports whether (alert, transition, route) was delivered
	// already (a system read: a task run twice does not send twice).
	Delivered(ctx context.Context, alertID string, transition domain.AlertState, routeID string) (bool, error)
}
