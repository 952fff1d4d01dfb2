package api

import (
	"encoding/json"
	"time"

	"github.com/breeze-rmm/breeze/core/app/schedules"
	"github.com/breeze-rmm/breeze/core/domain"
)

// ScheduleTarget is where a schedule runs, resolved at every fire.
type ScheduleTarget struct {
	Kind string   `json:"kind" doc:"devices, group, site or org."`
	IDs  []string `json:"ids" doc:"Device ids, or the one group, site or org id."`
}

// ScheduleTask is what a schedule runs.
type ScheduleTask struct {
	Kind     string          `json:"kind" doc:"script, action or discovery."`
	ScriptID string          `json:"scriptId,omitempty" doc:"script: the library script."`
	Params   json.RawMessage `json:"params,omitempty" doc:"script: values by parameter name, checked against the script's parameters at save and at every fire."`
	Action   string          `json:"action,omitempty" doc:"action: a built-in agent action (not run_script)."`
	Payload  json.RawMessage `json:"payload,omitempty" doc:"action: its payload. discovery: {\"profileId\": ...}; the target is the profile's site (the body's target may be left out)."`
}

// Schedule runs a script or an action on a target on a cron expression or
// once, in a time zone.
type Schedule struct {
	ID            string         `json:"id"`
	PartnerID     string         `json:"partnerId"`
	OrgID         string         `json:"orgId,omitempty" doc:"Absent for a partner-wide schedule."`
	Name          string         `json:"name"`
	Description   string         `json:"description,omitempty"`
	Enabled       bool           `json:"enabled"`
	Timezone      string         `json:"timezone" doc:"An IANA time zone; the cron expression is read in it."`
	Cron          string         `json:"cron,omitempty" doc:"5 fields: minute hour day-of-month month day-of-week. A wall time a DST change skips fires once at the transition; a repeated one fires once, at its first occurrence."`
	RunAt         *time.Time     `json:"runAt,omitempty" doc:"A one-off fire time (exactly one of cron and runAt)."`
	Target        ScheduleTarget `json:"target"`
	Task          ScheduleTask   `json:"task"`
	OfflinePolicy string         `json:"offlinePolicy" doc:"skip (offline devices are left out) or when_online (queued, run if the device returns within graceMinutes, then expired)."`
	GraceMinutes  int            `json:"graceMinutes" doc:"0 to 10080: the when_online wait, and how late a fire missed while every server was down may still run (once)."`
	SpreadSeconds int            `json:"spreadSeconds" doc:"0 to 3600: every cron fire is delayed by this schedule's own fixed offset in [0, spreadSeconds), so many schedules on one cron do not all fire on the same second. nextFireAt includes it."`
	NextFireAt    *time.Time     `json:"nextFireAt,omitempty"`
	LastFireAt    *time.Time     `json:"lastFireAt,omitempty"`
	LastError     string         `json:"lastError,omitempty" doc:"Why the latest fire failed (script deleted, parameters no longer valid, permission gone)."`
	CreatedBy     string         `json:"createdBy" doc:"The user the schedule runs as."`
	CreatedAt     time.Time      `json:"createdAt"`
	UpdatedAt     time.Time      `json:"updatedAt"`
	Version       int64          `json:"version"`
}

// ScheduleRequest is the body of POST /schedules and PATCH /schedules/:id
// (a PATCH changes the fields it names; partnerId and orgId are POST only;
// version is PATCH only). Sending cron clears runAt and the reverse.
type ScheduleRequest struct {
	PartnerID     string          `json:"partnerId,omitempty" doc:"POST: the partner of a partner-wide schedule."`
	OrgID         string          `json:"orgId,omitempty" doc:"POST: the owning organization."`
	Name          *string         `json:"name,omitempty"`
	Description   *string         `json:"description,omitempty"`
	Enabled       *bool           `json:"enabled,omitempty" doc:"Default true; false pauses."`
	Timezone      *string         `json:"timezone,omitempty"`
	Cron          *string         `json:"cron,omitempty"`
	RunAt         *time.Time      `json:"runAt,omitempty"`
	Target        *ScheduleTarget `json:"target,omitempty"`
	Task          *ScheduleTask   `json:"task,omitempty"`
	OfflinePolicy *string         `json:"offlinePolicy,omitempty" doc:"Default skip."`
	GraceMinutes  *int            `json:"graceMinutes,omitempty"`
	SpreadSeconds *int            `json:"spreadSeconds,omitempty"`
	Version       int64           `json:"version,omitempty" doc:"PATCH: the version you read."`
}

// SchedulePreviewRequest is the body of POST /schedules/preview.
type SchedulePreviewRequest struct {
	Cron     string     `json:"cron,omitempty"`
	RunAt    *time.Time `json:"runAt,omitempty"`
	Timezone string     `json:"timezone"`
	Count    int        `json:"count,omitempty" doc:"1 to 20 (default 5)."`
	// The spread: a saved schedule's offset comes from its id; without
	// one the times are the cron's, and each fire lands up to
	// spreadSeconds after them.
	ScheduleID    string `json:"scheduleId,omitempty" doc:"An existing schedule: its spread offset is applied."`
	SpreadSeconds int    `json:"spreadSeconds,omitempty"`
}

// SchedulePreview lists the next fire times.
type SchedulePreview struct {
	FireTimes []time.Time `json:"fireTimes"`
}

