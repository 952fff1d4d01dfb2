package ports

import (
	"context"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// AlertStores holds monitoring: alert rules and alerts. ports.Store embeds it.
type AlertStores interface {
	AlertRules() AlertRuleStore
	Alerts() AlertStore
	AlertDefaults() AlertDefaultsStore
	// ClusterKeys keeps the fingerprints of the secrets all nodes share.
	ClusterKeys() ClusterKeyStore
}

// AlertRuleFilter narrows a rule list. Empty fields do not filter.
type AlertRuleFilter struct {
	OrgID string // an org's own rules plus its partner's partner-wide ones
	Kind  string
}

// AlertRuleStore keeps alert rules. Visibility and write coverage follow
// the script library: an org rule needs its org covered, a partner-wide one
// its partner to write; reading a partner-wide rule is also allowed to a
// scope touching the partner through an org or site. The store checks only
// shape; the app validates the condition and the scope ids.
type AlertRuleStore interface {
	// Create fills ID, Version=1, times and PartnerID (from the org). Same
	// name in the same (partner, org): ErrConflict.
	Create(ctx context.Context, s domain.Scope, r *domain.AlertRule) error
	Get(ctx context.Context, s domain.Scope, id string) (*domain.AlertRule, error)
	List(ctx context.Context, s domain.Scope, f AlertRuleFilter, page domain.PageRequest) (domain.Page[*domain.AlertRule], error)
	// Update changes Name, Description, Enabled, Severity, Kind, Params,
	// ScopeKind, ScopeIDs, ExcludeDeviceIDs, RenotifySeconds and the
	// RemediationFields when Version matches (ErrConflict otherwise).
	Update(ctx context.Context, s domain.Scope, r *domain.AlertRule) (*domain.AlertRule, error)
	// Delete removes the rule and its alerts.
	Delete(ctx context.Context, s domain.Scope, id string) error
	// Enabled lists every enabled rule of every tenant (the evaluator
	// compiles them; a system read, unscoped).
	Enabled(ctx context.Context) ([]*domain.AlertRule, error)
}

// AlertFilter narrows an alert list. Empty fields do not filter.
type AlertFilter struct {
	// State: one state, or UnresolvedFilter for open and acknowledged.
	State    domain.AlertState
	Severity domain.Severity
	DeviceID string
	RuleID   string
	OrgID    string
	SiteID   string
	// From and To bound the opening time (From inclusive, To exclusive);
	// zero: unbounded.
	From, To time.Time
	// UpdatedFrom: alerts whose last change (opening, acknowledgement,
	// resolution, snooze) is at or after it; zero: any.
	UpdatedFrom time.Time
}

// UnresolvedFilter is AlertFilter.State for every alert still standing
// (open or acknowledged).
const UnresolvedFilter domain.AlertState = "unresolved"

// AlertStore keeps alerts and their history. An alert is visible when the
// scope covers its (partner, org, site), like its device.
type AlertStore interface {
	// Open stores a as a new open alert of (a.RuleID, a.DeviceID), with its
	// opening in the history, unless an unresolved alert of that pair
	// exists: then nothing is written and that alert is returned with
	// opened=false. A unique index decides between concurrent callers (two
	// nodes never open the same alert twice). PartnerID, OrgID and SiteID
	// are filled from the device; an unknown device or rule is ErrNotFound.
	Open(ctx context.Context, a *domain.Alert) (out *domain.Alert, opened bool, err error)
	Get(ctx context.Context, s domain.Scope, id string) (*domain.Alert, error)
	// List is in id (opening) order.
	List(ctx context.Context, s domain.Scope, f AlertFilter, page domain.PageRequest) (domain.Page[*domain.Alert], error)
	// Transition moves the alert to u.To when its stored state is one of
	// from, bumps Version and records the change in the history, all in one
	// transaction. Another state: ErrConflict with the stored alert
	// returned alongside. Not visible in s: ErrNotFound.
	Transition(ctx context.Context, s domain.Scope, id string, from []domain.AlertState, u domain.AlertUpdate) (*domain.Alert, error)
	// Snooze sets (sn.Until non-zero) or clears the snooze of an
	// unresolved alert, bumps Version and records it in the history
	// (From == To, Action snoozed or unsnoozed), in one transaction. A
	// resolved alert: ErrConflict with the stored alert returned alongside.
	// Not visible in s: ErrNotFound.
	Snooze(ctx context.Context, s domain.Scope, id string, sn domain.AlertSnooze) (*domain.Alert, error)
	// History lists an alert's transitions, oldest first.
	History(ctx context.Context, s domain.Scope, alertID string) ([]domain.AlertTransition, error)
	// Unresolved lists the unresolved alerts of one device, or of every
	// device for rules of kind (deviceID empty), at most limit, oldest first
	// (system reads: the evaluator's warm-up and the offline sweep).
	Unresolved(ctx context.Context, deviceID, kind string, limit int) ([]*domain.Alert, error)

	// ClaimRemediation marks the alert's remediation pending at at, when
	// it has none yet and, since non-zero, no other alert of its (rule,
	// device) had a remediation run (AlertRemediation.Ran) after since:
	// one statement, so a retried task or a second node never runs it
	// twice. claimed=false when either holds. Unknown alert: ErrNotFound.
	ClaimRemediation(ctx context.Context, id string, at, since time.Time) (claimed bool, err error)
	// RecordRemediation sets the alert's latest remediation to r, bumps
	// Version and adds a history entry (From == To, Action "remediation",
	// Actor system) with note, in one transaction (resolved alerts too:
	// the outcome may arrive after the condition cleared).
	RecordRemediation(ctx context.Context, id string, r domain.AlertRemediation, note string) (*domain.Alert, error)
}
