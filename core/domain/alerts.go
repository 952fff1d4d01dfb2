package domain

import (
	"encoding/json"
	"time"
)

// Severity is how urgent an alert is.
type Severity string

const (
	SeverityInfo     Severity = "info"
	SeverityWarning  Severity = "warning"
	SeverityCritical Severity = "critical"
)

// ValidSeverity reports whether v is one of the severities.
func ValidSeverity(v Severity) bool {
	return v == SeverityInfo || v == SeverityWarning || v == SeverityCritical
}

// AlertScopeKind says what an alert rule applies to.
type AlertScopeKind string

const (
	AlertScopePartner AlertScopeKind = "partner" // every device of the owning partner
	AlertScopeOrg     AlertScopeKind = "org"     // the devices of the listed orgs
	AlertScopeSite    AlertScopeKind = "site"    // the devices of the listed sites
	AlertScopeGroup   AlertScopeKind = "group"   // the devices of the listed groups
	AlertScopeDevices AlertScopeKind = "devices" // the listed devices
)

// AlertRule turns a condition on a device into an alert. It belongs to an
// org (OrgID set) or to a partner (OrgID empty) and applies to the devices
// its scope names, minus ExcludeDeviceIDs.
type AlertRule struct {
	ID               string
	PartnerID        string
	OrgID            string // empty: partner-wide
	Name             string
	Description      string
	Enabled          bool
	Severity         Severity
	Kind             string          // a registered condition kind (core/app/alerts/conditions)
	Params           json.RawMessage // the kind's parameters, validated by it
	ScopeKind        AlertScopeKind
	ScopeIDs         []string // org, site, group or device ids; empty for partner
	ExcludeDeviceIDs []string
	RenotifySeconds  int // 0: notify once (stored for the notification work)
	Version          int64
	CreatedBy        string
	CreatedAt        time.Time
	UpdatedAt        time.Time

	// Self-healing: what runs when an alert of the rule opens.
	RemediationFields
}

// AlertState is where an alert is in its lifecycle.
type AlertState string

const (
	AlertOpen         AlertState = "open"
	AlertAcknowledged AlertState = "acknowledged"
	AlertResolved     AlertState = "resolved"
)

// Unresolved are the states of an alert still standing: at most one such
// alert exists per (rule, device).
var Unresolved = []AlertState{AlertOpen, AlertAcknowledged}

// Alert is one rule firing on one device.
type Alert struct {
	ID             string
	PartnerID      string
	OrgID          string
	SiteID         string
	DeviceID       string
	RuleID         string
	Kind           string
	Severity       Severity
	State          AlertState
	Message        string
	Value          float64 // the observed value that opened it (0 for offline)
	OpenedAt       time.Time
	AcknowledgedAt time.Time
	AcknowledgedBy string
	ResolvedAt     time.Time
	ResolvedBy     string // a user id, or "system" when the condition cleared
	Note           string // the resolving note
	Version        int64
	UpdatedAt      time.Time

	// SnoozedUntil holds the alert's notifications until then (zero: not
	// snoozed); the alert still resolves when its condition clears.
	SnoozedUntil time.Time
	// MaintenanceUntil is when the maintenance window covering the
	// alert's device ends (zero: none). Computed when read
	// (core/app/maintenance), never stored.
	MaintenanceUntil time.Time

	// Remediation is the latest remediation run for this alert.
	Remediation AlertRemediation
}

// AlertActorSystem marks transitions made by the evaluator.
const AlertActorSystem = "system"

// AlertTransition is one entry of an alert's history.
type AlertTransition struct {
	AlertID string
	From    AlertState // empty for the opening
	To      AlertState
	Actor   string
	Note    string
	At      time.Time
	// Action is set for an entry that changes no state (From == To):
	// AlertActionSnoozed (with Until) or AlertActionUnsnoozed.
	Action string
	Until  time.Time
}

// History actions that keep the alert's state.
const (
	AlertActionSnoozed   = "snoozed"
	AlertActionUnsnoozed = "unsnoozed"
)

// AlertSnooze sets (Until non-zero) or clears (Until zero) an alert's
// snooze.
type AlertSnooze struct {
	Until time.Time
	Actor string
	Note  string
	At    time.Time
}

// AlertUpdate is one state change of an alert.
type AlertUpdate struct {
	To    AlertState
	Actor string
	Note  string
	At    time.Time
}

// Remediation (self-healing): an alert rule may name a script or a
// built-in agent action run on the alerting device when an alert opens.
const (
	RemediationScript = "script" // a library script with parameter values
	RemediationAction = "action" // a built-in agent action with its payload
)

// AlertRemediationSpec is what a rule runs when one of its alerts opens.
type AlertRemediationSpec struct {
	Kind     string          `json:"kind"`
	ScriptID string          `json:"scriptId,omitempty"`
	Params   map[string]any  `json:"params,omitempty"`
	Action   string          `json:"action,omitempty"`
	Payload  json.RawMessage `json:"payload,omitempty"`
}

// RemediationFields are an alert rule's remediation settings.
type RemediationFields struct {
	Remediation *AlertRemediationSpec // nil: none
	// RemediationEveryHours: 0 runs it on every opening; N at most once
	// per N hours per (rule, device).
	RemediationEveryHours int
	// RemediationBy is the user who last saved the rule with a
	// remediation: the run happens on their authority, checked again at
	// run time.
	RemediationBy string
}

// Remediation statuses of an alert.
const (
	RemediationPending   = "pending"   // claimed by the task, being started
	RemediationStarted   = "started"   // the script run or command was created
	RemediationSucceeded = "succeeded" // the command ended with success
	RemediationFailed    = "failed"    // it could not start, or ended failed/timed out/expired
	RemediationRefused   = "refused"   // the author lacks the run permission (or is gone)
	RemediationSkipped   = "skipped"   // it ran for (rule, device) within the period
)

// AlertRemediation is the latest remediation of an alert (zero Status:
// none).
type AlertRemediation struct {
	Status      string
	CommandID   string
	ScriptRunID string
	At          time.Time
}

// Ran reports whether the remediation was started (counted by the period).
func (r AlertRemediation) Ran() bool {
	switch r.Status {
	case RemediationPending, RemediationStarted, RemediationSucceeded:
		return true
	case RemediationFailed:
		return r.ScriptRunID+r.CommandID != ""
	}
	return false
}

// AlertActionRemediation marks a history entry about a remediation.
const AlertActionRemediation = "remediation"
