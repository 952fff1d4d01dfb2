package domain

import (
	"encoding/json"
	"time"
)

// ScheduleTaskKind says what a schedule runs.
type ScheduleTaskKind string

const (
	ScheduleTaskScript ScheduleTaskKind = "script" // a library script with parameter values
	ScheduleTaskAction ScheduleTaskKind = "action" // a built-in agent action with its payload
	// ScheduleTaskDiscovery runs a discovery profile's scan (Payload
	// {"profileId": ...}; the target is the profile's site).
	ScheduleTaskDiscovery ScheduleTaskKind = "discovery"
)

// OfflinePolicy says what a fire does with a target device that is offline.
type OfflinePolicy string

const (
	// OfflineSkip leaves offline devices out of the fire.
	OfflineSkip OfflinePolicy = "skip"
	// OfflineWhenOnline queues the work with an expiry of GraceMinutes: it
	// runs when the device returns within the grace, then expires.
	OfflineWhenOnline OfflinePolicy = "when_online"
)

// FireStatus is the outcome of one fire of a schedule.
type FireStatus string

const (
	FireFired   FireStatus = "fired"   // a script run or commands were started
	FireSkipped FireStatus = "skipped" // nothing to run on (every device offline, an empty target)
	FireFailed  FireStatus = "failed"  // the schedule could not run (Error says why)
)

// Schedule runs a script or a built-in action on a target, on a 5-field
// cron expression or once at RunAt, in the wall-clock time of TimeZone
// (an IANA name). It belongs to an org (OrgID set) or to a partner
// (partner-wide, OrgID empty), like a script. The target is resolved at
// fire time, so devices that join it later are included.
//
// DST: a wall time a spring-forward change skips fires once at the first
// valid instant after it (the transition itself, e.g. 03:00 for a 02:30
// job in Europe/Berlin); a wall time a fall-back change repeats fires once,
// at its first occurrence.
type Schedule struct {
	ID          string
	PartnerID   string
	OrgID       string // empty: partner-wide
	Name        string
	Description string
	Enabled     bool
	TimeZone    string
	Cron        string     // exactly one of Cron and RunAt
	RunAt       *time.Time // a one-off
	TargetKind  RunTargetKind
	TargetIDs   []string
	TaskKind    ScheduleTaskKind
	ScriptID    string          // TaskKind script
	Params      json.RawMessage // script parameter values (a JSON object)
	Action      string          // TaskKind action
	Payload     json.RawMessage // the action's payload (a JSON object)
	Offline     OfflinePolicy
	// GraceMinutes bounds how late work may start: the wait of a
	// when_online command, and how old a fire missed while every node was
	// down may be to still run (once) at start.
	GraceMinutes int
	// SpreadSeconds (0..MaxScheduleSpreadSeconds) delays every fire by the
	// schedule's own fixed offset in [0, SpreadSeconds), derived from its
	// ID (like Jenkins' "H"): many schedules on the same cron spread their
	// load over that window instead of all firing on the same second.
	SpreadSeconds int
	// NextFireAt is the next fire the scheduler will make (nil: none, a
	// past one-off or a paused schedule). LastFireAt is the latest fire
	// made, LastError the latest fire's failure ("" after a good fire).
	NextFireAt *time.Time
	LastFireAt *time.Time
	LastError  string
	CreatedBy  string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Version    int64
}

// MaxScheduleSpreadSeconds bounds SpreadSeconds (an hour).
const MaxScheduleSpreadSeconds = 3600

// MaxScheduleGraceMinutes bounds GraceMinutes (a week).
const MaxScheduleGraceMinutes = 10080

// ScheduleFire is one fire of a schedule: FireAt is the scheduled instant
// (unique per schedule: a fire happens once however many nodes try),
// FiredAt when it was made.
type ScheduleFire struct {
	ID          string
	ScheduleID  string
	PartnerID   string
	OrgID       string
	FireAt      time.Time
	FiredAt     time.Time
	Status      FireStatus
	Error       string
	ScriptRunID string   // TaskKind script
	CommandIDs  []string // TaskKind action
	ScanID      string   // TaskKind discovery: the scan it started
}
