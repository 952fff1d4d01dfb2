package api

import (
	"encoding/json"
	"time"

	"github.com/breeze-rmm/breeze/core/app/agents"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// Device is one managed machine running the agent.
type Device struct {
	ID           string     `json:"id"`
	PartnerID    string     `json:"partnerId"`
	OrgID        string     `json:"orgId"`
	SiteID       string     `json:"siteId"`
	GroupID      string     `json:"groupId,omitempty" doc:"Absent when the device is in no group."`
	Hostname     string     `json:"hostname"`
	OS           string     `json:"os"`
	Arch         string     `json:"arch"`
	Status       string     `json:"status" enum:"online,offline,pending,decommissioned"`
	LastSeenAt   *time.Time `json:"lastSeenAt,omitempty"`
	AgentVersion string     `json:"agentVersion"`
	Kind         string     `json:"kind" enum:"agent,network" doc:"agent: runs the agent; network: a tracked discovery asset its site's agents watch (no remote work)."`
	Version      int64      `json:"version"`
	CreatedAt    time.Time  `json:"createdAt"`
	UpdatedAt    time.Time  `json:"updatedAt"`
}

// DeviceDetail is a device with its latest telemetry, when it reported any.
type DeviceDetail struct {
	Device
	Latest *MetricSample `json:"latest,omitempty"`
	// Plugins is what the device's agent last reported of its plugins.
	Plugins []DevicePluginState `json:"plugins"`
	// Cert is the device's latest client certificate (mutual TLS).
	Cert *DeviceCert `json:"cert,omitempty"`
}

// DeviceCert is a device's client certificate as the API shows it.
type DeviceCert struct {
	Serial    string     `json:"serial" doc:"Hex serial number."`
	CAID      string     `json:"caId" doc:"The agent CA that issued it (breeze ca status)."`
	State     string     `json:"state" enum:"valid,expired,revoked"`
	NotBefore time.Time  `json:"notBefore"`
	NotAfter  time.Time  `json:"notAfter"`
	IssuedAt  time.Time  `json:"issuedAt"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
}

// DevicePluginState is one agent-side plugin as the agent reported it.
type DevicePluginState struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	State   string `json:"state" enum:"running,starting,failed,disabled"`
	Error   string `json:"error,omitempty"`
	// Unsigned: the agent runs it without a signature (development);
	// Source is "dev" when it came from the agent's plugin dev directory.
	Unsigned   bool      `json:"unsigned"`
	Source     string    `json:"source,omitempty" enum:"dev"`
	ReportedAt time.Time `json:"reportedAt"`
}

// MetricSample is one heartbeat's telemetry.
type MetricSample struct {
	At           time.Time     `json:"at"`
	CPUPercent   float64       `json:"cpuPercent"`
	MemoryUsed   uint64        `json:"memoryUsed"`
	MemoryTotal  uint64        `json:"memoryTotal"`
	DiskUsed     uint64        `json:"diskUsed" doc:"Summed over the device's filesystems."`
	DiskTotal    uint64        `json:"diskTotal"`
	NetRxBps     float64       `json:"netRxBps" doc:"Bytes per second, summed over the interfaces."`
	NetTxBps     float64       `json:"netTxBps"`
	Load1        float64       `json:"load1"`
	Uptime       uint64        `json:"uptimeSeconds"`
	ProcessCount int           `json:"processCount"`
	Detail       *MetricDetail `json:"detail,omitempty"`
}

// MetricDetail is the per-filesystem and per-interface part of a sample.
type MetricDetail struct {
	Disks   []protocol.DiskUsage `json:"disks,omitempty"`
	Network []protocol.NetRate   `json:"network,omitempty"`
	Load5   float64              `json:"load5,omitempty"`
	Load15  float64              `json:"load15,omitempty"`
	// Plugins are collector plugins' metrics of the sample.
	Plugins []protocol.PluginMetric `json:"plugins,omitempty"`
}

// MoveDeviceRequest is the body of PATCH /devices/:id: a move to another
// site and/or group of the same organization.
type MoveDeviceRequest struct {
	SiteID  *string `json:"siteId,omitempty" doc:"A site of the same organization. A group bound to the old site is left unless groupId is given."`
	GroupID *string `json:"groupId,omitempty" doc:"A group of the organization (org-wide or of the target site); \"\" takes the device out of its group."`
	Version int64   `json:"version" doc:"The version you read; a stale one answers 409."`
}

// MetricPoint is one downsampled bucket starting at at.
type MetricPoint struct {
	At          time.Time `json:"at"`
	Samples     int       `json:"samples"`
	CPUAvg      float64   `json:"cpuAvg"`
	CPUMax      float64   `json:"cpuMax"`
	MemoryUsed  float64   `json:"memoryUsed" doc:"Average over the bucket."`
	MemoryTotal float64   `json:"memoryTotal"`
	DiskUsed    float64   `json:"diskUsed"`
	DiskTotal   float64   `json:"diskTotal"`
	NetRxBps    float64   `json:"netRxBps"`
	NetTxBps    float64   `json:"netTxBps"`
	Load1       float64   `json:"load1"`
}

// DeviceMetrics is the answer of GET /devices/:id/metrics.
type DeviceMetrics struct {
	DeviceID string        `json:"deviceId"`
	From     time.Time     `json:"from"`
	To       time.Time     `json:"to"`
	Step     int64         `json:"stepSeconds"`
	Points   []MetricPoint `json:"points" doc:"Oldest first; buckets without samples are left out."`
}

// DeviceInventory is the last inventory a device reported.
type DeviceInventory struct {
	DeviceID    string                     `json:"deviceId"`
	UpdatedAt   time.Time                  `json:"updatedAt"`
	At          time.Time                  `json:"at" doc:"When the agent collected it."`
	OS          *protocol.OSInfo           `json:"os,omitempty"`
	CPU         *protocol.CPUInfo          `json:"cpu,omitempty"`
	MemoryTotal uint64                     `json:"memoryTotal"`
	Disks       []protocol.Disk            `json:"disks"`
	Filesystems []protocol.Filesystem      `json:"filesystems"`
	Interfaces  []protocol.NetInterface    `json:"interfaces"`
	Software    []protocol.SoftwarePackage `json:"software"`
	Facts       []protocol.PluginFact      `json:"facts" doc:"Collector plugins' facts."`
}

func deviceOut(d *domain.Device) Device {
	return Device{
		ID: d.ID, PartnerID: d.PartnerID, OrgID: d.OrgID, SiteID: d.SiteID, GroupID: d.GroupID,
		Hostname: d.Hostname, OS: d.OS, Arch: d.Arch, Status: string(d.Status), LastSeenAt: optTime(d.LastSeenAt),
		AgentVersion: d.AgentVersion, Kind: string(kindOut(d.Kind)), Version: d.Version, CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(),
	}
}

func deviceDetailOut(v agents.DeviceView) DeviceDetail {
	out := DeviceDetail{Device: deviceOut(v.Device), Plugins: make([]DevicePluginState, 0, len(v.Plugins))}
	for _, st := range v.Plugins {
		out.Plugins = append(out.Plugins, DevicePluginState{ID: st.PluginID, Version: st.Version, State: st.State,
			Error: st.Error, Unsigned: st.Unsigned, Source: st.Source, ReportedAt: st.At.UTC()})
	}
	if v.Latest != nil {
		out.Latest = sampleOut(v.Latest)
	}
	if c := v.Cert; c != nil {
		out.Cert = &DeviceCert{Serial: c.Serial, CAID: c.CAID, State: v.CertState, NotBefore: c.NotBefore.UTC(),
			NotAfter: c.NotAfter.UTC(), IssuedAt: c.IssuedAt.UTC(), RevokedAt: optTime(c.RevokedAt)}
	}
	return out
}

func sampleOut(m *domain.MetricSample) *MetricSample {
	out := &MetricSample{
		At: m.At.UTC(), CPUPercent: m.CPUPercent, MemoryUsed: m.MemoryUsed, MemoryTotal: m.MemoryTotal,
		DiskUsed: m.DiskUsed, DiskTotal: m.DiskTotal, NetRxBps: m.NetRxBps, NetTxBps: m.NetTxBps,
		Load1: m.Load1, Uptime: m.Uptime, ProcessCount: m.ProcessCount,
	}
	if m.Detail != "" {
		var d MetricDetail
		if json.Unmarshal([]byte(m.Detail), &d) == nil {
			out.Detail = &d
		}
	}
	return out
}

func metricsOut(deviceID string, m agents.Metrics) DeviceMetrics {
	out := DeviceMetrics{DeviceID: deviceID, From: m.From, To: m.To, Step: int64(m.Step / time.Second),
		Points: make([]MetricPoint, 0, len(m.Points))}
	for _, pt := range m.Points {
		out.Points = append(out.Points, pointOut(pt))
	}
	return out
}

func pointOut(p domain.MetricPoint) MetricPoint {
	return MetricPoint{
		At: p.At.UTC(), Samples: p.Samples, CPUAvg: p.CPUAvg, CPUMax: p.CPUMax, MemoryUsed: p.MemoryUsed,
		MemoryTotal: p.MemoryTotal, DiskUsed: p.DiskUsed, DiskTotal: p.DiskTotal, NetRxBps: p.NetRxBps,
		NetTxBps: p.NetTxBps, Load1: p.Load1,
	}
}

func inventoryOut(v agents.InventoryView) DeviceInventory {
	inv, doc := v.Stored, v.Doc
	out := DeviceInventory{
		DeviceID: inv.DeviceID, UpdatedAt: inv.UpdatedAt.UTC(), At: doc.At.UTC(), OS: doc.OS, CPU: doc.CPU,
		MemoryTotal: doc.MemoryTotal, Disks: doc.Disks, Filesystems: doc.Filesystems,
		Interfaces: doc.Interfaces, Software: doc.Software, Facts: doc.Facts,
	}
	if out.Facts == nil {
		out.Facts = []protocol.PluginFact{}
	}
	// Lists are [] rather than null, like every list of the API.
	if out.Disks == nil {
		out.Disks = []protocol.Disk{}
	}
	if out.Filesystems == nil {
		out.Filesystems = []protocol.Filesystem{}
	}
	if out.Interfaces == nil {
		out.Interfaces = []protocol.NetInterface{}
	}
	if out.Software == nil {
		out.Software = []protocol.SoftwarePackage{}
	}
	return out
}

func kindOut(k domain.DeviceKind) domain.DeviceKind {
	if k == "" {
		return domain.DeviceKindAgent
	}
	return k
}
