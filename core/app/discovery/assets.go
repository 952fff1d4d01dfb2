package discovery

import (
	"context"
	"errors"
	"time"

	"github.com/breeze-rmm/breeze/core/app/agents"
	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// DeployKeyTTL is how long a deploy action's enrollment key lives.
const DeployKeyTTL = 24 * time.Hour

// ListAssets lists the assets the caller may read.
func (s *Service) ListAssets(ctx context.Context, p *domain.Principal, f ports.AssetFilter, page domain.PageRequest) (domain.Page[*domain.Asset], error) {
	if f.State != "" && !f.State.Valid() {
		return domain.Page[*domain.Asset]{}, domain.Invalidf("state is candidate, managed, tracked or ignored")
	}
	if len(f.Query) > 200 {
		return domain.Page[*domain.Asset]{}, domain.Invalidf("q is at most 200 bytes")
	}
	return s.d.Store.DiscoveryAssets().List(ctx, p.ScopeFor(permRead), f, page)
}

// GetAsset returns an asset the caller may read.
func (s *Service) GetAsset(ctx context.Context, p *domain.Principal, id string) (*domain.Asset, error) {
	return s.d.Store.DiscoveryAssets().Get(ctx, p.ScopeFor(permRead), id)
}

// ListAssetEvents lists an asset's events, newest first.
func (s *Service) ListAssetEvents(ctx context.Context, p *domain.Principal, id string, page domain.PageRequest) (domain.Page[*domain.AssetEvent], error) {
	if _, err := s.d.Store.DiscoveryAssets().Get(ctx, p.ScopeFor(permRead), id); err != nil {
		return domain.Page[*domain.AssetEvent]{}, err
	}
	return s.d.Store.DiscoveryAssets().ListEvents(ctx, id, page)
}

// actOn loads an asset the caller manages and notes the audit resource.
func (s *Service) actOn(ctx context.Context, p *domain.Principal, id string) (*domain.Asset, error) {
	a, err := s.d.Store.DiscoveryAssets().Get(ctx, p.ScopeFor(permManage), id)
	if err != nil {
		return nil, err
	}
	audit.SetResource(ctx, ResourceAsset, a.ID, a.PartnerID, a.OrgID)
	return a, nil
}

// setState moves an asset to state (no-op when it is there) and records
// the action as an event.
func (s *Service) setState(ctx context.Context, p *domain.Principal, a *domain.Asset, state domain.AssetState, kind domain.AssetEventKind) (*domain.Asset, error) {
	if a.State == state {
		return a, nil
	}
	var out *domain.Asset
	err := s.d.Store.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		var err error
		if out, err = tx.DiscoveryAssets().SetState(ctx, p.ScopeFor(permManage), a.ID, state); err != nil {
			return err
		}
		return tx.DiscoveryAssets().AppendEvents(ctx, []*domain.AssetEvent{{AssetID: a.ID, PartnerID: a.PartnerID,
			OrgID: a.OrgID, SiteID: a.SiteID, Kind: kind, IP: a.IP, Detail: "by " + actor(p), At: s.d.Clock.Now()}})
	})
	if err == nil && (state == domain.AssetTracked || a.State == domain.AssetTracked) {
		s.watchListsChanged(ctx, a.SiteID)
	}
	return out, err
}

func actor(p *domain.Principal) string {
	if p.UserID != "" {
		return "user " + p.UserID
	}
	return "api key"
}

