package ports

import (
	"context"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// NotifyStores holds notification routes and the delivery log. ports.Store
// embeds it.
type NotifyStores interface {
	NotificationRoutes() NotificationRouteStore
	NotificationDeliveries() NotificationDeliveryStore
	NotificationGroups() NotificationGroupStore
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
	// Update changes Name, ChannelID, Severities, RatePerHour, GroupAfter,
	// GroupIntervalSeconds and Enabled of a route the scope may write
	// (ErrNotFound otherwise; a taken name is ErrConflict).
	Update(ctx context.Context, s domain.Scope, r *domain.NotificationRoute) (*domain.NotificationRoute, error)
	Delete(ctx context.Context, s domain.Scope, id string) error
	// ForOrg lists the routes that apply to an org: its own and its
	// partner's defaults (a system read for the notifier).
	ForOrg(ctx context.Context, orgID string) ([]*domain.NotificationRoute, error)
}

// DeliveryFilter narrows the delivery log. Empty fields do not filter.
type DeliveryFilter struct {
	AlertID string
	RouteID string
	Outcome string
}

// NotificationDeliveryStore is the delivery log; a row is visible when the
// scope covers its alert's (partner, org, site).
type NotificationDeliveryStore interface {
	// Record appends one attempt (ID and At filled when empty).
	Record(ctx context.Context, d *domain.NotificationDelivery) error
	// List is in id (time) order.
	List(ctx context.Context, s domain.Scope, f DeliveryFilter, page domain.PageRequest) (domain.Page[*domain.NotificationDelivery], error)
	// Delivered reports whether (alert, transition, reminder, route) was
	// delivered already (a system read: a task run twice does not send
	// twice). Reminder 0 is the transition itself.
	Delivered(ctx context.Context, alertID string, transition domain.AlertState, reminder int, routeID string) (bool, error)
}

// NotificationGroupStore keeps storm grouping (system reads and writes for
// the notifier). A window is (route, rule, kind, start); positions in it
// are handed out once, so nodes racing to place notifications agree on
// which go out alone and which wait for the digest.
type NotificationGroupStore interface {
	// Join places m (route, alert, kind, reminder) in m's window and
	// returns the stored member: when it was placed before, that member
	// unchanged (whatever window it went to); otherwise the next Seq of
	// the window (from 1), Grouped when Seq passes after. An unknown alert
	// or route is ErrNotFound.
	Join(ctx context.Context, m *domain.GroupMember, after int) (*domain.GroupMember, error)
	// Claim gives digestID the window's grouped members no digest holds
	// yet and returns every member digestID holds, by Seq.
	Claim(ctx context.Context, w domain.GroupWindow, digestID string) ([]*domain.GroupMember, error)
	// Due lists, at most limit, the windows that ended before `before` and
	// still have grouped members no digest holds (a lost digest task).
	Due(ctx context.Context, before time.Time, limit int) ([]domain.GroupWindow, error)
	// Prune deletes the members of windows that ended before `before`.
	Prune(ctx context.Context, before time.Time) (int64, error)
}
