// Package discovery is network discovery's profile and asset half: scan
// profiles per site (targets.go: CIDRs, ranges, hosts, exclusions and the
// size limit; profiles.go: validation, sealed SNMP credentials), the
// per-org allowed ranges (settings.go), the plan a scan runs (plan.go),
// the merge of scan pages into assets with their events (merge.go, oui.go
// for the MAC vendor), and the actions on an asset (assets.go). Running
// scans is the scans subpackage's; it reaches this one only through the
// Plan, Merge and Finish methods. See docs/discovery.md.
package discovery

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/core/app/agents"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Resource is the audit resource type of profiles; assets are ResourceAsset.
const (
	Resource      = "discovery_profile"
	ResourceAsset = "discovery_asset"
	// ResourceSettings is the audit resource type of an org's settings.
	ResourceSettings = "discovery_settings"
)

// Topic is the bus topic of asset events.
const Topic = "discovery.asset"

// Permissions.
const (
	permRead   = domain.PermDiscoveryRead
	permManage = domain.PermDiscoveryManage
)

// Sealer seals secrets at rest (the commands' sealer).
type Sealer interface {
	Seal(plaintext, aad []byte) (string, error)
	Open(sealed string, aad []byte) ([]byte, error)
}

// KeyMinter mints enrollment keys (the agents service).
type KeyMinter interface {
	MintKey(ctx context.Context, p *domain.Principal, in agents.NewKey) (*domain.EnrollmentKey, string, error)
}

// Deps are the service's collaborators.
type Deps struct {
	Store ports.Store
	// Keys mints the deploy action's enrollment keys; nil: deploy answers
	// ErrInvalid (no agent side on this server).
	Keys KeyMinter
	// Sealer seals SNMP credentials; nil: a profile with SNMP secrets is
	// refused (they are never stored in clear).
	Sealer Sealer
	// Bus carries asset events (Topic); nil: they are only stored.
	Bus ports.Bus
	// Alerts hears the scan events for the asset_new and asset_gone alert
	// conditions (alerts.Intake); nil: none.
	Alerts AssetObserver
	// Agents sends watch lists to the watching agents (relay); nil: tracked
	// hosts are not watched between scans.
	Agents AgentSender
	Clock  ports.Clock
	Logger ports.Logger
	// OUIPath is the IEEE OUI CSV (DefaultOUIPath); a missing file leaves
	// vendors empty.
	OUIPath string
	// DeviceCacheTTL bounds how stale the org's device addresses may be
	// when matching assets (DefaultDeviceCacheTTL).
	DeviceCacheTTL time.Duration
}

// AssetObserver takes asset events for the alerting without blocking
// (*alerts.Intake implements it).
type AssetObserver interface {
	AssetEvents(ctx context.Context, events []domain.AssetAlert)
}

// DefaultDeviceCacheTTL is how long Merge reuses an org's device addresses.
const DefaultDeviceCacheTTL = 30 * time.Second

// Service implements the discovery profile and asset use cases.
type Service struct {
	d     Deps
	oui   *ouiTable
	sites sync.Map // site id → *sync.Mutex: one merge per site at a time

	devMu    sync.Mutex
	devCache map[string]devIndexEntry
}

// New checks deps and fills defaults.
func New(d Deps) (*Service, error) {
	if d.Store == nil {
		return nil, errors.New("discovery: Store is required")
	}
	if d.Clock == nil {
		d.Clock = ports.ClockFunc(time.Now)
	}
	if d.Logger == nil {
		d.Logger = ports.NopLogger{}
	}
	if d.OUIPath == "" {
		d.OUIPath = DefaultOUIPath
	}
	if d.DeviceCacheTTL <= 0 {
		d.DeviceCacheTTL = DefaultDeviceCacheTTL
	}
	return &Service{d: d, oui: newOUITable(d.OUIPath, d.Logger), devCache: map[string]devIndexEntry{}}, nil
}

func (s *Service) siteLock(siteID string) func() {
	m, _ := s.sites.LoadOrStore(siteID, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}
