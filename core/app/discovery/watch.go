package discovery

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// Watching tracked hosts. A tracked asset is watched by the scanning agents
// of the profiles that found it (in its site): each watcher gets its whole
// list in a protocol.Watch frame when it links and whenever the list may
// have changed (an asset tracked, untracked, ignored), and reports every
// interval (protocol.WatchReport, agent/watch). An answer marks the host
// seen (a gone host is back); no watcher seeing it for GoneAfter marks it
// gone. Both are asset events like a scan's, so the asset_gone alert
// (trackedOnly) fires and resolves on them.

// WatchInterval is how often watchers probe (the agent clamps it too).
const WatchInterval = time.Duration(protocol.DefaultWatchIntervalSecs) * time.Second

// GoneAfter is how long a tracked host may go unseen by every watcher
// before it is gone: three rounds, so one lost report is no outage.
const GoneAfter = 3 * WatchInterval

// maxWatchPorts bounds the TCP ports a watcher tries for one host.
const maxWatchPorts = 16

// AgentSender pushes a frame to a device's live link wherever it is
// (core/app/relay.Relay); an offline device is an error the caller ignores.
type AgentSender interface {
	ToAgent(ctx context.Context, deviceID string, frame any) error
}

// watchJob names the events watching records (they belong to no scan).
const watchJob = "watch"

// WatchList is deviceID's watch list: ok=false when the device scans for
// no profile of its site (it watches nothing and is told nothing).
func (s *Service) WatchList(ctx context.Context, deviceID string) (protocol.Watch, bool, error) {
	w := protocol.Watch{Header: protocol.Header{Type: protocol.TypeWatch}, IntervalSeconds: protocol.DefaultWatchIntervalSecs,
		Hosts: []protocol.WatchHost{}}
	// One look-up for the usual device, which scans for no profile.
	profiles, err := s.d.Store.DiscoveryProfiles().ScannedBy(ctx, deviceID)
	if err != nil || len(profiles) == 0 {
		return w, false, err
	}
	mine := map[string]*domain.DiscoveryProfile{}
	for _, p := range profiles {
		mine[p.ID] = p
	}
	assets, err := s.d.Store.DiscoveryAssets().BySite(ctx, profiles[0].SiteID)
	if err != nil {
		return w, false, err
	}
	snmp := map[string]*protocol.WatchSNMP{}
	for _, a := range assets {
		if a.State != domain.AssetTracked || len(w.Hosts) == protocol.MaxWatchHosts {
			continue
		}
		var prof *domain.DiscoveryProfile
		for _, id := range a.ProfileIDs {
			if p := mine[id]; p != nil {
				prof = p
				break
			}
		}
		if prof == nil {
			continue // another scanner's host
		}
		h := protocol.WatchHost{ID: a.ID, IP: a.IP}
		for _, p := range a.OpenPorts {
			if len(h.Ports) == maxWatchPorts {
				break
			}
			h.Ports = append(h.Ports, p.Port)
		}
		if slices.Contains(prof.Methods, domain.MethodSNMP) {
			if _, done := snmp[prof.ID]; !done {
				snmp[prof.ID] = nil
				if opts, err := s.openSNMP(prof); err == nil && len(opts) > 0 {
					snmp[prof.ID] = &protocol.WatchSNMP{Secrets: opts}
				} else if err != nil {
					s.d.Logger.Warn("discovery: SNMP settings not opened for watching", "profile_id", prof.ID, "error", err)
				}
			}
			h.SNMP = snmp[prof.ID]
		}
		w.Hosts = append(w.Hosts, h)
	}
	return w, true, nil
}

func (s *Service) siteProfiles(ctx context.Context, siteID string) ([]*domain.DiscoveryProfile, error) {
	var out []*domain.DiscoveryProfile
	page := domain.PageRequest{Limit: domain.MaxPageSize}
	for {
		pg, err := s.d.Store.DiscoveryProfiles().List(ctx, domain.GlobalScope(), ports.DiscoveryProfileFilter{SiteID: siteID}, page)
		if err != nil {
			return nil, err
		}
		out = append(out, pg.Items...)
		if pg.NextCursor == "" {
			return out, nil
		}
		page.Cursor = pg.NextCursor
	}
}

// SendWatchList tells deviceID its list (on link up): a device that
// watches nothing is told nothing.
func (s *Service) SendWatchList(ctx context.Context, deviceID string) {
	if s.d.Agents == nil {
		return
	}
	w, ok, err := s.WatchList(ctx, deviceID)
	if err != nil {
		s.d.Logger.Warn("discovery: watch list not built", "device_id", deviceID, "error", err)
		return
	}
	if !ok {
		return
	}
	if err := s.d.Agents.ToAgent(ctx, deviceID, w); err != nil {
		s.d.Logger.Debug("discovery: watch list not sent", "device_id", deviceID, "error", err)
	}
}

// watchListsChanged tells siteID's watchers their lists now, not at their
// next link (an asset was tracked, untracked or ignored).
func (s *Service) watchListsChanged(ctx context.Context, siteID string) {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	s.pushWatchLists(pctx, siteID)
}

