package schedules

import (
	"context"
	"encoding/json"
	"time"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/app/commands/actions"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Resource is the audit resource type.
const Resource = "schedule"

// Permissions: schedules are read with scripts:read and written with
// scripts:write; saving one also needs what running it needs over its
// target (checked again at every fire, as the creator).
const (
	permRead  = domain.PermScriptsRead
	permWrite = domain.PermScriptsWrite
)

// Limits.
const (
	MaxPreview     = 20
	DefaultPreview = 5
	maxTargetIDs   = 10_000
	maxJSON        = 64 << 10
)

// Patch is a partial change of a schedule (nil: unchanged). Version is
// required.
type Patch struct {
	Name, Description *string
	Enabled           *bool
	TimeZone          *string
	Cron              *string
	RunAt             *time.Time
	ClearRunAt        bool // runAt: null (switching to cron)
	TargetKind        *domain.RunTargetKind
	TargetIDs         *[]string
	TaskKind          *domain.ScheduleTaskKind
	ScriptID          *string
	Params            *json.RawMessage
	Action            *string
	Payload           *json.RawMessage
	Offline           *domain.OfflinePolicy
	GraceMinutes      *int
	SpreadSeconds     *int
	Version           int64
}

// CreateSchedule validates and stores a schedule owned by sc.OrgID (or
// partner-wide in sc.PartnerID), created by the caller, and computes its
// first fire.
func (s *Service) CreateSchedule(ctx context.Context, p *domain.Principal, sc *domain.Schedule) (*domain.Schedule, error) {
	audit.SetResource(ctx, Resource, "", sc.PartnerID, sc.OrgID)
	if sc.ID == "" {
		sc.ID = domain.NewID() // secrets are sealed for this id
	}
	if err := s.validate(ctx, p, sc); err != nil {
		return nil, err
	}
	sc.CreatedBy, sc.LastError = p.UserID, ""
	s.schedule(sc)
	if err := s.d.Store.Schedules().Create(ctx, p.ScopeFor(permWrite), sc); err != nil {
		return nil, err
	}
	audit.SetResource(ctx, Resource, sc.ID, sc.PartnerID, sc.OrgID)
	return Redacted(sc), nil
}

// schedule sets NextFireAt: the first fire after now when enabled.
func (s *Service) schedule(sc *domain.Schedule) {
	sc.NextFireAt = nil
	if !sc.Enabled {
		return
	}
	tm, err := Compile(sc)
	if err != nil {
		return
	}
	// A one-off saved a moment after its time (the validation allows
	// OnTime) still fires.
	from := s.d.Clock.Now().Add(-time.Second)
	if sc.RunAt != nil {
		from = s.d.Clock.Now().Add(-OnTime)
	}
	if at, ok := tm.Next(from); ok {
		sc.NextFireAt = &at
	}
}

// GetSchedule returns a schedule the caller may read.
func (s *Service) GetSchedule(ctx context.Context, p *domain.Principal, id string) (*domain.Schedule, error) {
	sc, err := s.d.Store.Schedules().Get(ctx, p.ScopeFor(permRead), id)
	return Redacted(sc), err
}

// ListSchedules lists the schedules the caller may read.
func (s *Service) ListSchedules(ctx context.Context, p *domain.Principal, f ports.ScheduleFilter, page domain.PageRequest) (domain.Page[*domain.Schedule], error) {
	pg, err := s.d.Store.Schedules().List(ctx, p.ScopeFor(permRead), f, page)
	for i, sc := range pg.Items {
		pg.Items[i] = Redacted(sc)
	}
	return pg, err
}

// UpdateSchedule applies a patch at its version. The owner and the
// creator it runs as never change (the editor's reach is checked now, the
// creator's at every fire). Resuming a paused schedule fires from now on, never
// the fires it missed while paused.
func (s *Service) UpdateSchedule(ctx context.Context, p *domain.Principal, id string, in Patch) (*domain.Schedule, error) {
	cur, err := s.d.Store.Schedules().Get(ctx, p.ScopeFor(permWrite), id)
	if err != nil {
		return nil, err
	}
	audit.SetResource(ctx, Resource, cur.ID, cur.PartnerID, cur.OrgID)
	sc := *cur
	apply(&sc, in)
	if in.Params != nil {
		sc.Params = keepSecrets(sc.Params, cur.Params)
	}
	if err := s.validate(ctx, p, &sc); err != nil {
		return nil, err
	}
	sc.LastError = ""
	s.schedule(&sc)
	out, err := s.d.Store.Schedules().Update(ctx, p.ScopeFor(permWrite), &sc)
	if err != nil {
		return nil, err
	}
	return Redacted(out), nil
}

func apply(sc *domain.Schedule, in Patch) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&sc.Name, in.Name)
	set(&sc.Description, in.Description)
	set(&sc.TimeZone, in.TimeZone)
	set(&sc.ScriptID, in.ScriptID)
	set(&sc.Action, in.Action)
	if in.Enabled != nil {
		sc.Enabled = *in.Enabled
	}
	if in.Cron != nil {
		sc.Cron = *in.Cron
		if *in.Cron != "" && in.RunAt == nil {
			sc.RunAt = nil
		}
	}
	if in.ClearRunAt {
		sc.RunAt = nil
	}
	if in.RunAt != nil {
		at := *in.RunAt
		sc.RunAt = &at
		if in.Cron == nil {
			sc.Cron = ""
		}
	}
	if in.TargetKind != nil {
		sc.TargetKind = *in.TargetKind
	}
	if in.TargetIDs != nil {
		sc.TargetIDs = *in.TargetIDs
	}
	if in.TaskKind != nil {
		sc.TaskKind = *in.TaskKind
	}
	if in.Params != nil {
		sc.Params = *in.Params
	}
	if in.Payload != nil {
		sc.Payload = *in.Payload
	}
	if in.Offline != nil {
		sc.Offline = *in.Offline
	}
	if in.GraceMinutes != nil {
		sc.GraceMinutes = *in.GraceMinutes
	}
	if in.SpreadSeconds != nil {
		sc.SpreadSeconds = *in.SpreadSeconds
	}
	sc.Version = in.Version
}

