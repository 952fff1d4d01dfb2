package api

import (
	"encoding/json"
	"time"

	"github.com/breeze-rmm/breeze/core/app/alerts"
	"github.com/breeze-rmm/breeze/core/domain"
)

// AlertRule turns a condition on a device into an alert.
type AlertRule struct {
	ID               string          `json:"id"`
	PartnerID        string          `json:"partnerId"`
	OrgID            string          `json:"orgId,omitempty" doc:"Absent for a partner-wide rule."`
	Name             string          `json:"name"`
	Description      string          `json:"description"`
	Enabled          bool            `json:"enabled"`
	Severity         string          `json:"severity" doc:"info, warning or critical."`
	Kind             string          `json:"kind" doc:"metric_threshold, device_offline, inventory_fact, command_failed or plugin_failed (core/app/alerts/conditions)."`
	Params           json.RawMessage `json:"params"`
	ScopeKind        string          `json:"scopeKind" doc:"partner, org, site, group or devices."`
	ScopeIDs         []string        `json:"scopeIds"`
	ExcludeDeviceIDs []string        `json:"excludeDeviceIds"`
	RenotifySeconds  int             `json:"renotifySeconds"`
	Version          int64           `json:"version"`
	CreatedAt        time.Time       `json:"createdAt"`
	UpdatedAt        time.Time       `json:"updatedAt"`

	// Self-healing (docs/alerts.md, "Remediation").
	Remediation           *Remediation `json:"remediation,omitempty" doc:"Runs on the alerting device when an alert of the rule opens."`
	RemediationEveryHours int          `json:"remediationEveryHours" doc:"0: on every opening; N: at most once per N hours per (rule, device)."`
	RemediationBy         string       `json:"remediationBy,omitempty" doc:"The user whose run permission the remediation uses (who last saved it)."`
}

// Remediation is what a rule runs when one of its alerts opens: a library
// script with parameter values, or a built-in agent action with its payload.
type Remediation struct {
	Kind     string          `json:"kind" doc:"script or action."`
	ScriptID string          `json:"scriptId,omitempty" doc:"kind script: the script (of the rule's org or partner-wide)."`
	Params   map[string]any  `json:"params,omitempty" doc:"kind script: values by parameter name (no secrets)."`
	Action   string          `json:"action,omitempty" doc:"kind action: a built-in agent action."`
	Payload  json.RawMessage `json:"payload,omitempty" doc:"kind action: the action's payload."`
}

// AlertRemediation is the latest remediation of an alert.
type AlertRemediation struct {
	CommandID   string    `json:"commandId,omitempty"`
	ScriptRunID string    `json:"scriptRunId,omitempty"`
	Status      string    `json:"status" doc:"pending, started, succeeded, failed, refused or skipped."`
	At          time.Time `json:"at"`
}

// AlertRuleRequest is the body of POST /alert-rules and PATCH /alert-rules/:id
// (a PATCH replaces every mutable field; partnerId and orgId are POST only).
type AlertRuleRequest struct {
	PartnerID        string          `json:"partnerId,omitempty"`
	OrgID            string          `json:"orgId,omitempty"`
	Name             string          `json:"name"`
	Description      string          `json:"description,omitempty"`
	Enabled          *bool           `json:"enabled,omitempty" doc:"Default true."`
	Severity         string          `json:"severity"`
	Kind             string          `json:"kind"`
	Params           json.RawMessage `json:"params"`
	ScopeKind        string          `json:"scopeKind"`
	ScopeIDs         []string        `json:"scopeIds,omitempty"`
	ExcludeDeviceIDs []string        `json:"excludeDeviceIds,omitempty"`
	RenotifySeconds  int             `json:"renotifySeconds,omitempty"`
	Version          int64           `json:"version,omitempty" doc:"PATCH: the version you read."`

	Remediation           *Remediation `json:"remediation,omitempty" doc:"Absent or null: none. Saving one needs the run permission over the rule's scope."`
	RemediationEveryHours int          `json:"remediationEveryHours,omitempty" doc:"0..8760."`
}

// Alert is one rule firing on one device.
type Alert struct {
	ID             string            `json:"id"`
	PartnerID      string            `json:"partnerId"`
	OrgID          string            `json:"orgId"`
	SiteID         string            `json:"siteId"`
	DeviceID       string            `json:"deviceId"`
	RuleID         string            `json:"ruleId"`
	Kind           string            `json:"kind"`
	Severity       string            `json:"severity"`
	State          string            `json:"state"`
	Message        string            `json:"message"`
	Value          float64           `json:"value"`
	OpenedAt       time.Time         `json:"openedAt"`
	AcknowledgedAt *time.Time        `json:"acknowledgedAt,omitempty"`
	AcknowledgedBy string            `json:"acknowledgedBy,omitempty"`
	ResolvedAt     *time.Time        `json:"resolvedAt,omitempty"`
	ResolvedBy     string            `json:"resolvedBy,omitempty"`
	Note           string            `json:"note,omitempty"`
	Version        int64             `json:"version"`
	History        []AlertTransition `json:"history,omitempty"`

	// Notification holds: a snooze (stored), a maintenance window covering
	// the device (computed when read).
	SnoozedUntil     *time.Time `json:"snoozedUntil,omitempty" doc:"Notifications are held until then."`
	InMaintenance    bool       `json:"inMaintenance" doc:"A maintenance window covers the device: notifications are held."`
	MaintenanceUntil *time.Time `json:"maintenanceUntil,omitempty"`

	Remediation *AlertRemediation `json:"remediation,omitempty" doc:"The latest remediation run for this alert."`
}

