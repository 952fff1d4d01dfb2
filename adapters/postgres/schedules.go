package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Schedules keeps schedules and their fires (see ports.ScheduleStore).
func (s *Store) Schedules() ports.ScheduleStore { return scheduleStore{q: s.q} }

type scheduleStore struct{ q querier }

var _ ports.ScheduleStore = scheduleStore{}

const scheduleCols = "id, partner_id, coalesce(org_id::text, ''), name, description, enabled, time_zone, cron, run_at," +
	" target_kind, target_ids::text, task_kind, coalesce(script_id::text, ''), params::text, action, payload::text," +
	" offline_policy, grace_minutes, spread_seconds, next_fire_at, last_fire_at, last_error, version, created_by, created_at, updated_at"

func scanSchedule(row pgx.Row) (*domain.Schedule, error) {
	var sc domain.Schedule
	var targets, params, payload string
	var runAt, next, last *time.Time
	if err := row.Scan(&sc.ID, &sc.PartnerID, &sc.OrgID, &sc.Name, &sc.Description, &sc.Enabled, &sc.TimeZone, &sc.Cron,
		&runAt, &sc.TargetKind, &targets, &sc.TaskKind, &sc.ScriptID, &params, &sc.Action, &payload, &sc.Offline,
		&sc.GraceMinutes, &sc.SpreadSeconds, &next, &last, &sc.LastError, &sc.Version, &sc.CreatedBy, &sc.CreatedAt, &sc.UpdatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(targets), &sc.TargetIDs); err != nil {
		return nil, fmt.Errorf("decode schedule targets: %w", err)
	}
	sc.Params, sc.Payload = json.RawMessage(params), json.RawMessage(payload)
	sc.RunAt, sc.NextFireAt, sc.LastFireAt = utcPtr(runAt), utcPtr(next), utcPtr(last)
	sc.CreatedAt, sc.UpdatedAt = sc.CreatedAt.UTC(), sc.UpdatedAt.UTC()
	return &sc, nil
}

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
		if !storable(v) {
			return domain.Invalidf("schedule text must be valid UTF-8 without NUL bytes")
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

func translateSchedule(op string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.ConstraintName == "schedules_name_key" {
		return &dbError{domain: domain.Conflictf("a schedule with that name already exists here"), cause: err}
	}
	return translateJSON(op, err)
}

func (st scheduleStore) Create(ctx context.Context, s domain.Scope, sc *domain.Schedule) error {
	ctx = tenant(ctx, s)
	if sc == nil {
		return domain.Invalidf("schedule is required")
	}
	if err := checkSchedule(sc); err != nil {
		return err
	}
	id, err := newID(sc.ID)
	if err != nil {
		return err
	}
	partnerID, err := scriptStore{q: st.q}.owner(ctx, s, sc.PartnerID, sc.OrgID)
	if err != nil {
		return err
	}
	t := now()
	out, err := scanSchedule(st.q.QueryRow(ctx, `INSERT INTO schedules (id, partner_id, org_id, name, description, enabled,
			time_zone, cron, run_at, target_kind, target_ids, task_kind, script_id, params, action, payload, offline_policy,
			grace_minutes, next_fire_at, last_fire_at, last_error, version, created_by, created_at, updated_at, spread_seconds)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13, $14::jsonb, $15, $16::jsonb, $17, $18, $19,
			NULL, '', 1, $20, $21, $21, $22) RETURNING `+scheduleCols,
		id, partnerID, nullID(sc.OrgID), sc.Name, sc.Description, sc.Enabled, sc.TimeZone, sc.Cron, sc.RunAt,
		sc.TargetKind, encodeList(sc.TargetIDs), sc.TaskKind, nullID(sc.ScriptID), jsonObject(sc.Params), sc.Action,
		jsonObject(sc.Payload), sc.Offline, sc.GraceMinutes, sc.NextFireAt, sc.CreatedBy, t, sc.SpreadSeconds))
	if err != nil {
		return translateSchedule("create schedule", err)
	}
	*sc = *out
	return nil
}

func (st scheduleStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.Schedule, error) {
	ctx = tenant(ctx, s)
	return getShared(ctx, st.q, "schedule", scheduleCols, "schedules", id, s, scanSchedule)
}

func (st scheduleStore) GetSystem(ctx context.Context, id string) (*domain.Schedule, error) {
	ctx = system(ctx)
	return st.Get(ctx, domain.GlobalScope(), id)
}

func (st scheduleStore) List(ctx context.Context, s domain.Scope, f ports.ScheduleFilter, page domain.PageRequest) (domain.Page[*domain.Schedule], error) {
	ctx = tenant(ctx, s)
	var a args
	where := []string{scriptRead(s, &a, "")}
	if w := seenByOrg(f.OrgID, &a); w != "" {
		where = append(where, w)
	}
	if f.Enabled != nil {
		where = append(where, "enabled = "+a.add(*f.Enabled))
	}
	tail, page, err := pageQuery(page, &a, where)
	if err != nil {
		return domain.Page[*domain.Schedule]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+scheduleCols+" FROM schedules"+tail, a, scanSchedule)
	if err != nil {
		return domain.Page[*domain.Schedule]{}, translate("list schedules", err)
	}
	return finishPage(items, page.Limit, func(sc *domain.Schedule) string { return sc.ID }), nil
}

func (st scheduleStore) Update(ctx context.Context, s domain.Scope, sc *domain.Schedule) (*domain.Schedule, error) {
	ctx = tenant(ctx, s)
	if sc == nil {
		return nil, domain.Invalidf("schedule is required")
	}
	if err := checkSchedule(sc); err != nil {
		return nil, err
	}
	if !domain.ValidID(sc.ID) {
		return nil, notFound("schedule")
	}
	a := args{sc.Name, sc.Description, sc.Enabled, sc.TimeZone, sc.Cron, sc.RunAt, sc.TargetKind, encodeList(sc.TargetIDs),
		sc.TaskKind, nullID(sc.ScriptID), jsonObject(sc.Params), sc.Action, jsonObject(sc.Payload), sc.Offline,
		sc.GraceMinutes, sc.NextFireAt, sc.LastError, now(), sc.ID, sc.Version, sc.SpreadSeconds}
	out, err := scanSchedule(st.q.QueryRow(ctx, `UPDATE schedules SET name = $1, description = $2, enabled = $3,
			time_zone = $4, cron = $5, run_at = $6, target_kind = $7, target_ids = $8::jsonb, task_kind = $9, script_id = $10,
			params = $11::jsonb, action = $12, payload = $13::jsonb, offline_policy = $14, grace_minutes = $15,
			next_fire_at = $16, last_error = $17, version = version + 1, updated_at = $18, spread_seconds = $21
		WHERE id = $19 AND version = $20 AND `+scriptWrite.where(s, &a, "")+" RETURNING "+scheduleCols, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, missedUpdate(ctx, st.q, "schedules", scriptWrite, s, sc.ID, sc.Version, "schedule")
	}
	if err != nil {
		return nil, translateSchedule("update schedule", err)
	}
	return out, nil
}

func (st scheduleStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	ctx = tenant(ctx, s)
	return deleteRow(ctx, st.q, "schedules", scriptWrite, s, id, "schedule")
}

func (st scheduleStore) Due(ctx context.Context, at time.Time, limit int) ([]*domain.Schedule, error) {
	ctx = system(ctx)
	if limit <= 0 {
		limit = 1000
	}
	return queryAll(ctx, st.q, "SELECT "+scheduleCols+" FROM schedules WHERE enabled AND next_fire_at IS NOT NULL"+
		" AND next_fire_at <= $1 ORDER BY next_fire_at, id LIMIT $2", args{at.UTC(), limit}, scanSchedule)
}

func (st scheduleStore) Advance(ctx context.Context, id string, prev, next *time.Time) (bool, error) {
	ctx = system(ctx)
	if !domain.ValidID(id) {
		return false, notFound("schedule")
	}
	tag, err := st.q.Exec(ctx, "UPDATE schedules SET next_fire_at = $2 WHERE id = $1 AND next_fire_at IS NOT DISTINCT FROM $3",
		id, next, prev)
	if err != nil {
		return false, translate("advance schedule", err)
	}
	return tag.RowsAffected() == 1, nil
}

func (st scheduleStore) Fired(ctx context.Context, id string, fireAt time.Time, lastError string) error {
	ctx = system(ctx)
	if !domain.ValidID(id) {
		return notFound("schedule")
	}
	if !storable(lastError) {
		lastError = "(unprintable error)"
	}
	if len(lastError) > 4000 {
		lastError = lastError[:4000]
	}
	_, err := st.q.Exec(ctx, `UPDATE schedules SET last_error = $3,
		last_fire_at = CASE WHEN last_fire_at IS NULL OR last_fire_at < $2 THEN $2 ELSE last_fire_at END WHERE id = $1`,
		id, fireAt.UTC(), lastError)
	return translate("record schedule fire", err)
}

const fireCols = "id, schedule_id, partner_id, coalesce(org_id::text, ''), fire_at, fired_at, status, error," +
	" coalesce(script_run_id::text, ''), command_ids::text, coalesce(scan_id::text, '')"

func scanFire(row pgx.Row) (*domain.ScheduleFire, error) {
	var f domain.ScheduleFire
	var cmds string
	if err := row.Scan(&f.ID, &f.ScheduleID, &f.PartnerID, &f.OrgID, &f.FireAt, &f.FiredAt, &f.Status, &f.Error,
		&f.ScriptRunID, &cmds, &f.ScanID); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(cmds), &f.CommandIDs); err != nil {
		return nil, fmt.Errorf("decode fire commands: %w", err)
	}
	f.FireAt, f.FiredAt = f.FireAt.UTC(), f.FiredAt.UTC()
	return &f, nil
}

func checkFire(f *domain.ScheduleFire) error {
	if f == nil {
		return domain.Invalidf("fire is required")
	}
	if !domain.ValidID(f.ScheduleID) || (f.ScriptRunID != "" && !domain.ValidID(f.ScriptRunID)) ||
		(f.ScanID != "" && !domain.ValidID(f.ScanID)) {
		return notFound("schedule")
	}
	if !storable(f.Error) {
		f.Error = "(unprintable error)"
	}
	if len(f.Error) > 4000 {
		f.Error = f.Error[:4000]
	}
	return nil
}

func (st scheduleStore) CreateFire(ctx context.Context, f *domain.ScheduleFire) error {
	ctx = system(ctx)
	if err := checkFire(f); err != nil {
		return err
	}
	id, err := newID(f.ID)
	if err != nil {
		return err
	}
	if f.FiredAt.IsZero() {
		f.FiredAt = now()
	}
	out, err := scanFire(st.q.QueryRow(ctx, `INSERT INTO schedule_fires (id, schedule_id, partner_id, org_id, fire_at, fired_at,
			status, error, script_run_id, command_ids, scan_id)
		SELECT $1, s.id, s.partner_id, s.org_id, $3, $4, $5, $6, $7, $8::jsonb, $9 FROM schedules s WHERE s.id = $2
		RETURNING `+fireCols, id, f.ScheduleID, f.FireAt.UTC(), f.FiredAt.UTC(), f.Status, f.Error, nullID(f.ScriptRunID),
		encodeList(f.CommandIDs), nullID(f.ScanID)))
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound("schedule")
	}
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.ConstraintName == "schedule_fires_once_key" {
			return &dbError{domain: domain.Conflictf("the schedule already fired at %s", f.FireAt.UTC().Format(time.RFC3339)), cause: err}
		}
		return translate("create schedule fire", err)
	}
	*f = *out
	return nil
}

