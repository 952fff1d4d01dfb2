package scans

import (
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// The page intake. An agent's link reads its frames on one goroutine, so
// a page is only checked for shape there and handed to a bounded queue;
// workers check that the page's command was sent to that device by a
// running job, merge it and count it. A page that finds the queue full is
// dropped (logged): the protocol has no flow control for pages, and
// holding the read loop would stall the agent's command results and
// heartbeats too. A dropped page leaves a gap in the command's Seq, or a
// page count short of the result's, and the job ends partial.
//
// Pages of one command stay in order: a command's pages always go to the
// same worker.

// intake is the bounded queue and its workers.
type intake struct {
	s       *Service
	shards  []chan page
	dropped atomic.Int64
}

type page struct {
	deviceID string
	frame    protocol.DiscoverPage
	at       time.Time
}

func newIntake(s *Service, queue, workers int) *intake {
	in := &intake{s: s, shards: make([]chan page, workers)}
	for i := range in.shards {
		in.shards[i] = make(chan page, max(1, queue/workers))
	}
	return in
}

func (in *intake) run(ctx context.Context) {
	done := make(chan struct{})
	for _, ch := range in.shards {
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				select {
				case <-ctx.Done():
					return
				case p := <-ch:
					in.s.mergePage(ctx, p)
				}
			}
		}()
	}
	for range in.shards {
		<-done
	}
}

// Dropped counts the pages dropped on a full queue (metrics, tests).
func (s *Service) Dropped() int64 { return s.intake.dropped.Load() }

// FromAgent takes a discover_page frame from deviceID's link (the remote
// router's handler for protocol.TypeDiscoverPage); it never blocks. A
// malformed or oversized page is ErrInvalid (the link answers it as a bad
// frame).
func (s *Service) FromAgent(ctx context.Context, deviceID, typ string, raw []byte) error {
	if typ != protocol.TypeDiscoverPage {
		return domain.Invalidf("not a discover page: %q", domain.Abbrev(typ, 64))
	}
	var f protocol.DiscoverPage
	if err := json.Unmarshal(raw, &f); err != nil {
		return domain.Invalidf("malformed discover_page: %v", domain.Abbrev(err.Error(), 120))
	}
	if err := checkPage(&f); err != nil {
		return err
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(f.CommandID))
	ch := s.intake.shards[int(h.Sum32()%uint32(len(s.intake.shards)))]
	select {
	case ch <- page{deviceID: deviceID, frame: f, at: s.d.Clock.Now().UTC()}:
	default:
		s.intake.dropped.Add(1)
		s.d.Logger.Warn("discover page dropped: the intake is full; the scan will be partial",
			"device_id", deviceID, "command_id", f.CommandID, "seq", f.Seq)
	}
	return nil
}

// checkPage refuses a page of the wrong shape.
func checkPage(f *protocol.DiscoverPage) error {
	if !domain.ValidID(f.CommandID) || f.Seq < 1 || f.Scanned < 0 {
		return domain.Invalidf("a discover_page needs its commandId, a seq from 1 and scanned >= 0")
	}
	if len(f.Assets) > protocol.MaxDiscoverPageAssets {
		return domain.Invalidf("a discover_page carries at most %d assets, not %d", protocol.MaxDiscoverPageAssets, len(f.Assets))
	}
	for _, a := range f.Assets {
		if _, err := netip.ParseAddr(a.IP); err != nil {
			return domain.Invalidf("discover_page asset ip %q is not an address", domain.Abbrev(a.IP, 64))
		}
		if len(a.OpenPorts) > 65535 || len(a.Attributes) > 256 || len(a.Hostname) > 1024 || len(a.MAC) > 64 {
			return domain.Invalidf("discover_page asset %s is out of bounds", a.IP)
		}
	}
	return nil
}

