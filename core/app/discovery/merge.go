package discovery

import (
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Bounds on what one asset keeps of untrusted scanner text.
const (
	maxHostnames  = 16
	maxHostLen    = 255
	maxAttrs      = 64
	maxAttrKey    = 128
	maxAttrValue  = 64 << 10
	maxSeenByJobs = 10
	maxProfiles   = 32
	maxObsPerPage = 4096
)

// Merge folds one page of observations into the org's assets (upsert by
// (site, ip)), emitting new-host, back, ports-changed and managed events;
// the same page delivered twice changes nothing more. Observations of one
// IP in one scan are unions: MAC (the latest non-empty), hostnames,
// attributes and open ports.
func (s *Service) Merge(ctx context.Context, ref domain.ScanRef, obs []domain.AssetObservation) error {
	if len(obs) == 0 {
		return nil
	}
	if !domain.ValidID(ref.PartnerID) || !domain.ValidID(ref.OrgID) || !domain.ValidID(ref.SiteID) || ref.JobID == "" {
		return domain.Invalidf("merge: the scan names no valid job, partner, org and site")
	}
	if len(obs) > maxObsPerPage {
		return domain.Invalidf("merge: at most %d observations per page", maxObsPerPage)
	}
	at := ref.At
	if at.IsZero() {
		at = s.d.Clock.Now()
	}
	at = at.UTC()
	byIP := map[string][]domain.AssetObservation{}
	var order []string
	for _, o := range obs {
		ip, ok := normIP(o.IP)
		if !ok {
			s.d.Logger.Warn("discovery: observation with a malformed IP skipped", "job", ref.JobID, "ip", domain.Abbrev(o.IP, 64))
			continue
		}
		if !o.Alive && len(o.OpenPorts) == 0 && o.Hostname == "" && o.MAC == "" && len(o.Attributes) == 0 {
			continue
		}
		if _, seen := byIP[ip]; !seen {
			order = append(order, ip)
		}
		byIP[ip] = append(byIP[ip], o)
	}
	if len(order) == 0 {
		return nil
	}
	unlock := s.siteLock(ref.SiteID)
	defer unlock()
	current, err := s.d.Store.DiscoveryAssets().BySiteIPs(ctx, ref.SiteID, order)
	if err != nil {
		return err
	}
	have := make(map[string]*domain.Asset, len(current))
	for _, a := range current {
		have[a.IP] = a
	}
	idx, err := s.deviceIndex(ctx, ref.OrgID)
	if err != nil {
		return err
	}
	assets := make([]*domain.Asset, 0, len(order))
	var events []pendingEvent
	for _, ip := range order {
		a, existed := have[ip]
		if !existed {
			a = &domain.Asset{PartnerID: ref.PartnerID, OrgID: ref.OrgID, SiteID: ref.SiteID, IP: ip,
				State: domain.AssetCandidate, FirstSeen: at, FirstJobID: ref.JobID}
		}
		evs := s.fold(a, existed, ref, at, byIP[ip], idx)
		assets = append(assets, a)
		for _, e := range evs {
			events = append(events, pendingEvent{asset: a, ev: e})
		}
	}
	return s.save(ctx, ref, assets, events)
}

type pendingEvent struct {
	asset *domain.Asset
	ev    domain.AssetEvent
}

// fold applies one IP's observations to a and returns its events.
func (s *Service) fold(a *domain.Asset, existed bool, ref domain.ScanRef, at time.Time, obs []domain.AssetObservation, idx *devIndex) []domain.AssetEvent {
	var evs []domain.AssetEvent
	ev := func(kind domain.AssetEventKind, detail string) {
		evs = append(evs, domain.AssetEvent{Kind: kind, IP: a.IP, JobID: ref.JobID, Detail: detail, At: at})
	}
	if !existed {
		ev(domain.AssetEventNew, "")
	}
	if a.Gone {
		a.Gone = false
		ev(domain.AssetEventBack, "")
	}
	if at.After(a.LastSeen) {
		a.LastSeen = at
	}
	a.LastJobID = ref.JobID
	if !slices.Contains(a.SeenByJobs, ref.JobID) {
		a.SeenByJobs = append(a.SeenByJobs, ref.JobID)
		if len(a.SeenByJobs) > maxSeenByJobs {
			a.SeenByJobs = slices.Clone(a.SeenByJobs[len(a.SeenByJobs)-maxSeenByJobs:])
		}
	}
	if ref.ProfileID != "" && !slices.Contains(a.ProfileIDs, ref.ProfileID) && len(a.ProfileIDs) < maxProfiles {
		a.ProfileIDs = append(a.ProfileIDs, ref.ProfileID)
	}
	var scanned []int
	probed := false
	for _, o := range obs {
		if mac := normMAC(o.MAC); mac != "" {
			a.MAC = mac
		}
		if h := cleanText(strings.TrimSpace(o.Hostname), maxHostLen); h != "" && !slices.Contains(a.Hostnames, h) && len(a.Hostnames) < maxHostnames {
			a.Hostnames = append(a.Hostnames, h)
		}
		for k, v := range o.Attributes {
			k = cleanText(k, maxAttrKey)
			if k == "" {
				continue
			}
			if _, ok := a.Attributes[k]; !ok && len(a.Attributes) >= maxAttrs {
				continue
			}
			if a.Attributes == nil {
				a.Attributes = map[string]string{}
			}
			a.Attributes[k] = cleanText(v, maxAttrValue)
		}
		if o.Method == domain.MethodTCP || len(o.OpenPorts) > 0 {
			probed = true
			for _, p := range o.OpenPorts {
				if p >= 1 && p <= 65535 {
					scanned = append(scanned, p)
				}
			}
		}
	}
	if probed {
		s.foldPorts(a, ref, scanned, ev)
	}
	if a.MAC != "" {
		a.Vendor = s.oui.Vendor(a.MAC)
	}
	s.match(a, idx, ev)
	return evs
}

// foldPorts sets the asset's open ports from a scan that probed them: the
// first probe of a scan replaces the previous scan's set (kept as
// PrevPorts); later ones in the same scan add to it. ports_changed is
// emitted once per scan, when the set first differs from the previous
// scan's (never for a host this scan found first: "new" says it).
func (s *Service) foldPorts(a *domain.Asset, ref domain.ScanRef, scanned []int, ev func(domain.AssetEventKind, string)) {
	before := portNumbers(a.OpenPorts)
	differed := true
	if a.PortsJobID != ref.JobID {
		a.PrevPorts, a.PortsJobID = before, ref.JobID
		before, differed = nil, false
	} else {
		differed = !slices.Equal(before, a.PrevPorts)
	}
	set := append(before, scanned...)
	slices.Sort(set)
	set = slices.Compact(set)
	a.OpenPorts = make([]domain.AssetPort, len(set))
	for i, p := range set {
		a.OpenPorts[i] = domain.AssetPort{Port: p, Service: ServiceGuess(p)}
	}
	if !differed && !slices.Equal(set, a.PrevPorts) && a.FirstJobID != ref.JobID {
		ev(domain.AssetEventPortsChanged, portList(a.PrevPorts)+" -> "+portList(set))
	}
}

// match links the asset to the enrolled device with its MAC (in the org)
// or its IP (in its site): a candidate becomes managed; a managed asset
// whose device no longer matches becomes a candidate again. Tracked and
// ignored assets keep their state (the user chose it) but learn the device.
func (s *Service) match(a *domain.Asset, idx *devIndex, ev func(domain.AssetEventKind, string)) {
	if a.State == domain.AssetTracked && a.DeviceID != "" {
		return // linked to its network device until untracked
	}
	dev := ""
	if a.MAC != "" {
		dev = idx.byMAC[a.MAC]
	}
	if dev == "" {
		dev = idx.byIP[a.SiteID+"|"+a.IP]
	}
	switch {
	case dev != "" && a.State == domain.AssetCandidate:
		a.State = domain.AssetManaged
		ev(domain.AssetEventManaged, "device "+dev)
	case dev == "" && a.State == domain.AssetManaged:
		a.State = domain.AssetCandidate
	}
	a.DeviceID = dev
}

// save writes the assets and their events in one transaction, then
// publishes the scan events on the bus.
func (s *Service) save(ctx context.Context, ref domain.ScanRef, assets []*domain.Asset, pending []pendingEvent) error {
	var events []*domain.AssetEvent
	err := s.d.Store.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		if err := tx.DiscoveryAssets().Upsert(ctx, assets); err != nil {
			return err
		}
		events = make([]*domain.AssetEvent, len(pending))
		for i, p := range pending {
			e := p.ev
			e.AssetID, e.PartnerID, e.OrgID, e.SiteID = p.asset.ID, p.asset.PartnerID, p.asset.OrgID, p.asset.SiteID
			events[i] = &e
		}
		return tx.DiscoveryAssets().AppendEvents(ctx, events)
	})
	if err != nil {
		return err
	}
	s.publish(ctx, events)
	s.tellAlerts(ctx, ref, pending)
	return nil
}

