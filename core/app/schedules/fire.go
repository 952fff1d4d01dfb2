package schedules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/breeze-rmm/breeze/core/app/commands"
	"github.com/breeze-rmm/breeze/core/app/scripts"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// errInterrupted marks a fire claimed by a worker that died before it
// recorded the outcome: the work may or may not have started.
const errInterrupted = "the fire was interrupted before its outcome was recorded (a node stopped); check the script run or commands"

// onFire makes one fire: it claims the (schedule, fire time) row, then runs
// the task as the schedule's creator and records the outcome on the fire
// and the schedule. A second attempt of a claimed fire does nothing.
func (s *Service) onFire(ctx context.Context, t ports.Task) error {
	var ft fireTask
	if err := json.Unmarshal(t.Payload, &ft); err != nil {
		return ports.SkipRetry(err)
	}
	sc, err := s.d.Store.Schedules().GetSystem(ctx, ft.ScheduleID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil // deleted since
	}
	if err != nil {
		return err
	}
	if !sc.Enabled {
		return nil // paused since
	}
	f, err := s.claim(ctx, sc, ft.FireAt)
	if err != nil || f == nil {
		return err
	}
	switch {
	case ft.Stale:
		f.Status, f.Error = domain.FireSkipped, fmt.Sprintf("missed while every server was down (or the clock jumped): "+
			"%d fire(s) late by more than the grace of %d minutes; not run", ft.Skipped+1, sc.GraceMinutes)
	default:
		f.Status, f.Error = s.run(ctx, sc, f)
		if f.Status != domain.FireFailed && ft.Missed && ft.Skipped > 0 {
			f.Error = fmt.Sprintf("catch-up fire: %d older missed fire(s) not run", ft.Skipped)
		}
	}
	if err := s.d.Store.Schedules().UpdateFire(ctx, f); err != nil {
		return ports.SkipRetry(fmt.Errorf("record fire outcome: %w", err))
	}
	lastErr := ""
	if f.Status == domain.FireFailed {
		lastErr = f.Error
	}
	if err := s.d.Store.Schedules().Fired(ctx, sc.ID, ft.FireAt, lastErr); err != nil {
		s.d.Logger.Warn("schedule's last fire not recorded", "schedule_id", sc.ID, "error", err)
	}
	return nil
}

// claim records the fire of (sc, fireAt) before its work starts: stored as
// failed ("interrupted") until the outcome replaces it, so a worker dying
// mid-fire never leaves a silent one. A script fire's run id is chosen
// here, as is a discovery fire's scan id. nil, nil: nothing to do (fired already by another node or an
// earlier attempt, or the schedule was deleted).
//
// A claim left interrupted is resumed by the next attempt of the same task
// (the queue retries a task whose worker died): the run id and the action
// commands' idempotency keys make the resumed work reach every device
// once, those the dead worker reached included.
func (s *Service) claim(ctx context.Context, sc *domain.Schedule, fireAt time.Time) (*domain.ScheduleFire, error) {
	f := &domain.ScheduleFire{ScheduleID: sc.ID, FireAt: fireAt, FiredAt: s.d.Clock.Now().UTC(),
		Status: domain.FireFailed, Error: errInterrupted}
	switch sc.TaskKind {
	case domain.ScheduleTaskScript:
		f.ScriptRunID = domain.NewID()
	case domain.ScheduleTaskDiscovery:
		f.ScanID = domain.NewID()
	}
	err := s.d.Store.Schedules().CreateFire(ctx, f)
	switch {
	case err == nil:
		return f, nil
	case errors.Is(err, domain.ErrNotFound):
		return nil, nil
	case !errors.Is(err, domain.ErrConflict):
		return nil, err
	}
	old, err := s.d.Store.Schedules().GetFire(ctx, sc.ID, fireAt)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if old.Status != domain.FireFailed || old.Error != errInterrupted {
		return nil, nil // done
	}
	s.d.Logger.Info("schedules: resuming an interrupted fire", "schedule_id", sc.ID, "fire_at", fireAt)
	return old, nil
}