// Ignore hides an asset from the candidates.
func (s *Service) Ignore(ctx context.Context, p *domain.Principal, id string) (*domain.Asset, error) {
	a, err := s.actOn(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return s.setState(ctx, p, a, domain.AssetIgnored, domain.AssetEventIgnored)
}

// Unignore brings an ignored asset back: managed when it matched a device,
// else a candidate.
func (s *Service) Unignore(ctx context.Context, p *domain.Principal, id string) (*domain.Asset, error) {
	a, err := s.actOn(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if a.State != domain.AssetIgnored {
		return a, nil
	}
	state := domain.AssetCandidate
	if a.DeviceID != "" {
		state = domain.AssetManaged
	}
	return s.setState(ctx, p, a, state, domain.AssetEventUnignored)
}

// Track keeps an unmanaged asset as a network device (kind network, in
// the asset's site, no agent) that its site's agents watch; the asset
// links to it and becomes tracked. Tracking a tracked asset is a no-op.
func (s *Service) Track(ctx context.Context, p *domain.Principal, id string) (*domain.Asset, error) {
	a, err := s.actOn(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if a.State == domain.AssetManaged {
		return nil, domain.Invalidf("the asset is an enrolled device (%s): its agent monitors it", a.DeviceID)
	}
	if a.State == domain.AssetTracked && a.DeviceID != "" {
		return a, nil
	}
	host := a.IP
	if len(a.Hostnames) > 0 && a.Hostnames[0] != "" {
		host = a.Hostnames[0]
	}
	var out *domain.Asset
	err = s.d.Store.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		d := &domain.Device{OrgID: a.OrgID, SiteID: a.SiteID, Hostname: host, OS: "network",
			Status: domain.DevicePending, Kind: domain.DeviceKindNetwork}
		if err := tx.Devices().Create(ctx, p.ScopeFor(permManage), d); err != nil {
			return err
		}
		var err error
		if out, err = tx.DiscoveryAssets().Link(ctx, p.ScopeFor(permManage), a.ID, domain.AssetTracked, d.ID); err != nil {
			return err
		}
		return tx.DiscoveryAssets().AppendEvents(ctx, []*domain.AssetEvent{{AssetID: a.ID, PartnerID: a.PartnerID,
			OrgID: a.OrgID, SiteID: a.SiteID, Kind: domain.AssetEventTracked, IP: a.IP,
			Detail: "network device " + d.ID + " by " + actor(p), At: s.d.Clock.Now()}})
	})
	if err == nil {
		s.watchListsChanged(ctx, a.SiteID)
	}
	return out, err
}

// Untrack deletes a tracked asset's network device (its alerts go with
// it) and makes the asset a candidate again.
func (s *Service) Untrack(ctx context.Context, p *domain.Principal, id string) (*domain.Asset, error) {
	a, err := s.actOn(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if a.State != domain.AssetTracked {
		return a, nil
	}
	var out *domain.Asset
	err = s.d.Store.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		var err error
		if out, err = tx.DiscoveryAssets().Link(ctx, p.ScopeFor(permManage), a.ID, domain.AssetCandidate, ""); err != nil {
			return err
		}
		if a.DeviceID != "" {
			d, err := tx.Devices().Get(ctx, p.ScopeFor(permManage), a.DeviceID)
			if err == nil && d.IsNetwork() {
				if err := tx.Devices().Delete(ctx, p.ScopeFor(permManage), d.ID); err != nil {
					return err
				}
			} else if err != nil && !errors.Is(err, domain.ErrNotFound) {
				return err
			}
		}
		return tx.DiscoveryAssets().AppendEvents(ctx, []*domain.AssetEvent{{AssetID: a.ID, PartnerID: a.PartnerID,
			OrgID: a.OrgID, SiteID: a.SiteID, Kind: domain.AssetEventUntracked, IP: a.IP,
			Detail: "by " + actor(p), At: s.d.Clock.Now()}})
	})
	if err == nil {
		s.watchListsChanged(ctx, a.SiteID)
	}
	return out, err
}

// Deployment is what the deploy action returns: a one-use enrollment key
// bound to the asset's site, valid DeployKeyTTL, and its secret (shown
// once; the HTTP edge turns it into the install command).
type Deployment struct {
	Asset  *domain.Asset
	Key    *domain.EnrollmentKey
	Secret string
}

// Deploy mints a one-use enrollment key for the asset's site, for
// installing the agent on it. It needs discovery:manage over the asset and
// enrollment-keys:write over its site (a key plants devices there).
func (s *Service) Deploy(ctx context.Context, p *domain.Principal, id string) (*Deployment, error) {
	a, err := s.actOn(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if s.d.Keys == nil {
		return nil, domain.Invalidf("this server has no agent side to enroll devices into")
	}
	if a.State == domain.AssetManaged {
		return nil, domain.Invalidf("the asset is already an enrolled device (%s)", a.DeviceID)
	}
	if !p.HoldsAt(domain.Unit{PartnerID: a.PartnerID, OrgID: a.OrgID, SiteID: a.SiteID}, domain.PermEnrollWrite) {
		return nil, domain.Forbiddenf("deploying the agent mints an enrollment key: it needs enrollment-keys:write over the site")
	}
	k, secret, err := s.d.Keys.MintKey(ctx, p, agents.NewKey{OrgID: a.OrgID, SiteID: a.SiteID,
		Name: "Deploy to " + a.IP, ExpiresAt: s.d.Clock.Now().Add(DeployKeyTTL), MaxUses: 1})
	if err != nil {
		return nil, err
	}
	audit.SetResource(ctx, ResourceAsset, a.ID, a.PartnerID, a.OrgID)
	err = s.d.Store.DiscoveryAssets().AppendEvents(ctx, []*domain.AssetEvent{{AssetID: a.ID, PartnerID: a.PartnerID,
		OrgID: a.OrgID, SiteID: a.SiteID, Kind: domain.AssetEventDeployed, IP: a.IP,
		Detail: "enrollment key " + k.Prefix + " by " + actor(p), At: s.d.Clock.Now()}})
	if err != nil {
		s.d.Logger.Warn("discovery: deploy event not stored", "asset", a.ID, "error", err)
	}
	return &Deployment{Asset: a, Key: k, Secret: secret}, nil
}
