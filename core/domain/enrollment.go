package domain

import "time"

// EnrollmentKey lets agents join an org and site (and optionally a group).
// The secret is shown once; only its SHA-256 is kept.
type EnrollmentKey struct {
	ID        string
	PartnerID string
	OrgID     string
	SiteID    string
	GroupID   string // empty: enrolled devices join no group
	Name      string
	Prefix    string // "bek_" and the first characters, to recognise it
	KeyHash   string // hex SHA-256 of the whole key
	ExpiresAt time.Time
	MaxUses   int // 0: unlimited
	Uses      int
	RevokedAt time.Time
	CreatedBy string
	CreatedAt time.Time
}

// Usable reports whether the key may enroll one more device at now.
func (k *EnrollmentKey) Usable(now time.Time) bool {
	return k.RevokedAt.IsZero() && now.Before(k.ExpiresAt) && (k.MaxUses == 0 || k.Uses < k.MaxUses)
}

// MetricSample is one heartbeat's telemetry, flattened for the metrics table.
// Per-disk and per-interface detail stays in Detail (JSON) for the device page.
type MetricSample struct {
	DeviceID     string
	At           time.Time
	CPUPercent   float64
	MemoryUsed   uint64
	MemoryTotal  uint64
	DiskUsed     uint64 // all real filesystems
	DiskTotal    uint64
	NetRxBps     float64 // all interfaces
	NetTxBps     float64
	Load1        float64
	Uptime       uint64 // seconds
	ProcessCount int
	Detail       string // JSON: {"disks":[...],"network":[...]}
}

// MetricPoint is a downsampled bucket of samples starting at At.
type MetricPoint struct {
	At          time.Time
	Samples     int
	CPUAvg      float64
	CPUMax      float64
	MemoryUsed  float64 // average
	MemoryTotal float64
	DiskUsed    float64
	DiskTotal   float64
	NetRxBps    float64
	NetTxBps    float64
	Load1       float64
}

// SeriesPoint is a downsampled bucket of one collector plugin metric of a
// device: every value reported under that (plugin, name) in the bucket,
// whatever its labels.
type SeriesPoint struct {
	At      time.Time
	Samples int
	Avg     float64
	Min     float64
	Max     float64
}

// PluginSeries names a collector plugin's metric.
type PluginSeries struct {
	Plugin string
	Name   string
}

// DeviceInventory is the last known inventory of a device: a JSON document
// in the agent protocol's Inventory shape with Full=true and the whole
// software list, kept whole so diffs can be applied to it.
type DeviceInventory struct {
	DeviceID  string
	UpdatedAt time.Time
	Document  string
}

// PresenceUpdate sets a device's presence, as the link and the sweeper see it.
type PresenceUpdate struct {
	DeviceID   string
	Status     DeviceStatus
	LastSeenAt time.Time
	// Only when the stored status is one of these (empty: any). Lets the
	// sweeper mark offline only devices still online, never a decommissioned one.
	IfStatus []DeviceStatus
}