// mergePage checks a page's origin, merges it and counts it.
func (s *Service) mergePage(ctx context.Context, p page) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	f := p.frame
	sc, err := s.d.Store.DiscoveryScans().CommandFor(ctx, p.deviceID, f.CommandID)
	if errors.Is(err, domain.ErrNotFound) {
		sc, err = s.adopt(ctx, p.deviceID, f.CommandID)
	}
	if err != nil {
		// Forged (a command of another device or tenant) or not a scan's.
		s.d.Logger.Warn("discover page ignored: its command is not a scan command of this device",
			"device_id", p.deviceID, "command_id", f.CommandID, "error", err)
		return
	}
	if f.Seq <= sc.LastSeq {
		return // a repeat
	}
	j, err := s.d.Store.DiscoveryScans().GetSystem(ctx, sc.JobID)
	if err != nil {
		s.d.Logger.Error("discover page's scan not loaded", "job_id", sc.JobID, "error", err)
		return
	}
	if j.Status != domain.ScanRunning {
		s.d.Logger.Debug("discover page ignored: its scan is not running", "job_id", j.ID, "status", j.Status)
		return
	}
	sp, _, err := s.openPlan(j)
	if err != nil {
		s.d.Logger.Error("discover page's scan plan not read", "job_id", j.ID, "error", err)
		return
	}
	obs := make([]domain.AssetObservation, 0, len(f.Assets))
	var live []string
	for _, a := range f.Assets {
		obs = append(obs, observation(sc.Plugin, a))
		if a.Alive {
			live = append(live, a.IP)
		}
	}
	mergeFailed := false
	if len(obs) > 0 {
		ref := refOf(j, p.at)
		ref.ScannerDeviceID = p.deviceID
		if err := s.d.Assets.Merge(ctx, ref, obs); err != nil {
			mergeFailed = true
			s.d.Logger.Error("discover page not merged; the scan will be partial", "job_id", j.ID, "command_id", f.CommandID,
				"seq", f.Seq, "error", err)
		}
	}
	out, err := s.d.Store.DiscoveryScans().RecordPage(ctx, domain.ScanPage{CommandID: f.CommandID, Seq: f.Seq,
		Assets: len(f.Assets), Scanned: f.Scanned, LiveIPs: live, CountScanned: sp.counts(sc.Phase, sc.Plugin)})
	if err != nil {
		s.d.Logger.Error("discover page not counted", "job_id", j.ID, "command_id", f.CommandID, "error", err)
		mergeFailed = true
	}
	if out.Gap {
		s.d.Logger.Warn("discover pages missing (seq gap); the scan is partial", "job_id", j.ID, "command_id", f.CommandID, "seq", f.Seq)
	}
	if mergeFailed {
		_, _ = s.d.Store.DiscoveryScans().Transition(ctx, j.ID, []domain.ScanStatus{domain.ScanRunning}, domain.ScanJobUpdate{Partial: true})
	}
}

// observation maps an agent's asset to the domain's.
func observation(plugin string, a protocol.DiscoverAsset) domain.AssetObservation {
	attrs := make(map[string]string, len(a.Attributes)+1)
	for k, v := range a.Attributes {
		attrs[k] = v
	}
	if a.RTTMs > 0 {
		if _, ok := attrs["rttMs"]; !ok {
			attrs["rttMs"] = formatMs(a.RTTMs)
		}
	}
	ip := a.IP
	if addr, err := netip.ParseAddr(ip); err == nil {
		ip = addr.Unmap().String()
	}
	return domain.AssetObservation{IP: ip, MAC: a.MAC, Hostname: a.Hostname, Alive: a.Alive, OpenPorts: a.OpenPorts,
		Attributes: attrs, Method: methodOf(plugin, a.Attributes)}
}

func formatMs(ms float64) string {
	raw, _ := json.Marshal(float64(int64(ms*1000)) / 1000)
	return string(raw)
}

// adopt records a scan command whose first page overtook its recording:
// the command is stored (for this device) before it is sent, the job's
// entry only after, and a fast agent may answer in between. The command
// must be a discover of a scan job, by its batch id and its idempotency
// key scan:<job>:<phase>:<plugin>; anything else is ErrNotFound.
func (s *Service) adopt(ctx context.Context, deviceID, commandID string) (*domain.ScanCommand, error) {
	c, err := s.d.Store.Commands().GetForDevice(ctx, deviceID, commandID)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(c.IdempotencyKey, ":")
	if c.Action != protocol.ActionDiscover || c.BatchID == "" || len(parts) != 4 || parts[0] != "scan" || parts[1] != c.BatchID {
		return nil, domain.NotFoundf("not a scan command")
	}
	phase := domain.ScanPhase(parts[2])
	if phase != domain.PhaseSweep && phase != domain.PhaseProbe {
		return nil, domain.NotFoundf("not a scan command")
	}
	j, err := s.d.Store.DiscoveryScans().GetSystem(ctx, c.BatchID)
	if err != nil {
		return nil, err
	}
	if j.OrgID != c.OrgID || j.SiteID != c.SiteID {
		return nil, domain.NotFoundf("not a scan command of this site")
	}
	if err := s.d.Store.DiscoveryScans().AddCommand(ctx, domain.ScanCommand{JobID: c.BatchID, CommandID: c.ID,
		DeviceID: deviceID, Phase: phase, Plugin: parts[3]}); err != nil {
		return nil, err
	}
	return s.d.Store.DiscoveryScans().CommandFor(ctx, deviceID, commandID)
}
