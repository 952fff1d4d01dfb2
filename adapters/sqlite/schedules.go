package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Schedules keeps schedules and their fires (see ports.ScheduleStore).
func (s *Store) Schedules() ports.ScheduleStore { return scheduleStore{s} }

type scheduleStore struct{ s *Store }

var _ ports.ScheduleStore = scheduleStore{}

const scheduleCols = "id, partner_id, org_id, name, description, enabled, time_zone, cron, run_at, target_kind, target_ids," +
	" task_kind, script_id, params, action, payload, offline_policy, grace_minutes, next_fire_at, last_fire_at, last_error," +
	" version, created_by, created_at, updated_at, spread_seconds"

const scheduleDup = "a schedule with that name already exists here"

// Schedules are owned like scripts: written by the owner's coverage,
// partner-wide ones read by the partner's orgs and sites too.
var schedulesTable = &table[*domain.Schedule]{
	name:   "schedules",
	what:   "schedule",
	cols:   scheduleCols,
	read:   scriptReadScope{},
	write:  scriptWriteScope,
	scan:   scanSchedule,
	idOf:   func(sc *domain.Schedule) string { return sc.ID },
	failOn: failure{unique: scheduleDup},
}

func microsPtrOf(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

func nullMicrosPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return micros(*t)
}

func scanSchedule(r rowScanner) (*domain.Schedule, error) {
	var sc domain.Schedule
	var org, script sql.NullString
	var runAt, next, last sql.NullInt64
	var targets, params, payload string
	var enabled int
	var created, updated int64
	if err := r.Scan(&sc.ID, &sc.PartnerID, &org, &sc.Name, &sc.Description, &enabled, &sc.TimeZone, &sc.Cron, &runAt,
		&sc.TargetKind, &targets, &sc.TaskKind, &script, &params, &sc.Action, &payload, &sc.Offline, &sc.GraceMinutes,
		&next, &last, &sc.LastError, &sc.Version, &sc.CreatedBy, &created, &updated, &sc.SpreadSeconds); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(targets), &sc.TargetIDs); err != nil {
		return nil, fmt.Errorf("decode schedule targets: %w", err)
	}
	sc.OrgID, sc.ScriptID, sc.Enabled = org.String, script.String, enabled == 1
	sc.Params, sc.Payload = json.RawMessage(params), json.RawMessage(payload)
	sc.RunAt, sc.NextFireAt, sc.LastFireAt = microsPtrOf(runAt), microsPtrOf(next), microsPtrOf(last)
	sc.CreatedAt, sc.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &sc, nil
}

func textOK(v string) bool { return utf8.ValidString(v) && !strings.ContainsRune(v, 0) }

// checkSchedule validates the shape the schema needs; the app checks the rest.
func checkSchedule(sc *domain.Schedule) error {
	if err := domain.ValidateName("schedule", sc.Name); err != nil {
		return err
	}
	if len(sc.Description) > 4000 || len(sc.TimeZone) > 64 || sc.TimeZone == "" || len(sc.Cron) > 200 ||
		sc.GraceMinutes < 0 || sc.GraceMinutes > domain.MaxScheduleGraceMinutes || len(sc.TargetIDs) > 10000 ||
		sc.SpreadSeconds < 0 || sc.SpreadSeconds > domain.MaxScheduleSpreadSeconds ||
		len(sc.Params) > 256<<10 || len(sc.Payload) > 256<<10 || len(sc.LastError) > 4000 {
		return domain.Invalidf("schedule description, zone, cron, grace, targets or parameters out of bounds")
	}
	if (sc.Cron == "") == (sc.RunAt == nil) {
		return domain.Invalidf("a schedule has a cron expression or a run time, not both")
	}
	if sc.ScriptID != "" && !domain.ValidID(sc.ScriptID) {
		return notFound("script")
	}
	for _, v := range []string{sc.Name, sc.Description, sc.TimeZone, sc.Cron, sc.Action, sc.CreatedBy, sc.LastError} {
		if !textOK(v) {
			return domain.Invalidf("schedule text must be valid UTF-8 without NUL bytes")
		}
	}
	for _, v := range []json.RawMessage{sc.Params, sc.Payload} {
		if len(v) > 0 && !json.Valid(v) {
			return domain.Invalidf("schedule parameters must be a JSON object")
		}
	}
	return nil
}

func jsonObject(v json.RawMessage) string {
	if len(v) == 0 {
		return "{}"
	}
	return string(v)
}