// run starts the schedule's work and says how it went.
func (s *Service) run(ctx context.Context, sc *domain.Schedule, f *domain.ScheduleFire) (domain.FireStatus, string) {
	p, err := s.owner(ctx, sc.CreatedBy)
	if err != nil {
		return domain.FireFailed, err.Error()
	}
	if sc.TaskKind == domain.ScheduleTaskDiscovery {
		return s.runDiscovery(ctx, p, sc, f) // the scan picks its own agents
	}
	devices, err := s.resolve(ctx, p.ScopeFor(domain.PermDevicesExecute), sc.TargetKind, sc.TargetIDs)
	if err != nil {
		return domain.FireFailed, "the target: " + explain(err)
	}
	ids, offline := make([]string, 0, len(devices)), 0
	for _, d := range devices {
		if d.Status == domain.DeviceDecommissioned {
			continue
		}
		if sc.Offline == domain.OfflineSkip && d.Status != domain.DeviceOnline {
			offline++
			continue
		}
		ids = append(ids, d.ID)
	}
	if len(ids) == 0 {
		if offline > 0 {
			return domain.FireSkipped, fmt.Sprintf("all %d target devices were offline (offline policy: skip)", offline)
		}
		return domain.FireSkipped, "the target holds no devices"
	}
	var expires time.Duration
	if sc.Offline == domain.OfflineWhenOnline {
		expires = time.Duration(max(sc.GraceMinutes, 1)) * time.Minute
	}
	switch sc.TaskKind {
	case domain.ScheduleTaskScript:
		params, err := s.openParams(sc)
		if err != nil {
			return domain.FireFailed, err.Error()
		}
		in := scripts.RunInput{Params: params, ExpiresIn: expires}
		if sc.Offline == domain.OfflineSkip {
			in.DeviceIDs = ids // the online ones
		} else {
			setTarget(&in, sc.TargetKind, sc.TargetIDs)
		}
		// The run's id was chosen at the claim: an attempt resuming an
		// interrupted fire finds the run the dead one made, if it did.
		in.RunID = f.ScriptRunID
		rv, err := s.d.Scripts.Run(ctx, p, sc.ScriptID, in)
		if err != nil {
			if errors.Is(err, domain.ErrNotFound) {
				return domain.FireFailed, "the script was deleted, or its owner may no longer read it or run it on the target"
			}
			return domain.FireFailed, "the script run was refused: " + explain(err)
		}
		f.ScriptRunID = rv.Run.ID
		return domain.FireFired, ""
	case domain.ScheduleTaskAction:
		key := "sched:" + sc.ID + ":" + strconv.FormatInt(f.FireAt.Unix(), 10)
		var failed []string
		for _, id := range ids {
			c, _, err := s.d.Commands.Create(ctx, p, id, commands.CreateInput{Action: sc.Action, Payload: sc.Payload,
				IdempotencyKey: key, ExpiresIn: expires})
			if err != nil {
				failed = append(failed, id+": "+explain(err))
				continue
			}
			f.CommandIDs = append(f.CommandIDs, c.ID)
		}
		if len(f.CommandIDs) == 0 {
			return domain.FireFailed, "no command could be created: " + failed[0]
		}
		if len(failed) > 0 {
			return domain.FireFired, fmt.Sprintf("%d device(s) refused, e.g. %s", len(failed), failed[0])
		}
		return domain.FireFired, ""
	}
	return domain.FireFailed, fmt.Sprintf("unknown task kind %q", sc.TaskKind)
}

// explain is an error's message for the schedule's history.
func explain(err error) string {
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return "not found (deleted, or out of the schedule owner's reach): " + err.Error()
	case errors.Is(err, domain.ErrForbidden):
		return "the schedule's owner lacks the permission: " + err.Error()
	}
	return err.Error()
}

// owner rebuilds the principal of the schedule's creator with the grants
// they hold now, so a removed grant or a disabled user stops the schedule.
func (s *Service) owner(ctx context.Context, userID string) (*domain.Principal, error) {
	if userID == "" {
		return nil, errors.New("the schedule has no owner to run as")
	}
	u, err := s.d.Store.Users().GetByID(ctx, userID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, errors.New("the schedule's owner no longer exists; edit the schedule to take it over")
	}
	if err != nil {
		return nil, fmt.Errorf("load the schedule's owner: %w", err)
	}
	if u.Status != domain.UserActive {
		return nil, errors.New("the schedule's owner is disabled; edit the schedule to take it over")
	}
	grants, err := s.d.Store.RoleAssignments().GrantsOf(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("load the owner's grants: %w", err)
	}
	return &domain.Principal{Kind: domain.PrincipalUser, UserID: u.ID, PartnerID: u.PartnerID, Email: u.Email, Grants: grants}, nil
}

func setTarget(in *scripts.RunInput, kind domain.RunTargetKind, ids []string) {
	switch kind {
	case domain.TargetDevices:
		in.DeviceIDs = ids
	case domain.TargetGroup:
		in.GroupID = first(ids)
	case domain.TargetSite:
		in.SiteID = first(ids)
	case domain.TargetOrg:
		in.OrgID = first(ids)
	}
}

func first(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// resolve lists a target's devices within scope (a foreign or missing id
// is ErrNotFound).
func (s *Service) resolve(ctx context.Context, scope domain.Scope, kind domain.RunTargetKind, ids []string) ([]*domain.Device, error) {
	if kind == domain.TargetDevices {
		if len(ids) == 0 {
			return nil, domain.Invalidf("target.ids names at least one device")
		}
		out := make([]*domain.Device, 0, len(ids))
		for _, id := range ids {
			d, err := s.d.Store.Devices().Get(ctx, scope, id)
			if err != nil {
				return nil, err
			}
			if d.IsNetwork() {
				continue // no agent to run on
			}
			out = append(out, d)
		}
		return out, nil
	}
	if len(ids) != 1 {
		return nil, domain.Invalidf("a %s target names exactly one id", kind)
	}
	f := ports.DeviceFilter{Kind: domain.DeviceKindAgent} // fan-outs skip network devices
	switch kind {
	case domain.TargetGroup:
		if _, err := s.d.Store.DeviceGroups().Get(ctx, scope, ids[0]); err != nil {
			return nil, err
		}
		f.GroupID = ids[0]
	case domain.TargetSite:
		if _, err := s.d.Store.Sites().Get(ctx, scope, ids[0]); err != nil {
			return nil, err
		}
		f.SiteID = ids[0]
	case domain.TargetOrg:
		if _, err := s.d.Store.Orgs().Get(ctx, scope, ids[0]); err != nil {
			return nil, err
		}
		f.OrgID = ids[0]
	default:
		return nil, domain.Invalidf("target.kind is devices, group, site or org")
	}
	var out []*domain.Device
	page := domain.PageRequest{Limit: domain.MaxPageSize}
	for {
		pg, err := s.d.Store.Devices().List(ctx, scope, f, page)
		if err != nil {
			return nil, err
		}
		out = append(out, pg.Items...)
		if len(out) > scripts.MaxRunDevices {
			return nil, domain.Invalidf("at most %d devices per target", scripts.MaxRunDevices)
		}
		if pg.NextCursor == "" {
			return out, nil
		}
		page.Cursor = pg.NextCursor
	}
}
