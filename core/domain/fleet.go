package domain

import "time"

// DeviceCounts counts devices by status.
type DeviceCounts struct {
	Online, Offline, Pending, Decommissioned int
}

// Total is every device counted, whatever its status.
func (c DeviceCounts) Total() int { return c.Online + c.Offline + c.Pending + c.Decommissioned }

// SeverityCounts counts unresolved (open or acknowledged) alerts by severity.
type SeverityCounts struct {
	Info, Warning, Critical int
}

// Total is every unresolved alert counted.
func (c SeverityCounts) Total() int { return c.Info + c.Warning + c.Critical }

// SeverityRank orders severities: critical 3, warning 2, info 1, else 0.
func SeverityRank(s Severity) int {
	switch s {
	case SeverityCritical:
		return 3
	case SeverityWarning:
		return 2
	case SeverityInfo:
		return 1
	}
	return 0
}

// SeverityOfRank is SeverityRank's inverse ("" for an unknown rank).
func SeverityOfRank(r int) Severity {
	switch r {
	case 3:
		return SeverityCritical
	case 2:
		return SeverityWarning
	case 1:
		return SeverityInfo
	}
	return ""
}

// AttentionDevice is a device with unresolved alerts, named with its org
// and site for the dashboard's "needing attention" list.
type AttentionDevice struct {
	DeviceID  string
	Hostname  string
	Status    DeviceStatus
	PartnerID string
	OrgID     string
	OrgName   string
	SiteID    string
	SiteName  string
	// Worst is the most severe of its unresolved alerts; Alerts counts them.
	Worst  Severity
	Alerts int
	// LatestAt is the opening of its newest unresolved alert.
	LatestAt time.Time
}

// AlertActivity is one alert transition with the alert and device it
// concerns, for the dashboard's recent activity.
type AlertActivity struct {
	AlertID  string
	DeviceID string
	Hostname string
	OrgID    string
	Severity Severity
	Kind     string
	Message  string
	From     AlertState // empty for the opening
	To       AlertState
	Actor    string
	At       time.Time
}