// AlertTransition is one entry of an alert's history.
type AlertTransition struct {
	From  string    `json:"from,omitempty"`
	To    string    `json:"to"`
	Actor string    `json:"actor"`
	Note  string    `json:"note,omitempty"`
	At    time.Time `json:"at"`

	Action string     `json:"action,omitempty" doc:"snoozed, unsnoozed or remediation: an entry that changes no state."`
	Until  *time.Time `json:"until,omitempty" doc:"snoozed: the snooze end."`
}

// SnoozeAlertRequest is the body of POST /alerts/:id/snooze.
type SnoozeAlertRequest struct {
	Until time.Time `json:"until" doc:"RFC 3339, in the future, at most 30 days ahead."`
	Note  string    `json:"note,omitempty"`
}

// ResolveAlertRequest is the body of POST /alerts/:id/resolve.
type ResolveAlertRequest struct {
	Note string `json:"note,omitempty"`
}

func ruleOut(r *domain.AlertRule) AlertRule {
	return AlertRule{ID: r.ID, PartnerID: r.PartnerID, OrgID: r.OrgID, Name: r.Name, Description: r.Description,
		Enabled: r.Enabled, Severity: string(r.Severity), Kind: r.Kind, Params: r.Params, ScopeKind: string(r.ScopeKind),
		ScopeIDs: nonNil(r.ScopeIDs), ExcludeDeviceIDs: nonNil(r.ExcludeDeviceIDs), RenotifySeconds: r.RenotifySeconds,
		Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Remediation: remediationOut(r.Remediation), RemediationEveryHours: r.RemediationEveryHours, RemediationBy: r.RemediationBy}
}

func remediationOut(r *domain.AlertRemediationSpec) *Remediation {
	if r == nil {
		return nil
	}
	return &Remediation{Kind: r.Kind, ScriptID: r.ScriptID, Params: r.Params, Action: r.Action, Payload: r.Payload}
}

func remediationIn(r *Remediation) *domain.AlertRemediationSpec {
	if r == nil {
		return nil
	}
	return &domain.AlertRemediationSpec{Kind: r.Kind, ScriptID: r.ScriptID, Params: r.Params, Action: r.Action, Payload: r.Payload}
}

func (r AlertRule) resourceID() string { return r.ID }

func ruleIn(in AlertRuleRequest) *domain.AlertRule {
	enabled := in.Enabled == nil || *in.Enabled
	return &domain.AlertRule{PartnerID: in.PartnerID, OrgID: in.OrgID, Name: in.Name, Description: in.Description,
		Enabled: enabled, Severity: domain.Severity(in.Severity), Kind: in.Kind, Params: in.Params,
		ScopeKind: domain.AlertScopeKind(in.ScopeKind), ScopeIDs: in.ScopeIDs, ExcludeDeviceIDs: in.ExcludeDeviceIDs,
		RenotifySeconds: in.RenotifySeconds, Version: in.Version,
		RemediationFields: domain.RemediationFields{Remediation: remediationIn(in.Remediation), RemediationEveryHours: in.RemediationEveryHours}}
}

func alertOut(a *domain.Alert) Alert {
	return Alert{ID: a.ID, PartnerID: a.PartnerID, OrgID: a.OrgID, SiteID: a.SiteID, DeviceID: a.DeviceID, RuleID: a.RuleID,
		Kind: a.Kind, Severity: string(a.Severity), State: string(a.State), Message: a.Message, Value: a.Value,
		OpenedAt: a.OpenedAt.UTC(), AcknowledgedAt: optTime(a.AcknowledgedAt), AcknowledgedBy: a.AcknowledgedBy,
		ResolvedAt: optTime(a.ResolvedAt), ResolvedBy: a.ResolvedBy, Note: a.Note, SnoozedUntil: optTime(a.SnoozedUntil),
		InMaintenance: !a.MaintenanceUntil.IsZero(), MaintenanceUntil: optTime(a.MaintenanceUntil), Version: a.Version,
		Remediation: alertRemediationOut(a.Remediation)}
}

func alertRemediationOut(r domain.AlertRemediation) *AlertRemediation {
	if r.Status == "" {
		return nil
	}
	return &AlertRemediation{CommandID: r.CommandID, ScriptRunID: r.ScriptRunID, Status: r.Status, At: r.At.UTC()}
}

func alertDetailOut(a *alerts.Alert) Alert {
	out := alertOut(a.Alert)
	out.History = make([]AlertTransition, 0, len(a.History))
	for _, h := range a.History {
		out.History = append(out.History, AlertTransition{From: string(h.From), To: string(h.To), Actor: h.Actor, Note: h.Note,
			At: h.At.UTC(), Action: h.Action, Until: optTime(h.Until)})
	}
	return out
}
