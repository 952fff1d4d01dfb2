package agents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/core/app/auth"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// maxTokenLen bounds a presented agent token (a real one is 47 bytes).
const maxTokenLen = 128

// maxClockSkew is how far in the future an agent's inventory time may be
// before the server's own time replaces it.
const maxClockSkew = time.Minute

// AuthenticateAgent identifies an agent from its bearer token alone and
// returns its device id. The id in the request path must name that same
// device: a token for device X on device Y's path is refused like a bad
// token (ErrUnauthenticated, no detail).
func (s *Service) AuthenticateAgent(ctx context.Context, bearer, pathDeviceID string) (string, error) {
	if !strings.HasPrefix(bearer, protocol.AgentTokenPrefix) || len(bearer) > maxTokenLen {
		return "", domain.Unauthenticatedf("not an agent token")
	}
	id, err := s.d.Store.AgentTokens().Lookup(ctx, auth.HashSecret(bearer))
	if errors.Is(err, domain.ErrNotFound) {
		return "", domain.Unauthenticatedf("unknown or revoked agent token")
	}
	if err != nil {
		return "", fmt.Errorf("look up agent token: %w", err)
	}
	if id != pathDeviceID {
		return "", domain.Unauthenticatedf("agent token is for another device")
	}
	return id, nil
}

// Hello records what the agent reports about itself, marks the device
// online and answers with the settings the agent must follow. A
// decommissioned device is refused (its token is revoked too; this closes
// the window between the two).
func (s *Service) Hello(ctx context.Context, deviceID string, h protocol.Hello) (protocol.Welcome, error) {
	if h.ProtocolVersion != protocol.Version {
		return protocol.Welcome{}, domain.Invalidf("protocol version %d is not supported (this server speaks %d)", h.ProtocolVersion, protocol.Version)
	}
	if err := validateReport(h.Hostname, h.OS, h.Arch, h.AgentVersion); err != nil {
		return protocol.Welcome{}, err
	}
	all := domain.GlobalScope()
	d, err := s.d.Store.Devices().Get(ctx, all, deviceID)
	if errors.Is(err, domain.ErrNotFound) {
		return protocol.Welcome{}, domain.Unauthenticatedf("device is gone")
	}
	if err != nil {
		return protocol.Welcome{}, fmt.Errorf("load device: %w", err)
	}
	if d.Status == domain.DeviceDecommissioned {
		return protocol.Welcome{}, domain.Unauthenticatedf("device is decommissioned")
	}
	prev := d.Status
	// Only a real change is written: a reconnect storm of unchanged agents
	// must not bump every device's version (and stale every open edit).
	if d.Hostname != h.Hostname || d.OS != h.OS || d.Arch != h.Arch || d.AgentVersion != h.AgentVersion {
		d.Hostname, d.OS, d.Arch, d.AgentVersion = h.Hostname, h.OS, h.Arch, h.AgentVersion
		if d, err = s.d.Store.Devices().Upsert(ctx, all, d); err != nil {
			return protocol.Welcome{}, fmt.Errorf("update device: %w", err)
		}
	}
	now := s.d.Clock.Now()
	err = s.d.Store.Presence().Mark(ctx, []domain.PresenceUpdate{{
		DeviceID: deviceID, Status: domain.DeviceOnline, LastSeenAt: now,
		IfStatus: linkedStatuses,
	}})
	if err != nil {
		return protocol.Welcome{}, fmt.Errorf("mark device online: %w", err)
	}
	if prev != domain.DeviceOnline {
		d.Status = domain.DeviceOnline
		s.d.Events.Publish(ctx, eventOf(EventDeviceOnline, d, now))
	}
	// Only existence matters here: loading the document (often hundreds of
	// kilobytes) on every hello would be ruinous in a reconnect storm.
	stored, err := s.d.Store.Inventory().Exists(ctx, deviceID)
	if err != nil {
		return protocol.Welcome{}, fmt.Errorf("check inventory: %w", err)
	}
	wanted := !stored
	w := protocol.Welcome{
		Header:            protocol.Header{Type: protocol.TypeWelcome, ID: h.ID},
		DeviceID:          deviceID,
		HeartbeatInterval: int(math.Ceil(s.d.HeartbeatInterval.Seconds())),
		ServerTime:        now.UTC(),
		InventoryWanted:   wanted,
		ResultAcks:        true, // commands.Service.Result answers command_stored
		ServerURLs:        s.d.AgentURLs,
	}
	if s.d.Certs != nil {
		need, err := s.d.Certs.NeedsRenewal(ctx, deviceID)
		if err != nil {
			s.d.Logger.Warn("certificate state not read", "device_id", deviceID, "error", err)
		}
		w.CertRenew = need
	}
	if h.Plugins != nil {
		// A bad report costs the report, never the link.
		if err := s.PluginStates(ctx, deviceID, h.Plugins); err != nil {
			s.d.Logger.Warn("plugin states in hello not stored", "device_id", deviceID, "error", err)
		}
	}
	if s.d.Plugins != nil {
		offers, err := s.d.Plugins.OffersForOrg(ctx, d.OrgID, deviceID)
		if err != nil {
			// The link works without plugins; the next hello tries again.
			s.d.Logger.Warn("plugin offers not loaded", "device_id", deviceID, "error", err)
		}
		w.Plugins = offers
	}
	if s.d.HeartbeatInterval%time.Second != 0 {
		w.HeartbeatIntervalMs = int(s.d.HeartbeatInterval / time.Millisecond)
		if w.HeartbeatIntervalMs < 1 {
			w.HeartbeatIntervalMs = 1
		}
	}
	return w, nil
}

