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
}

// AlertTransition is one entry of an alert's history.
type AlertTransition struct {
	From  string    `json:"from,omitempty"`
	To    string    `json:"to"`
	Actor string    `json:"actor"`
	Note  string    `json:"note,omitempty"`
	At    time.Time `json:"at"`

	Action string     `json:"action,omitempty" doc:"snoozed or unsnoozed: an entry that changes no state."`
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
		Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func (r AlertRule) resourceID() string { return r.ID }

func ruleIn(in AlertRuleRequest) *domain.AlertRule {
	enabled := in.Enabled == nil || *in.Enabled
	return &domain.AlertRule{PartnerID: in.PartnerID, OrgID: in.OrgID, Name: in.Name, Description: in.Description,
		Enabled: enabled, Severity: domain.Severity(in.Severity), Kind: in.Kind, Params: in.Params,
		ScopeKind: domain.AlertScopeKind(in.ScopeKind), ScopeIDs: in.ScopeIDs, ExcludeDeviceIDs: in.ExcludeDeviceIDs,
		RenotifySeconds: in.RenotifySeconds, Version: in.Version}
}

func alertOut(a *domain.Alert) Alert {
	return Alert{ID: a.ID, PartnerID: a.PartnerID, OrgID: a.OrgID, SiteID: a.SiteID, DeviceID: a.DeviceID, RuleID: a.RuleID,
		Kind: a.Kind, Severity: string(a.Severity), State: string(a.State), Message: a.Message, Value: a.Value,
		OpenedAt: a.OpenedAt.UTC(), AcknowledgedAt: optTime(a.AcknowledgedAt), AcknowledgedBy: a.AcknowledgedBy,
		ResolvedAt: optTime(a.ResolvedAt), ResolvedBy: a.ResolvedBy, Note: a.Note, SnoozedUntil: optTime(a.SnoozedUntil),
		InMaintenance: !a.MaintenanceUntil.IsZero(), MaintenanceUntil: optTime(a.MaintenanceUntil), Version: a.Version}
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
