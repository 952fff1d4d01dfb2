package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// MaintenanceWindows keeps maintenance windows (see ports.MaintenanceWindowStore).
func (s *Store) MaintenanceWindows() ports.MaintenanceWindowStore { return windowStore{q: s.q} }

type windowStore struct{ q querier }

var _ ports.MaintenanceWindowStore = windowStore{}

const windowCols = "id, partner_id, coalesce(org_id::text, ''), name, description, enabled, scope_kind, scope_ids::text," +
	" time_zone, kind, starts_at, ends_at, days::text, at_time, duration_minutes, version, created_by, created_at, updated_at"

func scanWindow(row pgx.Row) (*domain.MaintenanceWindow, error) {
	var w domain.MaintenanceWindow
	var scope, days string
	if err := row.Scan(&w.ID, &w.PartnerID, &w.OrgID, &w.Name, &w.Description, &w.Enabled, &w.ScopeKind, &scope,
		&w.TimeZone, &w.Kind, &w.StartsAt, &w.EndsAt, &days, &w.At, &w.DurationMinutes, &w.Version, &w.CreatedBy,
		&w.CreatedAt, &w.UpdatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(scope), &w.ScopeIDs); err != nil {
		return nil, fmt.Errorf("decode window scope: %w", err)
	}
	if err := json.Unmarshal([]byte(days), &w.Days); err != nil {
		return nil, fmt.Errorf("decode window days: %w", err)
	}
	w.CreatedAt, w.UpdatedAt = w.CreatedAt.UTC(), w.UpdatedAt.UTC()
	return &w, nil
}

// checkWindow validates the shape the schema needs; the app checks the rest.
func checkWindow(w *domain.MaintenanceWindow) error {
	if err := domain.ValidateName("maintenance window", w.Name); err != nil {
		return err
	}
	if len(w.Description) > 4000 || len(w.TimeZone) > 64 || w.TimeZone == "" || w.DurationMinutes < 0 ||
		(w.Kind != domain.MaintenanceOnce && w.Kind != domain.MaintenanceWeekly) {
		return domain.Invalidf("maintenance window kind, zone, description or duration out of bounds")
	}
	for _, v := range []string{w.Name, w.Description, w.TimeZone, w.StartsAt, w.EndsAt, w.At, w.CreatedBy} {
		if !storable(v) || len(v) > 4000 {
			return domain.Invalidf("maintenance window text must be valid UTF-8 without NUL bytes")
		}
	}
	return nil
}

func translateWindow(op string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.ConstraintName == "maintenance_windows_name_key" {
		return &dbError{domain: domain.Conflictf("a maintenance window with that name already exists here"), cause: err}
	}
	return translateJSON(op, err)
}

func (st windowStore) Create(ctx context.Context, s domain.Scope, w *domain.MaintenanceWindow) error {
	ctx = tenant(ctx, s)
	if w == nil {
		return domain.Invalidf("maintenance window is required")
	}
	if err := checkWindow(w); err != nil {
		return err
	}
	id, err := newID(w.ID)
	if err != nil {
		return err
	}
	partnerID, err := scriptStore{q: st.q}.owner(ctx, s, w.PartnerID, w.OrgID)
	if err != nil {
		return err
	}
	t := now()
	out, err := scanWindow(st.q.QueryRow(ctx, `INSERT INTO maintenance_windows (id, partner_id, org_id, name, description,
			enabled, scope_kind, scope_ids, time_zone, kind, starts_at, ends_at, days, at_time, duration_minutes, version,
			created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, $13::jsonb, $14, $15, 1, $16, $17, $17) RETURNING `+windowCols,
		id, partnerID, nullID(w.OrgID), w.Name, w.Description, w.Enabled, w.ScopeKind, encodeList(w.ScopeIDs), w.TimeZone,
		w.Kind, w.StartsAt, w.EndsAt, encodeList(w.Days), w.At, w.DurationMinutes, w.CreatedBy, t))
	if err != nil {
		return translateWindow("create maintenance window", err)
	}
	*w = *out
	return nil
}

func (st windowStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.MaintenanceWindow, error) {
	ctx = tenant(ctx, s)
	return getShared(ctx, st.q, "maintenance window", windowCols, "maintenance_windows", id, s, scanWindow)
}

func (st windowStore) List(ctx context.Context, s domain.Scope, f ports.MaintenanceWindowFilter, page domain.PageRequest) (domain.Page[*domain.MaintenanceWindow], error) {
	ctx = tenant(ctx, s)
	var a args
	where := []string{scriptRead(s, &a, "")}
	if w := seenByOrg(f.OrgID, &a); w != "" {
		where = append(where, w)
	}
	tail, page, err := pageQuery(page, &a, where)
	if err != nil {
		return domain.Page[*domain.MaintenanceWindow]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+windowCols+" FROM maintenance_windows"+tail, a, scanWindow)
	if err != nil {
		return domain.Page[*domain.MaintenanceWindow]{}, translate("list maintenance windows", err)
	}
	return finishPage(items, page.Limit, func(w *domain.MaintenanceWindow) string { return w.ID }), nil
}

func (st windowStore) Update(ctx context.Context, s domain.Scope, w *domain.MaintenanceWindow) (*domain.MaintenanceWindow, error) {
	ctx = tenant(ctx, s)
	if w == nil {
		return nil, domain.Invalidf("maintenance window is required")
	}
	if err := checkWindow(w); err != nil {
		return nil, err
	}
	if !domain.ValidID(w.ID) {
		return nil, notFound("maintenance window")
	}
	a := args{w.Name, w.Description, w.Enabled, w.ScopeKind, encodeList(w.ScopeIDs), w.TimeZone, w.Kind, w.StartsAt,
		w.EndsAt, encodeList(w.Days), w.At, w.DurationMinutes, now(), w.ID, w.Version}
	out, err := scanWindow(st.q.QueryRow(ctx, `UPDATE maintenance_windows SET name = $1, description = $2, enabled = $3,
			scope_kind = $4, scope_ids = $5::jsonb, time_zone = $6, kind = $7, starts_at = $8, ends_at = $9, days = $10::jsonb,
			at_time = $11, duration_minutes = $12, version = version + 1, updated_at = $13
		WHERE id = $14 AND version = $15 AND `+scriptWrite.where(s, &a, "")+" RETURNING "+windowCols, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, missedUpdate(ctx, st.q, "maintenance_windows", scriptWrite, s, w.ID, w.Version, "maintenance window")
	}
	if err != nil {
		return nil, translateWindow("update maintenance window", err)
	}
	return out, nil
}

func (st windowStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	ctx = tenant(ctx, s)
	return deleteRow(ctx, st.q, "maintenance_windows", scriptWrite, s, id, "maintenance window")
}

func (st windowStore) Enabled(ctx context.Context) ([]*domain.MaintenanceWindow, error) {
	ctx = system(ctx)
	return queryAll(ctx, st.q, "SELECT "+windowCols+" FROM maintenance_windows WHERE enabled ORDER BY id", nil, scanWindow)
}
