package ports

import (
	"context"

	"github.com/breeze-rmm/breeze/core/domain"
)

// DiscoveryStores holds discovery profiles, per-org discovery settings and
// discovered assets with their events. ports.Store embeds it.
type DiscoveryStores interface {
	DiscoveryProfiles() DiscoveryProfileStore
	DiscoverySettings() DiscoverySettingsStore
	DiscoveryAssets() AssetStore
}

// DiscoveryProfileFilter narrows a profile list. Empty fields do not filter.
type DiscoveryProfileFilter struct {
	OrgID  string
	SiteID string
}

// DiscoveryProfileStore keeps discovery profiles. A profile belongs to a
// site and is scoped like a device (partner, org or site coverage). The
// store checks shape; the app validates targets, methods and scanners.
type DiscoveryProfileStore interface {
	// Create needs the site covered (else ErrNotFound) and fills ID,
	// PartnerID and OrgID from it. Same name in the site: ErrConflict.
	Create(ctx context.Context, s domain.Scope, p *domain.DiscoveryProfile) error
	Get(ctx context.Context, s domain.Scope, id string) (*domain.DiscoveryProfile, error)
	List(ctx context.Context, s domain.Scope, f DiscoveryProfileFilter, page domain.PageRequest) (domain.Page[*domain.DiscoveryProfile], error)
	// ScannedBy lists, in id order, the profiles of the device's site that
	// name it among their scanners (none for an unknown device). The agent
	// link asks it at every link: a device that scans nothing costs one
	// look-up by site.
	ScannedBy(ctx context.Context, deviceID string) ([]*domain.DiscoveryProfile, error)
	// Update changes every field but the owner (partner, org, site) and
	// CreatedBy when Version matches (ErrConflict otherwise).
	Update(ctx context.Context, s domain.Scope, p *domain.DiscoveryProfile) (*domain.DiscoveryProfile, error)
	Delete(ctx context.Context, s domain.Scope, id string) error
}

// DiscoverySettingsStore keeps each org's discovery settings.
type DiscoverySettingsStore interface {
	// Get returns the org's settings; an org in scope that never saved any
	// gets empty settings with Version 0. An org out of scope: ErrNotFound.
	// Reading needs the org covered, or one of its sites.
	Get(ctx context.Context, s domain.Scope, orgID string) (*domain.DiscoverySettings, error)
	// Put stores them when Version is the stored one (0: none stored yet),
	// else ErrConflict; the org must be covered (partner or org level).
	Put(ctx context.Context, s domain.Scope, st *domain.DiscoverySettings) (*domain.DiscoverySettings, error)
}

// AssetFilter narrows an asset list. Empty fields do not filter.
type AssetFilter struct {
	OrgID     string
	SiteID    string
	State     domain.AssetState
	New       *bool  // seen first by the latest scan that saw it (and not gone)
	Query     string // case-insensitive substring of IP, MAC, vendor or a hostname
	ProfileID string // seen by a scan of this profile
}

// DeviceAddress is one address or MAC an enrolled device reported in its
// inventory (one row per interface address; Address "" when it has none).
type DeviceAddress struct {
	DeviceID string
	SiteID   string
	MAC      string // as reported
	Address  string // as reported, e.g. "10.0.0.5/24"
}

// AssetStore keeps discovered assets, unique per (site, IP), and their
// events. Reads and actions are scoped like devices; the merge path
// (BySiteIPs, BySite, Upsert, AppendEvents, DeviceAddresses) is a system
// path: the scan it serves was authorised when it started.
type AssetStore interface {
	Get(ctx context.Context, s domain.Scope, id string) (*domain.Asset, error)
	List(ctx context.Context, s domain.Scope, f AssetFilter, page domain.PageRequest) (domain.Page[*domain.Asset], error)
	// SetState changes an asset's state (an action), bumping Version.
	SetState(ctx context.Context, s domain.Scope, id string, state domain.AssetState) (*domain.Asset, error)
	// Link sets an asset's state and device (track: its network device;
	// untrack: "" and candidate), bumping Version.
	Link(ctx context.Context, s domain.Scope, id string, state domain.AssetState, deviceID string) (*domain.Asset, error)

	// BySiteIPs returns the site's assets among ips (any order).
	BySiteIPs(ctx context.Context, siteID string, ips []string) ([]*domain.Asset, error)
	// BySite returns every asset of the site.
	BySite(ctx context.Context, siteID string) ([]*domain.Asset, error)
	// Upsert writes assets by (SiteID, IP): a new one is inserted (ID
	// filled when empty, Version 1), an existing one has every field but
	// its id, owner and CreatedAt overwritten and Version bumped. Each
	// asset's ID, Version and stamps are set to what was stored.
	Upsert(ctx context.Context, assets []*domain.Asset) error

	// AppendEvents stores events (IDs filled when empty).
	AppendEvents(ctx context.Context, events []*domain.AssetEvent) error
	// ListEvents lists an asset's events, newest first (the app has checked
	// the caller reads the asset).
	ListEvents(ctx context.Context, assetID string, page domain.PageRequest) (domain.Page[*domain.AssetEvent], error)

	// DeviceAddresses lists the MACs and addresses the org's devices
	// reported in their inventory.
	DeviceAddresses(ctx context.Context, orgID string) ([]DeviceAddress, error)
}
