package ports

import (
	"context"

	"github.com/breeze-rmm/breeze/core/domain"
)

// FleetStores holds the fleet summary reads. ports.Store embeds it.
type FleetStores interface {
	Fleet() FleetStore
}

// FleetFilter narrows the summary to one org or one site; it never
// widens the scope (rows must match both). Empty fields do not filter; a
// malformed id matches nothing.
type FleetFilter struct {
	OrgID  string
	SiteID string
}

// FleetStore answers the dashboard's fleet summary with aggregate queries
// (COUNT ... GROUP BY, a bounded top-N): it never reads the fleet row by
// row, so its cost does not grow with what it returns. Devices are those
// the devices scope covers; alerts those the alerts scope covers, and
// where a device is named (hostname, org, site), its device must be in the
// devices scope too.
type FleetStore interface {
	// DeviceCounts counts the devices in scope by status.
	DeviceCounts(ctx context.Context, devices domain.Scope, f FleetFilter) (domain.DeviceCounts, error)
	// AlertCounts counts the unresolved alerts in scope by severity.
	AlertCounts(ctx context.Context, alerts domain.Scope, f FleetFilter) (domain.SeverityCounts, error)
	// NeedingAttention lists at most limit devices with unresolved alerts,
	// worst severity first, then most alerts, then hostname and id.
	NeedingAttention(ctx context.Context, alerts, devices domain.Scope, f FleetFilter, limit int) ([]domain.AttentionDevice, error)
	// RecentActivity lists at most limit alert transitions, newest first.
	RecentActivity(ctx context.Context, alerts, devices domain.Scope, f FleetFilter, limit int) ([]domain.AlertActivity, error)
}