// ScheduleFire is one fire of a schedule.
type ScheduleFire struct {
	ID          string         `json:"id"`
	ScheduleID  string         `json:"scheduleId"`
	FireAt      time.Time      `json:"fireAt" doc:"The scheduled time."`
	FiredAt     time.Time      `json:"firedAt"`
	Status      string         `json:"status" doc:"fired, skipped or failed."`
	Error       string         `json:"error,omitempty"`
	ScriptRunID string         `json:"scriptRunId,omitempty"`
	CommandIDs  []string       `json:"commandIds,omitempty"`
	ScanID      string         `json:"scanId,omitempty" doc:"discovery: the scan the fire started."`
	Counts      map[string]int `json:"counts,omitempty" doc:"The run's commands by status."`
	Total       int            `json:"total"`
}

func scheduleOut(sc *domain.Schedule) Schedule {
	task := ScheduleTask{Kind: string(sc.TaskKind), ScriptID: sc.ScriptID, Action: sc.Action}
	if sc.TaskKind == domain.ScheduleTaskScript {
		task.Params = sc.Params
	} else {
		task.Payload = sc.Payload
	}
	return Schedule{ID: sc.ID, PartnerID: sc.PartnerID, OrgID: sc.OrgID, Name: sc.Name, Description: sc.Description,
		Enabled: sc.Enabled, Timezone: sc.TimeZone, Cron: sc.Cron, RunAt: sc.RunAt,
		Target: ScheduleTarget{Kind: string(sc.TargetKind), IDs: nonNil(sc.TargetIDs)}, Task: task,
		OfflinePolicy: string(sc.Offline), GraceMinutes: sc.GraceMinutes, SpreadSeconds: sc.SpreadSeconds, NextFireAt: sc.NextFireAt, LastFireAt: sc.LastFireAt,
		LastError: sc.LastError, CreatedBy: sc.CreatedBy, CreatedAt: sc.CreatedAt.UTC(), UpdatedAt: sc.UpdatedAt.UTC(),
		Version: sc.Version}
}

func (s Schedule) resourceID() string { return s.ID }

func fireOut(f *schedules.FireView) ScheduleFire {
	out := ScheduleFire{ID: f.ID, ScheduleID: f.ScheduleID, FireAt: f.FireAt.UTC(), FiredAt: f.FiredAt.UTC(),
		Status: string(f.Status), Error: f.Error, ScriptRunID: f.ScriptRunID, CommandIDs: f.CommandIDs, ScanID: f.ScanID,
		Total: f.Total}
	if f.Counts != nil {
		out.Counts = map[string]int{}
		for k, v := range f.Counts {
			out.Counts[string(k)] = v
		}
	}
	return out
}

// scheduleIn builds a new schedule from a POST body.
func scheduleIn(in ScheduleRequest) (*domain.Schedule, error) {
	if in.Version != 0 {
		return nil, domain.Invalidf("version is for PATCH")
	}
	if in.Name == nil || in.Timezone == nil || in.Task == nil ||
		in.Target == nil && in.Task.Kind != string(domain.ScheduleTaskDiscovery) {
		return nil, domain.Invalidf("name, timezone, target and task are required")
	}
	if in.Target == nil {
		in.Target = &ScheduleTarget{} // a discovery schedule's is the profile's site
	}
	sc := &domain.Schedule{PartnerID: in.PartnerID, OrgID: in.OrgID, Name: *in.Name, Enabled: true, TimeZone: *in.Timezone,
		RunAt: in.RunAt, Offline: domain.OfflineSkip}
	if in.Description != nil {
		sc.Description = *in.Description
	}
	if in.Enabled != nil {
		sc.Enabled = *in.Enabled
	}
	if in.Cron != nil {
		sc.Cron = *in.Cron
	}
	if in.OfflinePolicy != nil {
		sc.Offline = domain.OfflinePolicy(*in.OfflinePolicy)
	}
	if in.GraceMinutes != nil {
		sc.GraceMinutes = *in.GraceMinutes
	}
	if in.SpreadSeconds != nil {
		sc.SpreadSeconds = *in.SpreadSeconds
	}
	sc.TargetKind, sc.TargetIDs = domain.RunTargetKind(in.Target.Kind), in.Target.IDs
	sc.TaskKind, sc.ScriptID, sc.Params = domain.ScheduleTaskKind(in.Task.Kind), in.Task.ScriptID, in.Task.Params
	sc.Action, sc.Payload = in.Task.Action, in.Task.Payload
	return sc, nil
}

// schedulePatch builds a PATCH.
func schedulePatch(in ScheduleRequest) (schedules.Patch, error) {
	if in.PartnerID != "" || in.OrgID != "" {
		return schedules.Patch{}, domain.Invalidf("a schedule's owner never changes (partnerId and orgId are for POST)")
	}
	if err := requireVersion(in.Version); err != nil {
		return schedules.Patch{}, err
	}
	p := schedules.Patch{Name: in.Name, Description: in.Description, Enabled: in.Enabled, TimeZone: in.Timezone,
		Cron: in.Cron, RunAt: in.RunAt, GraceMinutes: in.GraceMinutes, SpreadSeconds: in.SpreadSeconds, Version: in.Version}
	if in.OfflinePolicy != nil {
		o := domain.OfflinePolicy(*in.OfflinePolicy)
		p.Offline = &o
	}
	if in.Target != nil {
		k, ids := domain.RunTargetKind(in.Target.Kind), in.Target.IDs
		p.TargetKind, p.TargetIDs = &k, &ids
	}
	if in.Task != nil {
		// A task is replaced whole.
		k := domain.ScheduleTaskKind(in.Task.Kind)
		sid, act := in.Task.ScriptID, in.Task.Action
		params, payload := in.Task.Params, in.Task.Payload
		p.TaskKind, p.ScriptID, p.Action, p.Params, p.Payload = &k, &sid, &act, &params, &payload
	}
	return p, nil
}
