package schedules

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Scans starts discovery scans for schedules of task kind discovery (the
// discovery capability implements it; nil refuses that kind).
type Scans interface {
	// ProfileSite is the org and site of a discovery profile p may scan
	// with (discovery:manage over it); otherwise ErrNotFound.
	ProfileSite(ctx context.Context, p *domain.Principal, profileID string) (orgID, siteID string, err error)
	// StartScan starts the profile's scan as p with the id scanID, chosen
	// at the fire's claim: a resumed fire gets the scan the first attempt
	// started instead of a second one.
	StartScan(ctx context.Context, p *domain.Principal, profileID, scanID string) error
}

// discoveryTask is a discovery schedule's payload.
type discoveryTask struct {
	ProfileID string `json:"profileId"`
}

func decodeDiscovery(raw json.RawMessage) (discoveryTask, error) {
	var t discoveryTask
	if err := json.Unmarshal(raw, &t); err != nil || t.ProfileID == "" {
		return t, domain.Invalidf("a discovery task names its profile: {\"profileId\": ...}")
	}
	return t, nil
}

// validateDiscovery checks a discovery schedule: an org's own, on a profile
// of that org the caller may scan with; the target is the profile's site.
func (s *Service) validateDiscovery(ctx context.Context, p *domain.Principal, sc *domain.Schedule) error {
	if s.d.Scans == nil {
		return domain.Invalidf("discovery schedules are not available on this server")
	}
	if sc.ScriptID != "" || len(sc.Params) > 0 && string(sc.Params) != "{}" || sc.Action != "" {
		return domain.Invalidf("a discovery task has only payload.profileId")
	}
	if sc.OrgID == "" {
		return domain.Invalidf("a discovery schedule belongs to the profile's organization (orgId)")
	}
	t, err := decodeDiscovery(sc.Payload)
	if err != nil {
		return err
	}
	orgID, siteID, err := s.d.Scans.ProfileSite(ctx, p, t.ProfileID)
	if err != nil {
		return err
	}
	if orgID != sc.OrgID {
		return domain.NotFoundf("discovery profile not found")
	}
	raw, _ := json.Marshal(t)
	sc.Payload, sc.Params = raw, json.RawMessage("{}")
	sc.TargetKind, sc.TargetIDs, sc.Offline = domain.TargetSite, []string{siteID}, domain.OfflineSkip
	return nil
}

// runDiscovery starts a discovery fire's scan as the schedule's creator.
func (s *Service) runDiscovery(ctx context.Context, p *domain.Principal, sc *domain.Schedule, f *domain.ScheduleFire) (domain.FireStatus, string) {
	if s.d.Scans == nil {
		return domain.FireFailed, "discovery is not available on this server"
	}
	t, err := decodeDiscovery(sc.Payload)
	if err != nil {
		return domain.FireFailed, err.Error()
	}
	err = s.d.Scans.StartScan(ctx, p, t.ProfileID, f.ScanID)
	if err != nil {
		f.ScanID = "" // none was started
	}
	if errors.Is(err, domain.ErrNotFound) {
		return domain.FireFailed, "the discovery profile was deleted, or the schedule's owner may no longer scan with it"
	}
	if err != nil {
		return domain.FireFailed, "the scan was refused: " + explain(err)
	}
	return domain.FireFired, ""
}