// maxAlertEvents bounds the asset events one page or scan end hands to
// the alerting (a first scan of a /16 makes thousands of "new").
const maxAlertEvents = 256

// tellAlerts hands the scan events to the alerting (asset_new, asset_gone):
// each belongs to the asset's own device when it has one, else to the
// scanner that saw (or missed) the host. It never blocks. One alert stands
// per (rule, device), so only the first new, gone or ports_changed of a
// device in a batch can open one; every back is kept (it clears the alert
// naming that host).
func (s *Service) tellAlerts(ctx context.Context, ref domain.ScanRef, pending []pendingEvent) {
	if s.d.Alerts == nil {
		return
	}
	var out []domain.AssetAlert
	first := map[string]bool{}
	for _, p := range pending {
		switch p.ev.Kind {
		case domain.AssetEventNew, domain.AssetEventGone, domain.AssetEventBack, domain.AssetEventPortsChanged:
		default:
			continue
		}
		if len(out) == maxAlertEvents {
			break
		}
		a := p.asset
		dev := a.DeviceID
		if dev == "" {
			dev = ref.ScannerDeviceID
		}
		if dev == "" {
			continue // nobody to hold the alert (a merge outside a scan)
		}
		// (per state too: a rule may hear tracked hosts only)
		if k := string(p.ev.Kind) + "|" + dev + "|" + string(a.State); p.ev.Kind != domain.AssetEventBack {
			if first[k] {
				continue
			}
			first[k] = true
		}
		host := ""
		if len(a.Hostnames) > 0 {
			host = a.Hostnames[0]
		}
		out = append(out, domain.AssetAlert{Kind: p.ev.Kind, DeviceID: dev, AssetID: a.ID, SiteID: a.SiteID, IP: a.IP,
			MAC: a.MAC, Vendor: a.Vendor, Hostname: host, State: a.State, At: p.ev.At})
	}
	if len(out) > 0 {
		s.d.Alerts.AssetEvents(ctx, out)
	}
}