// pushWatchLists re-sends the lists of the scanners of siteID's profiles
// after a change (a scanner that no longer watches anything gets an empty
// list).
func (s *Service) pushWatchLists(ctx context.Context, siteID string) {
	if s.d.Agents == nil {
		return
	}
	profiles, err := s.siteProfiles(ctx, siteID)
	if err != nil {
		s.d.Logger.Warn("discovery: watch lists not pushed", "site_id", siteID, "error", err)
		return
	}
	seen := map[string]bool{}
	for _, p := range profiles {
		for _, id := range p.ScannerDeviceIDs {
			if !seen[id] {
				seen[id] = true
				s.SendWatchList(ctx, id)
			}
		}
	}
}

// WatchReport takes a watcher's report (remote.FrameHandler for
// protocol.TypeWatchReport). Results for hosts not on the watcher's list
// are ignored.
func (s *Service) WatchReport(ctx context.Context, deviceID, _ string, raw []byte) error {
	var rep protocol.WatchReport
	if err := json.Unmarshal(raw, &rep); err != nil {
		return domain.Invalidf("malformed watch report: %s", domain.Abbrev(err.Error(), 200))
	}
	if len(rep.Results) > 2*protocol.MaxWatchHosts {
		return domain.Invalidf("a watch report holds at most %d results", 2*protocol.MaxWatchHosts)
	}
	list, ok, err := s.WatchList(ctx, deviceID)
	if err != nil || !ok {
		return err
	}
	watched := map[string]bool{}
	for _, h := range list.Hosts {
		watched[h.ID] = true
	}
	up, down := map[string]bool{}, map[string]bool{}
	for _, r := range rep.Results {
		switch {
		case !watched[r.ID] || r.Err != "":
		case r.Up:
			up[r.ID] = true
		default:
			down[r.ID] = true
		}
	}
	if len(up)+len(down) == 0 {
		return nil
	}
	dev, err := s.d.Store.Devices().Get(ctx, domain.GlobalScope(), deviceID)
	if err != nil {
		return err
	}
	return s.applyWatch(ctx, dev, up, down)
}

// applyWatch records what a watcher saw: up hosts are seen now (a gone one
// is back); a down host unseen for GoneAfter is gone.
func (s *Service) applyWatch(ctx context.Context, dev *domain.Device, up, down map[string]bool) error {
	now := s.d.Clock.Now().UTC()
	unlock := s.siteLock(dev.SiteID)
	defer unlock()
	all, err := s.d.Store.DiscoveryAssets().BySite(ctx, dev.SiteID)
	if err != nil {
		return err
	}
	var changed []*domain.Asset
	var events []pendingEvent
	for _, a := range all {
		switch {
		case up[a.ID]:
			if a.Gone {
				a.Gone = false
				events = append(events, pendingEvent{a, domain.AssetEvent{Kind: domain.AssetEventBack, IP: a.IP, JobID: watchJob,
					Detail: "seen by " + dev.Hostname, At: now}})
			} else if now.Sub(a.LastSeen) < WatchInterval/2 {
				continue // seen moments ago (another watcher): spare the write
			}
			a.LastSeen = now
			changed = append(changed, a)
		case down[a.ID] && !a.Gone && now.Sub(a.LastSeen) >= GoneAfter:
			a.Gone = true
			changed = append(changed, a)
			events = append(events, pendingEvent{a, domain.AssetEvent{Kind: domain.AssetEventGone, IP: a.IP, JobID: watchJob,
				Detail: fmt.Sprintf("no answer to %s for %s", dev.Hostname, GoneAfter), At: now}})
		}
	}
	if len(changed) == 0 {
		return nil
	}
	ref := domain.ScanRef{JobID: watchJob, PartnerID: dev.PartnerID, OrgID: dev.OrgID, SiteID: dev.SiteID, At: now,
		ScannerDeviceID: dev.ID}
	if err := s.save(ctx, ref, changed, events); err != nil {
		return err
	}
	return s.markNetworkDevices(ctx, changed, now)
}

// markNetworkDevices sets the presence of the tracked assets' network
// devices from what their watchers saw: online while seen, offline once
// gone (the presence sweeps leave network devices to their watchers).
func (s *Service) markNetworkDevices(ctx context.Context, assets []*domain.Asset, now time.Time) error {
	var updates []domain.PresenceUpdate
	for _, a := range assets {
		if a.DeviceID == "" || a.State != domain.AssetTracked {
			continue
		}
		if a.Gone {
			updates = append(updates, domain.PresenceUpdate{DeviceID: a.DeviceID, Status: domain.DeviceOffline,
				IfStatus: []domain.DeviceStatus{domain.DeviceOnline, domain.DevicePending}})
		} else {
			updates = append(updates, domain.PresenceUpdate{DeviceID: a.DeviceID, Status: domain.DeviceOnline, LastSeenAt: now,
				IfStatus: []domain.DeviceStatus{domain.DeviceOnline, domain.DeviceOffline, domain.DevicePending}})
		}
	}
	if len(updates) == 0 {
		return nil
	}
	if err := s.d.Store.Presence().Mark(ctx, updates); err != nil {
		return fmt.Errorf("network devices' presence: %w", err)
	}
	return nil
}