// Heartbeat queues the sample for the batch writer, always for the
// authenticated device (the link never trusts an id in a payload). It never
// blocks: when the writer's queue is full the sample is dropped and
// counted, and false is returned.
func (s *Service) Heartbeat(ctx context.Context, deviceID string, hb protocol.Heartbeat) bool {
	now := s.d.Clock.Now()
	at := hb.At.UTC()
	switch {
	// Never later than the receive time, even within the accepted skew: the
	// sample sets the device's latest snapshot and last-seen, which must
	// not move into the future (later correct samples would look older).
	case at.IsZero() || at.After(now):
		at = now.UTC()
	case at.Before(now.Add(-s.d.Retention)):
		return true // older than what is kept: nothing to store
	}
	if s.d.Monitor != nil {
		s.d.Monitor.Observe(ctx, deviceID, at, &hb)
	}
	return s.d.Samples.Add(sampleOf(deviceID, at, hb))
}

// maxDetailItems bounds the per-disk and per-interface detail of a sample.
const maxDetailItems = 64

// sampleOf flattens a heartbeat for the metrics table.
func sampleOf(deviceID string, at time.Time, hb protocol.Heartbeat) domain.MetricSample {
	m := domain.MetricSample{
		DeviceID: deviceID, At: at,
		CPUPercent:  clampPercent(hb.CPUPercent),
		MemoryUsed:  min(hb.MemoryUsed, hb.MemoryTotal),
		MemoryTotal: hb.MemoryTotal,
		Load1:       nonNegative(hb.Load1),
		Uptime:      hb.UptimeSeconds,
	}
	if hb.ProcessCount > 0 {
		m.ProcessCount = hb.ProcessCount
	}
	disks, nets, pm := hb.Disks, hb.Network, hb.PluginMetrics
	if len(disks) > maxDetailItems {
		disks = disks[:maxDetailItems]
	}
	if len(pm) > maxPluginMetrics {
		pm = pm[:maxPluginMetrics]
	}
	pm = finiteMetrics(pm)
	if len(nets) > maxDetailItems {
		nets = nets[:maxDetailItems]
	}
	for _, d := range disks {
		m.DiskTotal += d.Total
		m.DiskUsed += min(d.Used, d.Total)
	}
	for i := range nets {
		nets[i].RxBps, nets[i].TxBps = nonNegative(nets[i].RxBps), nonNegative(nets[i].TxBps)
		m.NetRxBps += nets[i].RxBps
		m.NetTxBps += nets[i].TxBps
	}
	load5, load15 := nonNegative(hb.Load5), nonNegative(hb.Load15)
	if len(disks) > 0 || len(nets) > 0 || load5 > 0 || load15 > 0 || len(pm) > 0 {
		detail := struct {
			Disks   []protocol.DiskUsage    `json:"disks,omitempty"`
			Network []protocol.NetRate      `json:"network,omitempty"`
			Load5   float64                 `json:"load5,omitempty"`
			Load15  float64                 `json:"load15,omitempty"`
			Plugins []protocol.PluginMetric `json:"plugins,omitempty"`
		}{disks, nets, load5, load15, pm}
		if raw, err := json.Marshal(detail); err == nil {
			m.Detail = string(raw)
		}
	}
	return m
}

// maxPluginMetrics bounds the collector plugins' metrics kept per sample.
const maxPluginMetrics = 256

// finiteMetrics drops NaN and infinite values (JSON cannot carry them).
func finiteMetrics(in []protocol.PluginMetric) []protocol.PluginMetric {
	out := in[:0:0]
	for _, m := range in {
		if !math.IsNaN(m.Value) && !math.IsInf(m.Value, 0) && len(m.Name) <= 200 && len(m.Plugin) <= 64 {
			out = append(out, m)
		}
	}
	return out
}

func clampPercent(v float64) float64 {
	if math.IsNaN(v) || v < 0 {
		return 0
	}
	return min(v, 100)
}

func nonNegative(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0
	}
	return v
}
