package discovery

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Plan checks p holds discovery:manage over the profile (404 if out of
// scope) and resolves it for a scan: the disjoint CIDR cover of its
// targets minus exclusions (against the org's allowed ranges as they are
// now), its methods and limits, and its SNMP options with the secrets
// opened.
func (s *Service) Plan(ctx context.Context, p *domain.Principal, profileID string) (*domain.ScanPlan, error) {
	prof, err := s.d.Store.DiscoveryProfiles().Get(ctx, p.ScopeFor(permManage), profileID)
	if err != nil {
		return nil, err
	}
	settings, err := s.d.Store.DiscoverySettings().Get(ctx, domain.GlobalScope(), prof.OrgID)
	if err != nil {
		return nil, err
	}
	res, err := Resolve(prof.Targets, prof.Exclusions, settings.AllowedRanges)
	if err != nil {
		return nil, err
	}
	// The credentials leave the store only for a scan that uses them.
	var snmp map[string]string
	if slices.Contains(prof.Methods, domain.MethodSNMP) {
		if snmp, err = s.openSNMP(prof); err != nil {
			return nil, err
		}
		if snmp == nil {
			return nil, domain.Invalidf("the profile's snmp method has no snmp settings")
		}
	}
	return &domain.ScanPlan{
		Ref: domain.ScanRef{PartnerID: prof.PartnerID, OrgID: prof.OrgID, SiteID: prof.SiteID, ProfileID: prof.ID,
			At: s.d.Clock.Now().UTC()},
		Targets: res.CIDRs, Addresses: res.Addresses, Methods: slices.Clone(prof.Methods), Ports: slices.Clone(prof.Ports),
		RatePerSecond: prof.RatePerSecond, Concurrency: prof.Concurrency,
		Timeout:          time.Duration(prof.TimeoutSeconds) * time.Second,
		ScannerDeviceIDs: slices.Clone(prof.ScannerDeviceIDs), Split: prof.Split, SNMP: snmp,
	}, nil
}

func validText(v string) bool { return utf8.ValidString(v) && !strings.ContainsRune(v, 0) }
