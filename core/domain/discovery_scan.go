package domain

import (
	"encoding/json"
	"time"
)

// A discovery scan job: one run of a profile, dispatched as discover
// commands to the site's scanner agents in phases, whose results stream
// back in pages (see docs/discovery.md).

// ScanStatus is where a scan job is.
type ScanStatus string

const (
	ScanQueued    ScanStatus = "queued"
	ScanRunning   ScanStatus = "running"
	ScanSucceeded ScanStatus = "succeeded"
	ScanFailed    ScanStatus = "failed"
	ScanCancelled ScanStatus = "cancelled"
	ScanTimedOut  ScanStatus = "timed_out"
)

// Final reports whether the job has ended.
func (s ScanStatus) Final() bool {
	return s == ScanSucceeded || s == ScanFailed || s == ScanCancelled || s == ScanTimedOut
}

// ValidScanStatus reports whether s is a known status.
func ValidScanStatus(s ScanStatus) bool { return s == ScanQueued || s == ScanRunning || s.Final() }

// ScanPhase is one step of a scan: sweep finds live hosts (icmp, arp,
// rdns), probe looks at them (tcp, snmp).
type ScanPhase string

const (
	PhaseSweep ScanPhase = "sweep"
	PhaseProbe ScanPhase = "probe"
)

// ScanJob is one scan of a profile.
type ScanJob struct {
	ID        string
	PartnerID string
	OrgID     string
	SiteID    string
	ProfileID string
	Status    ScanStatus
	Phase     ScanPhase
	// Partial: some results are missing (a page was lost, or the scan
	// ended early); what arrived is kept.
	Partial bool
	// Addresses is the plan's size; Scanned how many of them the first
	// phase has covered so far (from the pages); AssetsFound the distinct
	// live hosts seen.
	Addresses   int
	Scanned     int
	AssetsFound int
	Error       string
	RequestedBy string // user id ("" for the system)
	CreatedAt   time.Time
	StartedAt   *time.Time
	FinishedAt  *time.Time
	Deadline    time.Time
	// Plan is the scans service's encoding of the resolved plan, SNMP
	// credentials sealed; never shown.
	Plan json.RawMessage
	// Commands are the job's discover commands (read by Get only).
	Commands []ScanCommand
}

// ScanCommand is one discover command of a job and what its pages brought.
type ScanCommand struct {
	JobID     string
	CommandID string
	DeviceID  string
	Phase     ScanPhase
	Plugin    string
	// Status is the command's (read from the command).
	Status CommandStatus
	// Pages received, the last page's Seq, assets received and the
	// addresses the agent says it has covered.
	Pages   int
	LastSeq int
	Assets  int
	Scanned int
}

// ScanJobUpdate is a job transition's changes; zero fields are left as
// stored (Partial only ever turns on).
type ScanJobUpdate struct {
	Status ScanStatus
	// Phase, when set, moves the job to it; OnlyInPhase, when set, makes
	// the transition apply only while the job is in that phase.
	Phase       ScanPhase
	OnlyInPhase ScanPhase
	Partial     bool
	// Scanned, when above the stored count, raises it (a phase's final
	// counts, which cover addresses no page mentioned).
	Scanned    int
	Error      string
	StartedAt  *time.Time
	FinishedAt *time.Time
}

// ScanPage is one page of a command's results as stored: the live hosts
// it named and the command's progress.
type ScanPage struct {
	CommandID string
	Seq       int
	Assets    int      // assets in the page
	Scanned   int      // the command's addresses covered so far
	LiveIPs   []string // hosts the page saw alive
	// CountScanned: the page's command is of the job's first phase, whose
	// coverage is the job's Scanned.
	CountScanned bool
}

// ScanPageOutcome is what recording a page changed.
type ScanPageOutcome struct {
	Duplicate bool // seq already seen: nothing changed
	Gap       bool // seqs were skipped: the job is now partial
}