// DeleteSchedule removes a schedule and its history.
func (s *Service) DeleteSchedule(ctx context.Context, p *domain.Principal, id string) error {
	scope := p.ScopeFor(permWrite)
	sc, err := s.d.Store.Schedules().Get(ctx, scope, id)
	if err != nil {
		return err
	}
	audit.SetResource(ctx, Resource, sc.ID, sc.PartnerID, sc.OrgID)
	return s.d.Store.Schedules().Delete(ctx, scope, id)
}

// Preview lists the next count fires of a timing (sc's Cron or RunAt,
// TimeZone, and its spread when sc.ID names it) after now.
func (s *Service) Preview(ctx context.Context, p *domain.Principal, sc *domain.Schedule, count int) ([]time.Time, error) {
	if count == 0 {
		count = DefaultPreview
	}
	if count < 1 || count > MaxPreview {
		return nil, domain.Invalidf("count is 1 to %d", MaxPreview)
	}
	if sc.SpreadSeconds < 0 || sc.SpreadSeconds > domain.MaxScheduleSpreadSeconds {
		return nil, domain.Invalidf("spreadSeconds is 0 to %d", domain.MaxScheduleSpreadSeconds)
	}
	tm, err := Compile(&domain.Schedule{ID: sc.ID, Cron: sc.Cron, RunAt: sc.RunAt, TimeZone: sc.TimeZone,
		SpreadSeconds: sc.SpreadSeconds})
	if err != nil {
		return nil, err
	}
	out := tm.Upcoming(s.d.Clock.Now(), count)
	if out == nil {
		out = []time.Time{}
	}
	return out, nil
}

// FireView is a fire with its run's progress.
type FireView struct {
	*domain.ScheduleFire
	Counts domain.RunCounts // nil: unknown (no run, or the caller may not read it)
	Total  int
}

