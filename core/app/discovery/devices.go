package discovery

import (
	"context"
	"net/netip"
	"strings"
	"time"
)

// devIndex is what the org's enrolled devices reported of their network
// interfaces: MACs (org-wide) and addresses (per site: private ranges
// repeat across sites).
type devIndex struct {
	byMAC map[string]string // mac → device id
	byIP  map[string]string // site id|ip → device id
}

type devIndexEntry struct {
	idx *devIndex
	at  time.Time
}

// deviceIndex returns the org's device index, cached for DeviceCacheTTL
// (a page merge must not re-read every inventory).
func (s *Service) deviceIndex(ctx context.Context, orgID string) (*devIndex, error) {
	now := s.d.Clock.Now()
	s.devMu.Lock()
	e, ok := s.devCache[orgID]
	s.devMu.Unlock()
	if ok && now.Sub(e.at) < s.d.DeviceCacheTTL && !now.Before(e.at) {
		return e.idx, nil
	}
	rows, err := s.d.Store.DiscoveryAssets().DeviceAddresses(ctx, orgID)
	if err != nil {
		return nil, err
	}
	idx := &devIndex{byMAC: map[string]string{}, byIP: map[string]string{}}
	for _, r := range rows {
		if mac := normMAC(r.MAC); mac != "" {
			idx.byMAC[mac] = r.DeviceID
		}
		addr, _, _ := strings.Cut(r.Address, "/")
		if a, err := netip.ParseAddr(addr); err == nil && !a.IsLoopback() && !a.IsLinkLocalUnicast() {
			idx.byIP[r.SiteID+"|"+a.Unmap().String()] = r.DeviceID
		}
	}
	s.devMu.Lock()
	if len(s.devCache) > 10_000 {
		clear(s.devCache)
	}
	s.devCache[orgID] = devIndexEntry{idx: idx, at: now}
	s.devMu.Unlock()
	return idx, nil
}
