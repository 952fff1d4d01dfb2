package ports

import (
	"context"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// ScheduleStores holds schedules and their fires. ports.Store embeds it.
type ScheduleStores interface {
	Schedules() ScheduleStore
}

// ScheduleFilter narrows a schedule list. Empty fields do not filter.
type ScheduleFilter struct {
	OrgID   string // an org's own schedules plus its partner's partner-wide ones
	Enabled *bool
}

// ScheduleStore keeps schedules and their fires. Ownership, visibility and
// write coverage are the scripts' (an org schedule needs its org covered,
// a partner-wide one its partner; a partner-wide one is also read by a
// scope touching the partner through an org or site). The store checks
// shape; the app validates timing, target and task.
type ScheduleStore interface {
	// Create fills ID, Version=1, times and PartnerID (from the org). Same
	// name in the same (partner, org): ErrConflict.
	Create(ctx context.Context, s domain.Scope, sc *domain.Schedule) error
	Get(ctx context.Context, s domain.Scope, id string) (*domain.Schedule, error)
	List(ctx context.Context, s domain.Scope, f ScheduleFilter, page domain.PageRequest) (domain.Page[*domain.Schedule], error)
	// Update changes every field but the owner, CreatedBy and the fire
	// bookkeeping (NextFireAt is written) when Version matches
	// (ErrConflict otherwise).
	Update(ctx context.Context, s domain.Scope, sc *domain.Schedule) (*domain.Schedule, error)
	Delete(ctx context.Context, s domain.Scope, id string) error

	// Due lists enabled schedules whose NextFireAt is at or before now,
	// oldest first, at most limit (a system read, unscoped).
	Due(ctx context.Context, now time.Time, limit int) ([]*domain.Schedule, error)
	// Advance moves a schedule's NextFireAt from prev (nil: none) to next
	// when it still is prev, without touching Version: false when another
	// node or an edit moved it first.
	Advance(ctx context.Context, id string, prev, next *time.Time) (bool, error)
	// Fired records a fire's outcome on its schedule: LastFireAt = fireAt
	// (when later than the stored one) and LastError = lastError.
	Fired(ctx context.Context, id string, fireAt time.Time, lastError string) error
	// GetSystem reads a schedule unscoped (the fire task).
	GetSystem(ctx context.Context, id string) (*domain.Schedule, error)

	// CreateFire stores a fire: the same (ScheduleID, FireAt) again is
	// ErrConflict and stores nothing, which makes a fire once across nodes.
	CreateFire(ctx context.Context, f *domain.ScheduleFire) error
	// UpdateFire writes a fire's Status, Error, ScriptRunID and CommandIDs.
	UpdateFire(ctx context.Context, f *domain.ScheduleFire) error
	// GetFire reads the fire of (scheduleID, fireAt) unscoped.
	GetFire(ctx context.Context, scheduleID string, fireAt time.Time) (*domain.ScheduleFire, error)
	// ListFires lists a schedule's fires, newest first (the app has checked
	// the caller reads the schedule).
	ListFires(ctx context.Context, scheduleID string, page domain.PageRequest) (domain.Page[*domain.ScheduleFire], error)
}