func (ss scheduleStore) Create(ctx context.Context, s domain.Scope, sc *domain.Schedule) error {
	if sc == nil {
		return domain.Invalidf("schedule is required")
	}
	if err := checkSchedule(sc); err != nil {
		return err
	}
	id, err := newID("schedule", sc.ID)
	if err != nil {
		return err
	}
	t := micros(now())
	var out *domain.Schedule
	err = ss.s.write(ctx, func(q queryer) error {
		partnerID, err := scriptOwner(ctx, q, s, sc.PartnerID, sc.OrgID)
		if err != nil {
			return err
		}
		out, err = scanSchedule(q.QueryRowContext(ctx, "INSERT INTO schedules ("+scheduleCols+")"+
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '', 1, ?, ?, ?, ?) RETURNING "+scheduleCols,
			id, partnerID, nullString(sc.OrgID), sc.Name, sc.Description, boolInt(sc.Enabled), sc.TimeZone, sc.Cron,
			nullMicrosPtr(sc.RunAt), string(sc.TargetKind), encodeList(sc.TargetIDs), string(sc.TaskKind),
			nullString(sc.ScriptID), jsonObject(sc.Params), sc.Action, jsonObject(sc.Payload), string(sc.Offline),
			sc.GraceMinutes, nullMicrosPtr(sc.NextFireAt), sc.CreatedBy, t, t, sc.SpreadSeconds))
		return failure{op: "create schedule", unique: scheduleDup,
			dup: "schedule id already exists", missing: "organization or partner not found"}.wrap(err)
	})
	if err != nil {
		return err
	}
	*sc = *out
	return nil
}

func (ss scheduleStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.Schedule, error) {
	return schedulesTable.get(ctx, ss.s.read(ctx), s, id)
}

func (ss scheduleStore) GetSystem(ctx context.Context, id string) (*domain.Schedule, error) {
	return ss.Get(ctx, domain.GlobalScope(), id)
}

func (ss scheduleStore) List(ctx context.Context, s domain.Scope, f ports.ScheduleFilter, page domain.PageRequest) (domain.Page[*domain.Schedule], error) {
	var flt filter
	if f.OrgID != "" {
		flt.add("(org_id = ? OR (org_id IS NULL AND partner_id = (SELECT partner_id FROM organizations WHERE id = ?)))",
			f.OrgID, f.OrgID)
	}
	if f.Enabled != nil {
		flt.add("enabled = ?", boolInt(*f.Enabled))
	}
	return schedulesTable.list(ctx, ss.s.read(ctx), s, flt, page)
}

func (ss scheduleStore) Update(ctx context.Context, s domain.Scope, sc *domain.Schedule) (*domain.Schedule, error) {
	if sc == nil {
		return nil, domain.Invalidf("schedule is required")
	}
	if err := checkSchedule(sc); err != nil {
		return nil, err
	}
	var out *domain.Schedule
	err := ss.s.write(ctx, func(q queryer) (err error) {
		out, err = schedulesTable.update(ctx, q, s, sc.ID, sc.Version,
			"name = ?, description = ?, enabled = ?, time_zone = ?, cron = ?, run_at = ?, target_kind = ?, target_ids = ?,"+
				" task_kind = ?, script_id = ?, params = ?, action = ?, payload = ?, offline_policy = ?, grace_minutes = ?,"+
				" next_fire_at = ?, last_error = ?, spread_seconds = ?",
			sc.Name, sc.Description, boolInt(sc.Enabled), sc.TimeZone, sc.Cron, nullMicrosPtr(sc.RunAt), string(sc.TargetKind),
			encodeList(sc.TargetIDs), string(sc.TaskKind), nullString(sc.ScriptID), jsonObject(sc.Params), sc.Action,
			jsonObject(sc.Payload), string(sc.Offline), sc.GraceMinutes, nullMicrosPtr(sc.NextFireAt), sc.LastError,
			sc.SpreadSeconds)
		return err
	})
	return out, err
}

func (ss scheduleStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	return ss.s.write(ctx, func(q queryer) error { return schedulesTable.delete(ctx, q, s, id) })
}

func (ss scheduleStore) Due(ctx context.Context, at time.Time, limit int) ([]*domain.Schedule, error) {
	if limit <= 0 {
		limit = 1000
	}
	return queryList(ctx, ss.s.read(ctx), "SELECT "+scheduleCols+" FROM schedules WHERE enabled = 1 AND next_fire_at IS NOT NULL"+
		" AND next_fire_at <= ? ORDER BY next_fire_at, id LIMIT ?", []any{micros(at), limit}, scanSchedule)
}

