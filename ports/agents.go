package ports

import (
	"context"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// AgentStore holds what the agent link needs: enrollment keys, agent
// tokens, presence, telemetry and inventory. Methods without a scope serve
// the link and system jobs (the caller is an authenticated agent or the
// server itself); the REST edge only ever calls the scoped ones.
type AgentStore interface {
	EnrollmentKeys() EnrollmentKeyStore
	AgentTokens() AgentTokenStore
	Presence() PresenceStore
	Telemetry() TelemetryStore
	Inventory() InventoryStore
}

// EnrollmentKeyStore keeps enrollment keys; visible when the scope covers
// the key's site. Create needs the site covered (ErrNotFound otherwise) and
// the group, when set, in the same org and site or org-wide (ErrInvalid).
type EnrollmentKeyStore interface {
	Create(ctx context.Context, s domain.Scope, k *domain.EnrollmentKey) error
	Get(ctx context.Context, s domain.Scope, id string) (*domain.EnrollmentKey, error)
	List(ctx context.Context, s domain.Scope, page domain.PageRequest) (domain.Page[*domain.EnrollmentKey], error)
	// Revoke sets RevokedAt (idempotent: the first time is kept).
	Revoke(ctx context.Context, s domain.Scope, id string, at time.Time) error
	// Use atomically spends one use of the usable key with keyHash and
	// returns it (Uses incremented). An unknown, expired, used-up or revoked
	// key is ErrNotFound, all alike. Concurrent Use calls never exceed MaxUses.
	Use(ctx context.Context, keyHash string, now time.Time) (*domain.EnrollmentKey, error)
}

// AgentTokenStore keeps each device's agent token hash (one live token per device).
type AgentTokenStore interface {
	// Set stores tokenHash as the device's token, replacing any earlier one.
	Set(ctx context.Context, deviceID, tokenHash string, at time.Time) error
	// Lookup returns the device of a live token; revoked or unknown → ErrNotFound.
	Lookup(ctx context.Context, tokenHash string) (deviceID string, err error)
	// Revoke ends the device's token (decommission). Idempotent.
	Revoke(ctx context.Context, deviceID string, at time.Time) error
}

// PresenceStore updates device status and last-seen time in bulk.
type PresenceStore interface {
	// Mark applies the updates in one transaction; unknown devices and
	// updates whose IfStatus does not match are skipped, not errors.
	Mark(ctx context.Context, updates []domain.PresenceUpdate) error
	// StaleOnline lists agent devices (not network ones, whose watchers set
	// their presence) marked online whose last_seen_at is before
	// cutoff, at most limit of them.
	StaleOnline(ctx context.Context, cutoff time.Time, limit int) ([]string, error)
}

// TelemetryStore keeps heartbeat samples and each device's latest one.
type TelemetryStore interface {
	// Write stores a batch of samples (COPY on PostgreSQL, one transaction
	// on SQLite), updates each device's latest sample (the newest At wins,
	// so late buffered heartbeats never overwrite fresher ones) and raises
	// its last_seen_at to its newest sample's At. Samples of unknown
	// devices are dropped.
	//
	// A non-zero seen is when the batch was received from live links: in
	// the same statement, each device of the batch that is pending,
	// offline or online becomes online and its last_seen_at is raised to
	// seen too (never lowered), exactly as a Presence().Mark with IfStatus
	// pending, offline, online would, so the batch writer touches each
	// device row once. A decommissioned device keeps its status.
	Write(ctx context.Context, samples []domain.MetricSample, seen time.Time) error
	// Latest is the device's newest sample; ErrNotFound when it has none.
	Latest(ctx context.Context, s domain.Scope, deviceID string) (*domain.MetricSample, error)
	// Query downsamples the device's samples in [from, to) into buckets of
	// step, oldest first; empty buckets are omitted.
	Query(ctx context.Context, s domain.Scope, deviceID string, from, to time.Time, step time.Duration) ([]domain.MetricPoint, error)
	// QuerySeries is Query for one collector plugin metric, read from the
	// samples' detail (the same rows, so the same history and retention).
	QuerySeries(ctx context.Context, s domain.Scope, deviceID string, series domain.PluginSeries, from, to time.Time, step time.Duration) ([]domain.SeriesPoint, error)
	// Prune deletes samples older than before and returns how many.
	Prune(ctx context.Context, before time.Time) (int64, error)
}

// InventoryStore keeps each device's inventory document.
type InventoryStore interface {
	// Put replaces the device's inventory.
	Put(ctx context.Context, inv *domain.DeviceInventory) error
	// Get returns it within scope; ErrNotFound when out of scope or never reported.
	Get(ctx context.Context, s domain.Scope, deviceID string) (*domain.DeviceInventory, error)
	// GetUnscoped serves the link, which applies diffs to the stored document.
	GetUnscoped(ctx context.Context, deviceID string) (*domain.DeviceInventory, error)
	// Exists serves the link: whether an inventory was ever stored for the
	// device, answered from the key alone (the document is not read). A
	// malformed or unknown id is false, nil.
	Exists(ctx context.Context, deviceID string) (bool, error)

	// PutPluginStates replaces what the device's agent last reported of its
	// plugins. An unknown device is ErrNotFound.
	PutPluginStates(ctx context.Context, deviceID string, states []domain.PluginRunState, at time.Time) error
	// PluginStates is the last report, within scope: an empty list when the
	// agent never reported, ErrNotFound when the device is out of scope.
	PluginStates(ctx context.Context, s domain.Scope, deviceID string) ([]domain.PluginRunState, error)
}