func (st scheduleStore) UpdateFire(ctx context.Context, f *domain.ScheduleFire) error {
	ctx = system(ctx)
	if err := checkFire(f); err != nil {
		return err
	}
	if !domain.ValidID(f.ID) {
		return notFound("schedule fire")
	}
	tag, err := st.q.Exec(ctx, `UPDATE schedule_fires SET status = $2, error = $3, script_run_id = $4, command_ids = $5::jsonb,
			scan_id = $6
		WHERE id = $1`, f.ID, f.Status, f.Error, nullID(f.ScriptRunID), encodeList(f.CommandIDs), nullID(f.ScanID))
	if err != nil {
		return translate("update schedule fire", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("schedule fire")
	}
	return nil
}

func (st scheduleStore) GetFire(ctx context.Context, scheduleID string, fireAt time.Time) (*domain.ScheduleFire, error) {
	ctx = system(ctx)
	if !domain.ValidID(scheduleID) {
		return nil, notFound("schedule fire")
	}
	f, err := scanFire(st.q.QueryRow(ctx, "SELECT "+fireCols+" FROM schedule_fires WHERE schedule_id = $1 AND fire_at = $2",
		scheduleID, fireAt.UTC()))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("schedule fire")
	}
	if err != nil {
		return nil, translate("get schedule fire", err)
	}
	return f, nil
}

func (st scheduleStore) ListFires(ctx context.Context, scheduleID string, page domain.PageRequest) (domain.Page[*domain.ScheduleFire], error) {
	ctx = system(ctx)
	if !domain.ValidID(scheduleID) {
		return domain.Page[*domain.ScheduleFire]{Items: []*domain.ScheduleFire{}}, nil
	}
	var a args
	where := []string{"schedule_id = " + a.add(scheduleID) + "::uuid"}
	tail, page, err := pageQueryDesc(page, &a, where)
	if err != nil {
		return domain.Page[*domain.ScheduleFire]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+fireCols+" FROM schedule_fires"+tail, a, scanFire)
	if err != nil {
		return domain.Page[*domain.ScheduleFire]{}, translate("list schedule fires", err)
	}
	return finishPage(items, page.Limit, func(f *domain.ScheduleFire) string { return f.ID }), nil
}
