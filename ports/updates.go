package ports

import (
	"context"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// UpdateStores holds agent releases and rollouts. ports.Store embeds it.
type UpdateStores interface {
	Updates() UpdateStore
}

// UpdateStore keeps agent builds (their bytes in the database, so every
// node serves them), rollouts and each device's update state. Releases
// are installation-wide; rollouts are read unscoped here and the app
// (core/app/updates) checks the caller covers a rollout's scope.
type UpdateStore interface {
	// CreateRelease stores a build; the same (version, os, arch) again is
	// ErrConflict. Fills ID and CreatedAt.
	CreateRelease(ctx context.Context, r *domain.AgentRelease, data []byte) error
	ListReleases(ctx context.Context) ([]*domain.AgentRelease, error)
	GetRelease(ctx context.Context, id string) (*domain.AgentRelease, error)
	// FindRelease is the build of version for a platform (ErrNotFound).
	FindRelease(ctx context.Context, version, os, arch string) (*domain.AgentRelease, error)
	// ReleaseData is a build's bytes.
	ReleaseData(ctx context.Context, id string) ([]byte, error)

	// CreateRollout stores r (State active, Stage 0, RowVersion 1; fills ID
	// and times). Another active or paused rollout of the same scope is
	// ErrConflict.
	CreateRollout(ctx context.Context, r *domain.Rollout) error
	GetRollout(ctx context.Context, id string) (*domain.Rollout, error)
	// ListRollouts lists every rollout, newest first (the app filters).
	ListRollouts(ctx context.Context) ([]*domain.Rollout, error)
	// UpdateRollout writes State, Stage, NextStageAt and Reason when
	// RowVersion matches (bumping it): false when another node or a user
	// moved it first.
	UpdateRollout(ctx context.Context, r *domain.Rollout) (bool, error)
	// RunningRollouts lists the active rollouts (the tick's work).
	RunningRollouts(ctx context.Context) ([]*domain.Rollout, error)

	// AssignDevices adds devices to a rollout (state pending) and returns
	// how many were new; a device already in it is left alone.
	AssignDevices(ctx context.Context, us []domain.DeviceUpdate) (int, error)
	// SetDeviceUpdate moves a device's state to u.State (with u.Error,
	// u.OfferedAt when set, u.UpdatedAt) when its stored state is one of
	// from (any when empty); false otherwise.
	SetDeviceUpdate(ctx context.Context, u domain.DeviceUpdate, from []string) (bool, error)
	// DeviceUpdates lists a rollout's devices.
	DeviceUpdates(ctx context.Context, rolloutID string) ([]domain.DeviceUpdate, error)
	// LatestDeviceUpdate is the device's state in its newest rollout
	// (ErrNotFound when it was in none).
	LatestDeviceUpdate(ctx context.Context, deviceID string) (*domain.DeviceUpdate, error)
	// StaleDeviceUpdates lists devices of running rollouts left in one of
	// states since before, at most limit.
	StaleDeviceUpdates(ctx context.Context, states []string, before time.Time, limit int) ([]domain.DeviceUpdate, error)
}
