package ports

import (
	"context"

	"github.com/breeze-rmm/breeze/core/domain"
)

// MaintenanceStores holds maintenance windows. ports.Store embeds it.
type MaintenanceStores interface {
	MaintenanceWindows() MaintenanceWindowStore
}

// MaintenanceWindowFilter narrows a window list. Empty fields do not filter.
type MaintenanceWindowFilter struct {
	OrgID string // an org's own windows plus its partner's partner-wide ones
}

// MaintenanceWindowStore keeps maintenance windows. Ownership, visibility
// and write coverage are the alert rules' (an org window needs its org
// covered, a partner-wide one its partner to write; a partner-wide one is
// also read by a scope touching the partner through an org or site). The
// store checks shape; the app validates the schedule and the scope ids.
type MaintenanceWindowStore interface {
	// Create fills ID, Version=1, times and PartnerID (from the org). Same
	// name in the same (partner, org): ErrConflict.
	Create(ctx context.Context, s domain.Scope, w *domain.MaintenanceWindow) error
	Get(ctx context.Context, s domain.Scope, id string) (*domain.MaintenanceWindow, error)
	List(ctx context.Context, s domain.Scope, f MaintenanceWindowFilter, page domain.PageRequest) (domain.Page[*domain.MaintenanceWindow], error)
	// Update changes every field but the owner when Version matches
	// (ErrConflict otherwise).
	Update(ctx context.Context, s domain.Scope, w *domain.MaintenanceWindow) (*domain.MaintenanceWindow, error)
	Delete(ctx context.Context, s domain.Scope, id string) error
	// Enabled lists every enabled window of every tenant (the maintenance
	// cache; a system read, unscoped).
	Enabled(ctx context.Context) ([]*domain.MaintenanceWindow, error)
}