// ListFires lists a schedule's fires, newest first, with their counts.
func (s *Service) ListFires(ctx context.Context, p *domain.Principal, id string, page domain.PageRequest) (domain.Page[*FireView], error) {
	if _, err := s.d.Store.Schedules().Get(ctx, p.ScopeFor(permRead), id); err != nil {
		return domain.Page[*FireView]{}, err
	}
	fs, err := s.d.Store.Schedules().ListFires(ctx, id, page)
	if err != nil {
		return domain.Page[*FireView]{}, err
	}
	out := domain.Page[*FireView]{NextCursor: fs.NextCursor, Items: make([]*FireView, len(fs.Items))}
	for i, f := range fs.Items {
		v := &FireView{ScheduleFire: f}
		switch {
		case f.ScriptRunID != "":
			if rv, err := s.d.Scripts.GetRun(ctx, p, f.ScriptRunID); err == nil {
				v.Counts, v.Total = rv.Counts, rv.Total
			}
		case len(f.CommandIDs) > 0:
			v.Total, v.Counts = len(f.CommandIDs), domain.RunCounts{}
			for _, cid := range f.CommandIDs[:min(len(f.CommandIDs), 200)] {
				if c, err := s.d.Commands.Get(ctx, p, cid); err == nil {
					v.Counts[c.Status]++
				}
			}
		}
		out.Items[i] = v
	}
	return out, nil
}

// validate checks a schedule's fields, that its target lies in its owner
// and in the caller's reach for running it (else ErrNotFound: no oracle),
// and its task (the script readable by the caller with valid parameters,
// or a known action with a valid payload).
func (s *Service) validate(ctx context.Context, p *domain.Principal, sc *domain.Schedule) error {
	if len(sc.Description) > 4000 {
		return domain.Invalidf("description longer than 4000 bytes")
	}
	if _, err := Compile(sc); err != nil {
		return err
	}
	if sc.RunAt != nil && sc.Enabled && sc.RunAt.Before(s.d.Clock.Now().Add(-OnTime)) {
		return domain.Invalidf("runAt is in the past")
	}
	switch sc.Offline {
	case domain.OfflineSkip:
	case domain.OfflineWhenOnline:
		if sc.GraceMinutes < 1 {
			return domain.Invalidf("offlinePolicy when_online needs graceMinutes of at least 1 (how long to wait for a device)")
		}
	default:
		return domain.Invalidf("offlinePolicy is skip or when_online")
	}
	if sc.GraceMinutes < 0 || sc.GraceMinutes > domain.MaxScheduleGraceMinutes {
		return domain.Invalidf("graceMinutes is 0 to %d", domain.MaxScheduleGraceMinutes)
	}
	if sc.SpreadSeconds < 0 || sc.SpreadSeconds > domain.MaxScheduleSpreadSeconds {
		return domain.Invalidf("spreadSeconds is 0 to %d", domain.MaxScheduleSpreadSeconds)
	}
	if len(sc.TargetIDs) > maxTargetIDs {
		return domain.Invalidf("at most %d target ids", maxTargetIDs)
	}
	// The owner: an org, or a partner the caller writes.
	partnerID := sc.PartnerID
	if sc.OrgID != "" {
		o, err := s.d.Store.Orgs().Get(ctx, p.ScopeFor(permWrite), sc.OrgID)
		if err != nil {
			return err
		}
		partnerID = o.PartnerID
	} else if partnerID == "" {
		return domain.Invalidf("name the owner: orgId, or partnerId for a partner-wide schedule")
	}
	if sc.TaskKind == domain.ScheduleTaskDiscovery {
		return s.validateDiscovery(ctx, p, sc)
	}
	perm := domain.PermDevicesExecute
	switch sc.TaskKind {
	case domain.ScheduleTaskScript:
		if sc.Action != "" || len(sc.Payload) > 0 && string(sc.Payload) != "{}" {
			return domain.Invalidf("a script task has scriptId and params, not action or payload")
		}
	case domain.ScheduleTaskAction:
		spec, ok := actions.Lookup(sc.Action)
		if !ok {
			return domain.Invalidf("unknown action %q", domain.Abbrev(sc.Action, 64))
		}
		if spec.RunsScriptCode {
			return domain.Invalidf("action %s runs script code: schedule a library script (task kind script) instead", sc.Action)
		}
		if sc.ScriptID != "" || len(sc.Params) > 0 && string(sc.Params) != "{}" {
			return domain.Invalidf("an action task has action and payload, not scriptId or params")
		}
		perm = spec.Permission
	default:
		return domain.Invalidf("task.kind is script, action or discovery")
	}
	orgs, err := s.checkTarget(ctx, p.ScopeFor(perm), partnerID, sc.OrgID, sc.TargetKind, sc.TargetIDs)
	if err != nil {
		return err
	}
	switch sc.TaskKind {
	case domain.ScheduleTaskScript:
		values, err := object("params", sc.Params)
		if err != nil {
			return err
		}
		script, err := s.d.Scripts.CheckRunParams(ctx, p, sc.ScriptID, values)
		if err != nil {
			return err
		}
		for _, org := range orgs {
			if script.PartnerID != partnerID || (script.OrgID != "" && script.OrgID != org.id) {
				return domain.NotFoundf("script not found")
			}
			if !p.HoldsAt(org.unit, domain.PermDevicesExecute, domain.PermScriptsRead) {
				return domain.NotFoundf("target not found")
			}
		}
		if err := s.sealParams(sc, script, values); err != nil {
			return err
		}
		if sc.Params == nil {
			sc.Params = json.RawMessage("{}")
		}
	case domain.ScheduleTaskAction:
		if len(sc.Payload) > maxJSON {
			return domain.Invalidf("payload longer than %d bytes", maxJSON)
		}
		spec, _ := actions.Lookup(sc.Action)
		payload := sc.Payload
		if len(payload) == 0 {
			payload = json.RawMessage("null")
		}
		if err := spec.Check(payload); err != nil {
			return err
		}
		if len(sc.Payload) == 0 {
			sc.Payload = json.RawMessage("{}")
		}
	}
	return nil
}