// BusEvent is the payload of an asset event on Topic.
type BusEvent struct {
	OrgID   string                `json:"orgId"`
	SiteID  string                `json:"siteId"`
	AssetID string                `json:"assetId"`
	Kind    domain.AssetEventKind `json:"kind"`
	IP      string                `json:"ip"`
}

// publish sends the scan events (new, gone, ports_changed, back) on the
// bus; a lost publish is logged, never fails the merge (they are stored).
func (s *Service) publish(ctx context.Context, events []*domain.AssetEvent) {
	if s.d.Bus == nil {
		return
	}
	for _, e := range events {
		switch e.Kind {
		case domain.AssetEventNew, domain.AssetEventGone, domain.AssetEventPortsChanged, domain.AssetEventBack:
		default:
			continue
		}
		raw, err := json.Marshal(BusEvent{OrgID: e.OrgID, SiteID: e.SiteID, AssetID: e.AssetID, Kind: e.Kind, IP: e.IP})
		if err == nil {
			err = s.d.Bus.Publish(ctx, Topic, raw)
		}
		if err != nil {
			s.d.Logger.Warn("discovery: asset event not published", "kind", string(e.Kind), "asset", e.AssetID, "error", err)
		}
	}
}

// Finish closes a scan. complete=true marks the assets of ref's site inside
// targets that the scan did not see as gone (event gone), and, when the
// profile probes TCP, clears the open ports of assets the scan saw but
// found no open port on (event ports_changed). complete=false (failed,
// cancelled, timed out, partial) changes nothing.
func (s *Service) Finish(ctx context.Context, ref domain.ScanRef, targets []string, complete bool) error {
	if !complete {
		return nil
	}
	if !domain.ValidID(ref.SiteID) || ref.JobID == "" {
		return domain.Invalidf("finish: the scan names no valid site and job")
	}
	spans, err := spansOf(targets)
	if err != nil {
		return err
	}
	probesTCP := false
	if ref.ProfileID != "" {
		if prof, err := s.d.Store.DiscoveryProfiles().Get(ctx, domain.GlobalScope(), ref.ProfileID); err == nil {
			probesTCP = slices.Contains(prof.Methods, domain.MethodTCP)
		}
	}
	at := ref.At
	if at.IsZero() {
		at = s.d.Clock.Now()
	}
	at = at.UTC()
	unlock := s.siteLock(ref.SiteID)
	defer unlock()
	all, err := s.d.Store.DiscoveryAssets().BySite(ctx, ref.SiteID)
	if err != nil {
		return err
	}
	var changed []*domain.Asset
	var events []pendingEvent
	for _, a := range all {
		if !inSpans(a.IP, spans) {
			continue
		}
		switch {
		case a.LastJobID != ref.JobID && !a.Gone:
			a.Gone = true
			changed = append(changed, a)
			events = append(events, pendingEvent{a, domain.AssetEvent{Kind: domain.AssetEventGone, IP: a.IP, JobID: ref.JobID, At: at}})
		case a.LastJobID == ref.JobID && probesTCP && a.PortsJobID != ref.JobID && len(a.OpenPorts) > 0:
			prev := portNumbers(a.OpenPorts)
			a.PrevPorts, a.OpenPorts, a.PortsJobID = prev, nil, ref.JobID
			changed = append(changed, a)
			events = append(events, pendingEvent{a, domain.AssetEvent{Kind: domain.AssetEventPortsChanged, IP: a.IP,
				JobID: ref.JobID, Detail: portList(prev) + " -> (none)", At: at}})
		}
	}
	if len(changed) == 0 {
		return nil
	}
	return s.save(ctx, ref, changed, events)
}

func portNumbers(ps []domain.AssetPort) []int {
	out := make([]int, len(ps))
	for i, p := range ps {
		out[i] = p.Port
	}
	slices.Sort(out)
	return out
}

func portList(ps []int) string {
	if len(ps) == 0 {
		return "(none)"
	}
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = strconv.Itoa(p)
	}
	return strings.Join(s, ",")
}

// normIP is the canonical text of an IP (IPv4-mapped IPv6 unmapped).
func normIP(s string) (string, bool) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || a.Zone() != "" {
		return "", false
	}
	return a.Unmap().String(), true
}

// normMAC is a MAC lower-case and colon-separated; "" when malformed or zero.
func normMAC(s string) string {
	hw, err := net.ParseMAC(strings.TrimSpace(s))
	if err != nil || len(hw) != 6 {
		return ""
	}
	zero := true
	for _, b := range hw {
		zero = zero && b == 0
	}
	if zero {
		return ""
	}
	return hw.String()
}

// cleanText makes untrusted text storable (valid UTF-8, no NUL) and
// bounded; everything else is kept verbatim (the dashboard shows it as text).
func cleanText(s string, n int) string {
	if !validText(s) {
		s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	}
	c, _ := domain.ClipUTF8(s, n)
	return c
}
