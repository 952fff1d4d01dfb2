package alerts

import (
	"encoding/json"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Template is a ready-made rule: the editor offers them as starting
// points, and every organization starts with them as its own rules
// (SeedOrg).
type Template struct {
	ID          string
	Name        string
	Description string
	Severity    domain.Severity
	Kind        string
	Params      json.RawMessage
}

// Templates are the defaults (issue 14): what most fleets want watched
// from day one. Severities: a device out of contact or a disk about to
// fill stops work (critical); load, memory and failures of a unit or a
// plugin want a look (warning). Every entry must compile (a test checks).
var Templates = []Template{
	{ID: "offline", Name: "Device offline", Severity: domain.SeverityCritical, Kind: "device_offline",
		Description: "The device has not been in contact for more than 10 minutes.",
		Params:      json.RawMessage(`{"minutes":10}`)},
	{ID: "cpu", Name: "High CPU", Severity: domain.SeverityWarning, Kind: "metric_threshold",
		Description: "CPU above 90 % for 15 minutes; clears below 80 %.",
		Params:      json.RawMessage(`{"metric":"cpu","comparator":">","threshold":90,"durationSeconds":900,"clearThreshold":80}`)},
	{ID: "memory", Name: "High memory", Severity: domain.SeverityWarning, Kind: "metric_threshold",
		Description: "Memory above 95 % for 10 minutes; clears below 90 %.",
		Params:      json.RawMessage(`{"metric":"memory","comparator":">","threshold":95,"durationSeconds":600,"clearThreshold":90}`)},
	{ID: "disk", Name: "Disk almost full", Severity: domain.SeverityCritical, Kind: "metric_threshold",
		Description: "Any filesystem above 90 % used for 5 minutes; clears below 85 %.",
		Params:      json.RawMessage(`{"metric":"disk","comparator":">","threshold":90,"durationSeconds":300,"clearThreshold":85}`)},
	{ID: "failed-units", Name: "Failed systemd units", Severity: domain.SeverityWarning, Kind: "inventory_fact",
		Description: "The failed-units collector (breeze.failedunits) reports at least one failed systemd unit; clears when a later report has none.",
		Params:      json.RawMessage(`{"source":"fact","plugin":"breeze.failedunits","key":"systemd.failed_count","op":">","value":"0"}`)},
	{ID: "plugin-failed", Name: "Agent plugin failed", Severity: domain.SeverityWarning, Kind: "plugin_failed",
		Description: "An agent plugin on the device is in state failed; clears when none is.",
		Params:      json.RawMessage(`{}`)},
}

// rule is the template as an enabled rule of orgID watching that org.
func (t Template) rule(orgID string) *domain.AlertRule {
	return &domain.AlertRule{OrgID: orgID, Name: t.Name, Description: t.Description, Enabled: true, Severity: t.Severity,
		Kind: t.Kind, Params: append(json.RawMessage(nil), t.Params...), ScopeKind: domain.AlertScopeOrg, ScopeIDs: []string{orgID},
		CreatedBy: domain.AlertActorSystem}
}
