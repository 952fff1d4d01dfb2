package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// MaintenanceWindows keeps maintenance windows (see ports.MaintenanceWindowStore).
func (s *Store) MaintenanceWindows() ports.MaintenanceWindowStore { return windowStore{s} }

type windowStore struct{ s *Store }

var _ ports.MaintenanceWindowStore = windowStore{}

const windowCols = "id, partner_id, org_id, name, description, enabled, scope_kind, scope_ids, time_zone, kind, starts_at," +
	" ends_at, days, at_time, duration_minutes, version, created_by, created_at, updated_at"

const windowDup = "a maintenance window with that name already exists here"

// Windows are owned like alert rules: written by the owner's coverage,
// partner-wide ones read by the partner's orgs and sites too.
var windowsTable = &table[*domain.MaintenanceWindow]{
	name:   "maintenance_windows",
	what:   "maintenance window",
	cols:   windowCols,
	read:   scriptReadScope{},
	write:  scriptWriteScope,
	scan:   scanWindow,
	idOf:   func(w *domain.MaintenanceWindow) string { return w.ID },
	failOn: failure{unique: windowDup},
}

func scanWindow(r rowScanner) (*domain.MaintenanceWindow, error) {
	var w domain.MaintenanceWindow
	var org sql.NullString
	var scope, days string
	var enabled int
	var created, updated int64
	if err := r.Scan(&w.ID, &w.PartnerID, &org, &w.Name, &w.Description, &enabled, &w.ScopeKind, &scope, &w.TimeZone,
		&w.Kind, &w.StartsAt, &w.EndsAt, &days, &w.At, &w.DurationMinutes, &w.Version, &w.CreatedBy, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(scope), &w.ScopeIDs); err != nil {
		return nil, fmt.Errorf("decode window scope: %w", err)
	}
	if err := json.Unmarshal([]byte(days), &w.Days); err != nil {
		return nil, fmt.Errorf("decode window days: %w", err)
	}
	w.OrgID, w.Enabled = org.String, enabled == 1
	w.CreatedAt, w.UpdatedAt = fromMicros(created), fromMicros(updated)
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
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) || len(v) > 4000 {
			return domain.Invalidf("maintenance window text must be valid UTF-8 without NUL bytes")
		}
	}
	return nil
}

func (ws windowStore) Create(ctx context.Context, s domain.Scope, w *domain.MaintenanceWindow) error {
	if w == nil {
		return domain.Invalidf("maintenance window is required")
	}
	if err := checkWindow(w); err != nil {
		return err
	}
	id, err := newID("maintenance window", w.ID)
	if err != nil {
		return err
	}
	t := micros(now())
	var out *domain.MaintenanceWindow
	err = ws.s.write(ctx, func(q queryer) error {
		partnerID, err := scriptOwner(ctx, q, s, w.PartnerID, w.OrgID)
		if err != nil {
			return err
		}
		out, err = scanWindow(q.QueryRowContext(ctx, "INSERT INTO maintenance_windows ("+windowCols+")"+
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?) RETURNING "+windowCols,
			id, partnerID, nullString(w.OrgID), w.Name, w.Description, boolInt(w.Enabled), string(w.ScopeKind),
			encodeList(w.ScopeIDs), w.TimeZone, string(w.Kind), w.StartsAt, w.EndsAt, encodeList(w.Days), w.At,
			w.DurationMinutes, w.CreatedBy, t, t))
		return failure{op: "create maintenance window", unique: windowDup,
			dup: "maintenance window id already exists", missing: "organization or partner not found"}.wrap(err)
	})
	if err != nil {
		return err
	}
	*w = *out
	return nil
}

func (ws windowStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.MaintenanceWindow, error) {
	return windowsTable.get(ctx, ws.s.read(ctx), s, id)
}

func (ws windowStore) List(ctx context.Context, s domain.Scope, f ports.MaintenanceWindowFilter, page domain.PageRequest) (domain.Page[*domain.MaintenanceWindow], error) {
	var flt filter
	if f.OrgID != "" {
		flt.add("(org_id = ? OR (org_id IS NULL AND partner_id = (SELECT partner_id FROM organizations WHERE id = ?)))",
			f.OrgID, f.OrgID)
	}
	return windowsTable.list(ctx, ws.s.read(ctx), s, flt, page)
}

func (ws windowStore) Update(ctx context.Context, s domain.Scope, w *domain.MaintenanceWindow) (*domain.MaintenanceWindow, error) {
	if w == nil {
		return nil, domain.Invalidf("maintenance window is required")
	}
	if err := checkWindow(w); err != nil {
		return nil, err
	}
	var out *domain.MaintenanceWindow
	err := ws.s.write(ctx, func(q queryer) (err error) {
		out, err = windowsTable.update(ctx, q, s, w.ID, w.Version,
			"name = ?, description = ?, enabled = ?, scope_kind = ?, scope_ids = ?, time_zone = ?, kind = ?, starts_at = ?,"+
				" ends_at = ?, days = ?, at_time = ?, duration_minutes = ?",
			w.Name, w.Description, boolInt(w.Enabled), string(w.ScopeKind), encodeList(w.ScopeIDs), w.TimeZone, string(w.Kind),
			w.StartsAt, w.EndsAt, encodeList(w.Days), w.At, w.DurationMinutes)
		return err
	})
	return out, err
}

func (ws windowStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	return ws.s.write(ctx, func(q queryer) error { return windowsTable.delete(ctx, q, s, id) })
}

func (ws windowStore) Enabled(ctx context.Context) ([]*domain.MaintenanceWindow, error) {
	return queryList(ctx, ws.s.read(ctx), "SELECT "+windowCols+" FROM maintenance_windows WHERE enabled = 1 ORDER BY id", nil, scanWindow)
}
