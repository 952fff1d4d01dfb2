package ports

import (
	"context"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Store is the storage port. Implementations: adapters/sqlite, adapters/postgres.
//
// Rules every implementation follows (and ports/storetest asserts):
//   - Every method touching tenant data takes the caller's scope and behaves
//     as if rows outside it did not exist: reads and lists omit them, writes
//     and deletes answer domain.ErrNotFound and change nothing.
//   - Creating a child requires its parent to be covered at the parent's level
//     (an org needs its partner covered; a site its org; a group or device its
//     site, or its org for an org-wide group); otherwise ErrNotFound.
//   - A malformed id is an id that does not exist: ErrNotFound.
//   - Unique violations and stale versions are ErrConflict; rule violations
//     ErrInvalid. Errors are wrapped with %w; test them with errors.Is.
//   - Create fills ID (a UUIDv7) when empty, Version=1, CreatedAt/UpdatedAt,
//     and denormalised parents (PartnerID, OrgID) from the parent row.
//   - Update applies the caller's mutable fields when Version matches the
//     stored one, bumps Version and UpdatedAt, and returns the stored row.
type Store interface {
	Partners() PartnerStore
	Orgs() OrgStore
	Sites() SiteStore
	DeviceGroups() DeviceGroupStore
	Devices() DeviceStore

	// Users, roles, grants, API keys, refresh tokens and the audit log.
	IdentityStore
	// Enrollment keys, agent tokens, presence, telemetry and inventory.
	AgentStore
	// Commands, the script library and its runs, WebSocket tickets.
	RemoteStore
	// Alert rules and alerts.
	AlertStores
	// Notification routes and the delivery log.
	NotifyStores
	// The fleet summary's aggregate reads.
	FleetStores
	// Maintenance windows.
	MaintenanceStores
	// Schedules and their fires.
	ScheduleStores
	// Discovery scan jobs.
	ScanStores
	// Discovery profiles, settings, assets and their events.
	DiscoveryStores
	// Agent releases, rollouts and device update states.
	UpdateStores
	// The agents' certificate authorities and the certificates they issued.
	CertStores
	// Installed plugins, their per-org settings and key-value stores.
	Plugins() PluginStore
	// Plugin catalog subscriptions and the publisher keys trusted in the database.
	PluginCatalogs() PluginCatalogStore
	PluginKeys() PluginKeyStore

	// InTx runs fn in one transaction: it commits when fn returns nil and
	// rolls back on an error or a panic (which it re-raises). The Store
	// passed to fn is bound to the transaction; InTx on it runs fn inline.
	InTx(ctx context.Context, fn func(ctx context.Context, tx Store) error) error

	// Ping checks that the database answers (readiness).
	Ping(ctx context.Context) error
	// Close releases connections.
	Close() error
}

// PartnerStore keeps partners (MSPs).
type PartnerStore interface {
	Create(ctx context.Context, s domain.Scope, p *domain.Partner) error
	Get(ctx context.Context, s domain.Scope, id string) (*domain.Partner, error)
	List(ctx context.Context, s domain.Scope, page domain.PageRequest) (domain.Page[*domain.Partner], error)
	// Update changes Name.
	Update(ctx context.Context, s domain.Scope, p *domain.Partner) (*domain.Partner, error)
	// Delete fails with ErrConflict while the partner still has organizations.
	Delete(ctx context.Context, s domain.Scope, id string) error
}

// OrgFilter narrows an organization list.
type OrgFilter struct {
	PartnerID string
	Query     string // case-insensitive substring of the name
}

// OrgStore keeps organizations (customers).
type OrgStore interface {
	Create(ctx context.Context, s domain.Scope, o *domain.Organization) error
	Get(ctx context.Context, s domain.Scope, id string) (*domain.Organization, error)
	List(ctx context.Context, s domain.Scope, f OrgFilter, page domain.PageRequest) (domain.Page[*domain.Organization], error)
	// Update changes Name.
	Update(ctx context.Context, s domain.Scope, o *domain.Organization) (*domain.Organization, error)
	// Delete fails with ErrConflict while the org still has sites, groups or devices.
	Delete(ctx context.Context, s domain.Scope, id string) error
}

// SiteFilter narrows a site list.
type SiteFilter struct {
	OrgID string
	Query string
}

// SiteStore keeps sites.
type SiteStore interface {
	Create(ctx context.Context, s domain.Scope, site *domain.Site) error
	Get(ctx context.Context, s domain.Scope, id string) (*domain.Site, error)
	List(ctx context.Context, s domain.Scope, f SiteFilter, page domain.PageRequest) (domain.Page[*domain.Site], error)
	// Update changes Name and Timezone.
	Update(ctx context.Context, s domain.Scope, site *domain.Site) (*domain.Site, error)
	// Delete fails with ErrConflict while the site still has groups or devices.
	Delete(ctx context.Context, s domain.Scope, id string) error
}

// DeviceGroupFilter narrows a device group list.
type DeviceGroupFilter struct {
	OrgID  string
	SiteID string
	Query  string
}

// DeviceGroupStore keeps device groups.
type DeviceGroupStore interface {
	Create(ctx context.Context, s domain.Scope, g *domain.DeviceGroup) error
	Get(ctx context.Context, s domain.Scope, id string) (*domain.DeviceGroup, error)
	List(ctx context.Context, s domain.Scope, f DeviceGroupFilter, page domain.PageRequest) (domain.Page[*domain.DeviceGroup], error)
	// Update changes Name (a group never moves between org or site).
	Update(ctx context.Context, s domain.Scope, g *domain.DeviceGroup) (*domain.DeviceGroup, error)
	// Delete fails with ErrConflict while devices are still in the group.
	Delete(ctx context.Context, s domain.Scope, id string) error
}

// DeviceFilter narrows a device list. Empty fields do not filter.
type DeviceFilter struct {
	OrgID   string
	SiteID  string
	GroupID string
	Status  domain.DeviceStatus
	OS      string
	Query   string            // case-insensitive substring of the hostname
	Kind    domain.DeviceKind // agent or network
}

// DeviceStore keeps devices.
type DeviceStore interface {
	Create(ctx context.Context, s domain.Scope, d *domain.Device) error
	Get(ctx context.Context, s domain.Scope, id string) (*domain.Device, error)
	List(ctx context.Context, s domain.Scope, f DeviceFilter, page domain.PageRequest) (domain.Page[*domain.Device], error)
	// Update changes Hostname, OS, Arch, Status, LastSeenAt, AgentVersion,
	// SiteID and GroupID (a move). The target site and group must be in the
	// same org and covered by the scope, and the group must be org-wide or
	// in the target site; otherwise ErrNotFound / ErrInvalid.
	Update(ctx context.Context, s domain.Scope, d *domain.Device) (*domain.Device, error)
	// Upsert inserts d (ID required) or, when a device with that ID exists
	// in scope, overwrites the same fields as Update without a version check
	// and bumps Version. The agent link uses it on every report. A device of
	// that ID outside the scope is ErrNotFound and stays untouched.
	Upsert(ctx context.Context, s domain.Scope, d *domain.Device) (*domain.Device, error)
	Delete(ctx context.Context, s domain.Scope, id string) error
}