func (ss scheduleStore) Advance(ctx context.Context, id string, prev, next *time.Time) (bool, error) {
	if !domain.ValidID(id) {
		return false, notFound("schedule")
	}
	var n int64
	err := ss.s.write(ctx, func(q queryer) error {
		res, err := q.ExecContext(ctx, "UPDATE schedules SET next_fire_at = ? WHERE id = ? AND next_fire_at IS ?",
			nullMicrosPtr(next), id, nullMicrosPtr(prev))
		if err != nil {
			return failure{op: "advance schedule"}.wrap(err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n == 1, err
}

func clip(msg string) string {
	if !textOK(msg) {
		return "(unprintable error)"
	}
	if len(msg) > 4000 {
		return msg[:4000]
	}
	return msg
}

func (ss scheduleStore) Fired(ctx context.Context, id string, fireAt time.Time, lastError string) error {
	if !domain.ValidID(id) {
		return notFound("schedule")
	}
	return ss.s.write(ctx, func(q queryer) error {
		_, err := q.ExecContext(ctx, `UPDATE schedules SET last_error = ?,
			last_fire_at = CASE WHEN last_fire_at IS NULL OR last_fire_at < ? THEN ? ELSE last_fire_at END WHERE id = ?`,
			clip(lastError), micros(fireAt), micros(fireAt), id)
		return failure{op: "record schedule fire"}.wrap(err)
	})
}

const fireCols = "id, schedule_id, partner_id, org_id, fire_at, fired_at, status, error, script_run_id, command_ids, scan_id"

func scanFire(r rowScanner) (*domain.ScheduleFire, error) {
	var f domain.ScheduleFire
	var org, run, scan sql.NullString
	var fireAt, firedAt int64
	var cmds string
	if err := r.Scan(&f.ID, &f.ScheduleID, &f.PartnerID, &org, &fireAt, &firedAt, &f.Status, &f.Error, &run, &cmds, &scan); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(cmds), &f.CommandIDs); err != nil {
		return nil, fmt.Errorf("decode fire commands: %w", err)
	}
	f.OrgID, f.ScriptRunID, f.ScanID = org.String, run.String, scan.String
	f.FireAt, f.FiredAt = fromMicros(fireAt), fromMicros(firedAt)
	return &f, nil
}

func (ss scheduleStore) CreateFire(ctx context.Context, f *domain.ScheduleFire) error {
	if f == nil {
		return domain.Invalidf("fire is required")
	}
	if !domain.ValidID(f.ScheduleID) {
		return notFound("schedule")
	}
	id, err := newID("schedule fire", f.ID)
	if err != nil {
		return err
	}
	if f.FiredAt.IsZero() {
		f.FiredAt = now()
	}
	var out *domain.ScheduleFire
	err = ss.s.write(ctx, func(q queryer) error {
		out, err = scanFire(q.QueryRowContext(ctx, "INSERT INTO schedule_fires ("+fireCols+")"+
			" SELECT ?, s.id, s.partner_id, s.org_id, ?, ?, ?, ?, ?, ?, ? FROM schedules s WHERE s.id = ? RETURNING "+fireCols,
			id, micros(f.FireAt), micros(f.FiredAt), string(f.Status), clip(f.Error), nullString(f.ScriptRunID),
			encodeList(f.CommandIDs), nullString(f.ScanID), f.ScheduleID))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("schedule")
		}
		return failure{op: "create schedule fire",
			unique: "the schedule already fired at " + f.FireAt.UTC().Format(time.RFC3339)}.wrap(err)
	})
	if err != nil {
		return err
	}
	*f = *out
	return nil
}

func (ss scheduleStore) UpdateFire(ctx context.Context, f *domain.ScheduleFire) error {
	if f == nil || !domain.ValidID(f.ID) {
		return notFound("schedule fire")
	}
	return ss.s.write(ctx, func(q queryer) error {
		res, err := q.ExecContext(ctx, "UPDATE schedule_fires SET status = ?, error = ?, script_run_id = ?, command_ids = ?, scan_id = ?"+
			" WHERE id = ?", string(f.Status), clip(f.Error), nullString(f.ScriptRunID), encodeList(f.CommandIDs), nullString(f.ScanID), f.ID)
		if err != nil {
			return failure{op: "update schedule fire"}.wrap(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("schedule fire")
		}
		return nil
	})
}

func (ss scheduleStore) GetFire(ctx context.Context, scheduleID string, fireAt time.Time) (*domain.ScheduleFire, error) {
	f, err := scanFire(ss.s.read(ctx).QueryRowContext(ctx, "SELECT "+fireCols+" FROM schedule_fires WHERE schedule_id = ? AND fire_at = ?",
		scheduleID, micros(fireAt)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("schedule fire")
	}
	if err != nil {
		return nil, failure{op: "get schedule fire"}.wrap(err)
	}
	return f, nil
}

func (ss scheduleStore) ListFires(ctx context.Context, scheduleID string, page domain.PageRequest) (domain.Page[*domain.ScheduleFire], error) {
	page = page.Normalize()
	before, err := domain.DecodeCursor(page.Cursor)
	if err != nil {
		return domain.Page[*domain.ScheduleFire]{}, err
	}
	q := "SELECT " + fireCols + " FROM schedule_fires WHERE schedule_id = ?"
	args := []any{scheduleID}
	if before != "" {
		q += " AND id < ?"
		args = append(args, before)
	}
	args = append(args, page.Limit+1)
	items, err := queryList(ctx, ss.s.read(ctx), q+" ORDER BY id DESC LIMIT ?", args, scanFire)
	if err != nil {
		return domain.Page[*domain.ScheduleFire]{}, err
	}
	out := domain.Page[*domain.ScheduleFire]{Items: items}
	if out.Items == nil {
		out.Items = []*domain.ScheduleFire{}
	}
	if len(out.Items) > page.Limit {
		out.Items = out.Items[:page.Limit]
		out.NextCursor = domain.EncodeCursor(out.Items[page.Limit-1].ID)
	}
	return out, nil
}
