package domain

import "time"

// MaintenanceKind says how a maintenance window repeats.
type MaintenanceKind string

const (
	MaintenanceOnce   MaintenanceKind = "once"   // from StartsAt to EndsAt
	MaintenanceWeekly MaintenanceKind = "weekly" // on Days at At for DurationMinutes
)

// MaintenanceWindow is planned work on a scope of devices: while one of
// its occurrences covers a device, the device's alerts still open (and
// show "in maintenance") but their notifications are held. It belongs to
// an org (OrgID set) or to a partner (OrgID empty), like an alert rule,
// and names its devices with the alert rules' scope model.
//
// Times are wall-clock times in TimeZone (an IANA name), so "Saturday
// 22:00 in Berlin" stays 22:00 across a DST change. A wall time a DST
// change skips is moved forward by the gap (02:30 on a spring-forward
// night is 03:30); one it repeats is its first occurrence. An occurrence
// lasts DurationMinutes of real time.
type MaintenanceWindow struct {
	ID          string
	PartnerID   string
	OrgID       string // empty: partner-wide
	Name        string
	Description string
	Enabled     bool
	ScopeKind   AlertScopeKind
	ScopeIDs    []string // org, site, group or device ids; empty for partner
	TimeZone    string
	Kind        MaintenanceKind
	// Once: local date-times "2006-01-02T15:04" in TimeZone.
	StartsAt, EndsAt string
	// Weekly: the days an occurrence starts, its local start time "15:04"
	// and its length.
	Days            []time.Weekday
	At              string
	DurationMinutes int
	Version         int64
	CreatedBy       string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}