// object decodes a JSON object field.
func object(name string, raw json.RawMessage) (map[string]any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	if len(raw) > maxJSON {
		return nil, domain.Invalidf("%s longer than %d bytes", name, maxJSON)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, domain.Invalidf("%s must be a JSON object", name)
	}
	return m, nil
}

type targetOrg struct {
	id   string
	unit domain.Unit
}

// checkTarget checks the target exists within scope and inside the
// schedule's owner (one org); it returns the org(s) it lies in.
func (s *Service) checkTarget(ctx context.Context, scope domain.Scope, partnerID, orgID string, kind domain.RunTargetKind, ids []string) ([]targetOrg, error) {
	var out []targetOrg
	add := func(pid, oid, sid string) error {
		if pid != partnerID || (orgID != "" && oid != orgID) {
			return domain.NotFoundf("target not found")
		}
		if len(out) > 0 && out[0].id != oid {
			return domain.Invalidf("a schedule targets the devices of one organization")
		}
		out = append(out, targetOrg{id: oid, unit: domain.Unit{PartnerID: pid, OrgID: oid, SiteID: sid}})
		return nil
	}
	if kind != domain.TargetDevices && len(ids) != 1 {
		return nil, domain.Invalidf("target.ids holds exactly one id for a %s target", kind)
	}
	var err error
	switch kind {
	case domain.TargetDevices:
		if len(ids) == 0 {
			return nil, domain.Invalidf("target.ids names at least one device")
		}
		for _, id := range ids {
			d, err := s.d.Store.Devices().Get(ctx, scope, id)
			if err != nil {
				return nil, err
			}
			if err := add(d.PartnerID, d.OrgID, d.SiteID); err != nil {
				return nil, err
			}
		}
	case domain.TargetGroup:
		g, gerr := s.d.Store.DeviceGroups().Get(ctx, scope, ids[0])
		if gerr != nil {
			return nil, gerr
		}
		err = add(g.PartnerID, g.OrgID, g.SiteID)
	case domain.TargetSite:
		st, gerr := s.d.Store.Sites().Get(ctx, scope, ids[0])
		if gerr != nil {
			return nil, gerr
		}
		err = add(st.PartnerID, st.OrgID, st.ID)
	case domain.TargetOrg:
		o, gerr := s.d.Store.Orgs().Get(ctx, scope, ids[0])
		if gerr != nil {
			return nil, gerr
		}
		err = add(o.PartnerID, o.ID, "")
	default:
		return nil, domain.Invalidf("target.kind is devices, group, site or org")
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}
