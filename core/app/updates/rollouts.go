package updates

import (
	"context"
	"errors"
	"fmt"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// RolloutInput creates a rollout.
type RolloutInput struct {
	ScopeKind        string // partner, org, site, group
	ScopeID          string
	Version          string
	Stages           []int // cumulative percentages, ascending, ending at 100; empty: [100]
	PauseSeconds     int
	FailureThreshold int // percent, 0..100
	AllowDowngrade   bool
	TrialSeconds     int
}

// Limits of a rollout's shape.
const (
	maxStages       = 10
	maxPauseSeconds = 7 * 24 * 3600
	maxTrialSeconds = 3600
)

// unit resolves a rollout's target and checks the caller covers it
// (ErrNotFound otherwise, like any tenant resource).
func (s *Service) unit(ctx context.Context, sc domain.Scope, kind, id string) (partnerID, orgID, siteID string, err error) {
	st := s.d.Store
	switch kind {
	case domain.RolloutScopePartner:
		p, err := st.Partners().Get(ctx, sc, id)
		if err != nil || !sc.CoversPartner(p.ID) {
			return "", "", "", notFound("partner")
		}
		return p.ID, "", "", nil
	case domain.RolloutScopeOrg:
		o, err := st.Orgs().Get(ctx, sc, id)
		if err != nil || !sc.CoversOrg(o.PartnerID, o.ID) {
			return "", "", "", notFound("organization")
		}
		return o.PartnerID, o.ID, "", nil
	case domain.RolloutScopeSite:
		si, err := st.Sites().Get(ctx, sc, id)
		if err != nil || !sc.CoversSite(si.PartnerID, si.OrgID, si.ID) {
			return "", "", "", notFound("site")
		}
		return si.PartnerID, si.OrgID, si.ID, nil
	case domain.RolloutScopeGroup:
		g, err := st.DeviceGroups().Get(ctx, sc, id)
		if err != nil || !sc.CoversSite(g.PartnerID, g.OrgID, g.SiteID) {
			return "", "", "", notFound("device group")
		}
		return g.PartnerID, g.OrgID, g.SiteID, nil
	}
	return "", "", "", domain.Invalidf("scopeKind must be partner, org, site or group")
}

// covers reports whether sc may see and act on r.
func covers(sc domain.Scope, r *domain.Rollout) bool {
	switch {
	case r.OrgID == "":
		return sc.CoversPartner(r.PartnerID)
	case r.SiteID == "":
		return sc.CoversOrg(r.PartnerID, r.OrgID)
	}
	return sc.CoversSite(r.PartnerID, r.OrgID, r.SiteID)
}

// Create starts a rollout. Refused: a shape out of bounds, a version with
// no stored build, a downgrade of any agent in scope unless
// AllowDowngrade (ErrInvalid), another running rollout of the same scope
// (ErrConflict), a scope the caller does not cover (ErrNotFound).
func (s *Service) Create(ctx context.Context, sc domain.Scope, actor string, in RolloutInput) (*domain.Rollout, error) {
	if len(in.Stages) == 0 {
		in.Stages = []int{100}
	}
	if len(in.Stages) > maxStages {
		return nil, domain.Invalidf("at most %d stages", maxStages)
	}
	prev := 0
	for _, p := range in.Stages {
		if p <= prev || p > 100 {
			return nil, domain.Invalidf("stages are ascending percentages between 1 and 100 (e.g. 1, 10, 100)")
		}
		prev = p
	}
	if prev != 100 {
		return nil, domain.Invalidf("the last stage must be 100 %%")
	}
	if in.PauseSeconds < 0 || in.PauseSeconds > maxPauseSeconds || in.TrialSeconds < 0 || in.TrialSeconds > maxTrialSeconds {
		return nil, domain.Invalidf("pauseSeconds must be 0..%d and trialSeconds 0..%d", maxPauseSeconds, maxTrialSeconds)
	}
	if in.FailureThreshold < 0 || in.FailureThreshold > 100 {
		return nil, domain.Invalidf("failureThreshold is a percentage (0..100)")
	}
	if !versionRE.MatchString(in.Version) {
		return nil, domain.Invalidf("version %q is not a release version", protocol.Abbrev(in.Version, 40))
	}
	partnerID, orgID, siteID, err := s.unit(ctx, sc, in.ScopeKind, in.ScopeID)
	if err != nil {
		return nil, err
	}
	rels, err := s.d.Store.Updates().ListReleases(ctx)
	if err != nil {
		return nil, err
	}
	found := false
	for _, r := range rels {
		found = found || r.Version == in.Version
	}
	if !found {
		return nil, domain.Invalidf("no build of version %s is stored: upload it first", in.Version)
	}
	r := &domain.Rollout{PartnerID: partnerID, OrgID: orgID, SiteID: siteID, ScopeKind: in.ScopeKind, ScopeID: in.ScopeID,
		Version: in.Version, Stages: in.Stages, PauseSeconds: in.PauseSeconds, FailureThreshold: in.FailureThreshold,
		AllowDowngrade: in.AllowDowngrade, TrialSeconds: in.TrialSeconds, CreatedBy: actor}
	if !in.AllowDowngrade {
		newer, err := s.countNewer(ctx, r)
		if err != nil {
			return nil, err
		}
		if newer > 0 {
			return nil, domain.Invalidf("downgrade refused: %d agent(s) in scope run a version newer than %s (set allowDowngrade to roll back)", newer, in.Version)
		}
	}
	if err := s.d.Store.Updates().CreateRollout(ctx, r); err != nil {
		if errors.Is(err, domain.ErrConflict) {
			return nil, domain.Conflictf("this %s already has a running rollout: stop it first", in.ScopeKind)
		}
		return nil, err
	}
	s.d.Logger.Info("agent rollout started", "rollout", r.ID, "version", r.Version, "scope", r.ScopeKind, "scope_id", r.ScopeID, "by", actor)
	return r, nil
}

// countNewer counts the scope's agents running a version newer than r's.
func (s *Service) countNewer(ctx context.Context, r *domain.Rollout) (int, error) {
	n := 0
	err := s.eachDevice(ctx, r, func(d *domain.Device) error {
		if c, ok := protocol.CompareVersions(d.AgentVersion, r.Version); ok && c > 0 {
			n++
		}
		return nil
	})
	return n, err
}

// eachDevice calls fn for every agent device in r's scope.
func (s *Service) eachDevice(ctx context.Context, r *domain.Rollout, fn func(*domain.Device) error) error {
	sc := domain.Scope{PartnerIDs: []string{r.PartnerID}}
	f := ports.DeviceFilter{OrgID: r.OrgID, Kind: domain.DeviceKindAgent}
	switch r.ScopeKind {
	case domain.RolloutScopeSite:
		f.SiteID = r.ScopeID
	case domain.RolloutScopeGroup:
		f.GroupID = r.ScopeID
	}
	page := domain.PageRequest{Limit: 500}
	for {
		devs, err := s.d.Store.Devices().List(ctx, sc, f, page)
		if err != nil {
			return err
		}
		for _, d := range devs.Items {
			if d.Status == domain.DeviceDecommissioned {
				continue
			}
			if err := fn(d); err != nil {
				return err
			}
		}
		if devs.NextCursor == "" {
			return nil
		}
		page.Cursor = devs.NextCursor
	}
}

// Rollouts lists the rollouts the caller covers, newest first.
func (s *Service) Rollouts(ctx context.Context, sc domain.Scope) ([]*domain.Rollout, error) {
	all, err := s.d.Store.Updates().ListRollouts(ctx)
	if err != nil {
		return nil, err
	}
	out := []*domain.Rollout{}
	for _, r := range all {
		if covers(sc, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// Rollout is one rollout the caller covers.
func (s *Service) Rollout(ctx context.Context, sc domain.Scope, id string) (*domain.Rollout, error) {
	r, err := s.d.Store.Updates().GetRollout(ctx, id)
	if err != nil || !covers(sc, r) {
		return nil, notFound("rollout")
	}
	return r, nil
}

// Devices lists a rollout's devices and their update states.
func (s *Service) Devices(ctx context.Context, sc domain.Scope, id string) ([]domain.DeviceUpdate, error) {
	if _, err := s.Rollout(ctx, sc, id); err != nil {
		return nil, err
	}
	return s.d.Store.Updates().DeviceUpdates(ctx, id)
}

// DeviceState is a device's state in its newest rollout (ErrNotFound when
// none, or the device is outside sc).
func (s *Service) DeviceState(ctx context.Context, sc domain.Scope, deviceID string) (*domain.DeviceUpdate, error) {
	if _, err := s.d.Store.Devices().Get(ctx, sc, deviceID); err != nil {
		return nil, err
	}
	return s.d.Store.Updates().LatestDeviceUpdate(ctx, deviceID)
}

// Actions on a running rollout.
const (
	ActionPause  = "pause"
	ActionResume = "resume"
	ActionStop   = "stop"
)

// Act pauses, resumes or stops a rollout. A stopped or completed rollout
// takes no action (ErrConflict).
func (s *Service) Act(ctx context.Context, sc domain.Scope, actor, id, action string) (*domain.Rollout, error) {
	for attempt := 0; attempt < 5; attempt++ {
		r, err := s.Rollout(ctx, sc, id)
		if err != nil {
			return nil, err
		}
		if r.Terminal() {
			return nil, domain.Conflictf("the rollout is %s", r.State)
		}
		switch action {
		case ActionPause:
			r.State = domain.RolloutPaused
		case ActionResume:
			r.State = domain.RolloutActive
		case ActionStop:
			r.State, r.Reason = domain.RolloutStopped, "stopped by "+actor
		default:
			return nil, domain.Invalidf("unknown action %q", protocol.Abbrev(action, 20))
		}
		ok, err := s.d.Store.Updates().UpdateRollout(ctx, r)
		if err != nil {
			return nil, err
		}
		if ok {
			s.d.Logger.Info("agent rollout "+action, "rollout", r.ID, "by", actor)
			return r, nil
		}
	}
	return nil, fmt.Errorf("updates: rollout %s keeps changing; try again", id)
}
