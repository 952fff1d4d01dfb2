package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// AlertRules keeps alert rules (see ports.AlertRuleStore).
func (s *Store) AlertRules() ports.AlertRuleStore { return alertRuleStore{s} }

// Alerts keeps alerts and their history (see ports.AlertStore).
func (s *Store) Alerts() ports.AlertStore { return alertStore{s} }

type alertRuleStore struct{ s *Store }
type alertStore struct{ s *Store }

var (
	_ ports.AlertRuleStore = alertRuleStore{}
	_ ports.AlertStore     = alertStore{}
)

const ruleCols = "id, partner_id, org_id, name, description, enabled, severity, kind, params, scope_kind, scope_ids," +
	" exclude_device_ids, renotify_seconds, version, created_by, created_at, updated_at"

// Rules are owned like scripts: written by the owner's coverage, partner-wide
// ones read by the partner's orgs and sites too.
var alertRules = &table[*domain.AlertRule]{
	name:   "alert_rules",
	what:   "alert rule",
	cols:   ruleCols,
	read:   scriptReadScope{},
	write:  scriptWriteScope,
	scan:   scanRule,
	idOf:   func(r *domain.AlertRule) string { return r.ID },
	failOn: failure{unique: "an alert rule with that name already exists here"},
}

func scanRule(r rowScanner) (*domain.AlertRule, error) {
	var out domain.AlertRule
	var org sql.NullString
	var params, scope, excl string
	var enabled int
	var created, updated int64
	if err := r.Scan(&out.ID, &out.PartnerID, &org, &out.Name, &out.Description, &enabled, &out.Severity, &out.Kind,
		&params, &out.ScopeKind, &scope, &excl, &out.RenotifySeconds, &out.Version, &out.CreatedBy, &created, &updated); err != nil {
		return nil, err
	}
	out.Params = json.RawMessage(params)
	if err := json.Unmarshal([]byte(scope), &out.ScopeIDs); err != nil {
		return nil, fmt.Errorf("decode rule scope: %w", err)
	}
	if err := json.Unmarshal([]byte(excl), &out.ExcludeDeviceIDs); err != nil {
		return nil, fmt.Errorf("decode rule exclusions: %w", err)
	}
	out.OrgID, out.Enabled = org.String, enabled == 1
	out.CreatedAt, out.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &out, nil
}

// checkRule validates the shape the schema needs; the app checks the rest.
func checkRule(r *domain.AlertRule) (params string, err error) {
	if err := domain.ValidateName("alert rule", r.Name); err != nil {
		return "", err
	}
	if !domain.ValidSeverity(r.Severity) {
		return "", domain.Invalidf("severity must be info, warning or critical")
	}
	if r.Kind == "" || len(r.Kind) > 64 || len(r.Description) > 4000 || r.RenotifySeconds < 0 {
		return "", domain.Invalidf("alert rule kind, description or renotify interval out of bounds")
	}
	params = string(r.Params)
	if params == "" {
		params = "{}"
	}
	if !json.Valid([]byte(params)) {
		return "", domain.Invalidf("alert rule params must be JSON")
	}
	return params, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (rs alertRuleStore) Create(ctx context.Context, s domain.Scope, r *domain.AlertRule) error {
	if r == nil {
		return domain.Invalidf("alert rule is required")
	}
	params, err := checkRule(r)
	if err != nil {
		return err
	}
	id, err := newID("alert rule", r.ID)
	if err != nil {
		return err
	}
	t := micros(now())
	var out *domain.AlertRule
	err = rs.s.write(ctx, func(q queryer) error {
		partnerID, err := scriptOwner(ctx, q, s, r.PartnerID, r.OrgID)
		if err != nil {
			return err
		}
		out, err = scanRule(q.QueryRowContext(ctx, "INSERT INTO alert_rules ("+ruleCols+")"+
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?) RETURNING "+ruleCols,
			id, partnerID, nullString(r.OrgID), r.Name, r.Description, boolInt(r.Enabled), string(r.Severity), r.Kind, params,
			string(r.ScopeKind), encodeList(r.ScopeIDs), encodeList(r.ExcludeDeviceIDs), r.RenotifySeconds, r.CreatedBy, t, t))
		return failure{op: "create alert rule", unique: "an alert rule with that name already exists here",
			dup: "alert rule id already exists", missing: "organization or partner not found"}.wrap(err)
	})
	if err != nil {
		return err
	}
	*r = *out
	return nil
}

func (rs alertRuleStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.AlertRule, error) {
	return alertRules.get(ctx, rs.s.read(ctx), s, id)
}

func (rs alertRuleStore) List(ctx context.Context, s domain.Scope, f ports.AlertRuleFilter, page domain.PageRequest) (domain.Page[*domain.AlertRule], error) {
	var flt filter
	if f.OrgID != "" {
		flt.add("(org_id = ? OR (org_id IS NULL AND partner_id = (SELECT partner_id FROM organizations WHERE id = ?)))",
			f.OrgID, f.OrgID)
	}
	if f.Kind != "" {
		flt.add("kind = ?", f.Kind)
	}
	return alertRules.list(ctx, rs.s.read(ctx), s, flt, page)
}

func (rs alertRuleStore) Update(ctx context.Context, s domain.Scope, r *domain.AlertRule) (*domain.AlertRule, error) {
	if r == nil {
		return nil, domain.Invalidf("alert rule is required")
	}
	params, err := checkRule(r)
	if err != nil {
		return nil, err
	}
	var out *domain.AlertRule
	err = rs.s.write(ctx, func(q queryer) (err error) {
		out, err = alertRules.update(ctx, q, s, r.ID, r.Version,
			"name = ?, description = ?, enabled = ?, severity = ?, kind = ?, params = ?, scope_kind = ?, scope_ids = ?,"+
				" exclude_device_ids = ?, renotify_seconds = ?",
			r.Name, r.Description, boolInt(r.Enabled), string(r.Severity), r.Kind, params, string(r.ScopeKind),
			encodeList(r.ScopeIDs), encodeList(r.ExcludeDeviceIDs), r.RenotifySeconds)
		return err
	})
	return out, err
}

func (rs alertRuleStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	return rs.s.write(ctx, func(q queryer) error { return alertRules.delete(ctx, q, s, id) })
}

func (rs alertRuleStore) Enabled(ctx context.Context) ([]*domain.AlertRule, error) {
	return queryList(ctx, rs.s.read(ctx), "SELECT "+ruleCols+" FROM alert_rules WHERE enabled = 1 ORDER BY id", nil, scanRule)
}

// queryList runs a query and scans every row.
func queryList[T any](ctx context.Context, q queryer, query string, args []any, scan func(rowScanner) (T, error)) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, failure{op: "query"}.wrap(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, failure{op: "query"}.wrap(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, failure{op: "query"}.wrap(err)
	}
	return out, nil
}

const alertCols = "id, partner_id, org_id, site_id, device_id, rule_id, kind, severity, state, message, value, opened_at," +
	" acknowledged_at, acknowledged_by, resolved_at, resolved_by, note, version, updated_at, snoozed_until"

var alertsTable = &table[*domain.Alert]{
	name: "alerts", what: "alert", cols: alertCols, read: tenantScope, write: tenantScope,
	scan: scanAlert, idOf: func(a *domain.Alert) string { return a.ID },
}

func scanAlert(r rowScanner) (*domain.Alert, error) {
	var al domain.Alert
	var acked, resolved, snoozed sql.NullInt64
	var opened, updated int64
	if err := r.Scan(&al.ID, &al.PartnerID, &al.OrgID, &al.SiteID, &al.DeviceID, &al.RuleID, &al.Kind, &al.Severity,
		&al.State, &al.Message, &al.Value, &opened, &acked, &al.AcknowledgedBy, &resolved, &al.ResolvedBy, &al.Note,
		&al.Version, &updated, &snoozed); err != nil {
		return nil, err
	}
	al.OpenedAt, al.UpdatedAt, al.SnoozedUntil = fromMicros(opened), fromMicros(updated), optMicros(snoozed)
	if acked.Valid {
		al.AcknowledgedAt = fromMicros(acked.Int64)
	}
	if resolved.Valid {
		al.ResolvedAt = fromMicros(resolved.Int64)
	}
	return &al, nil
}

// Open inserts the alert unless an unresolved one of (rule, device)
// exists; ON CONFLICT on the partial unique index settles races.
func (as alertStore) Open(ctx context.Context, al *domain.Alert) (*domain.Alert, bool, error) {
	if al == nil || !domain.ValidID(al.DeviceID) || !domain.ValidID(al.RuleID) {
		return nil, false, notFound("device or alert rule")
	}
	if !domain.ValidSeverity(al.Severity) || al.Kind == "" || !utf8.ValidString(al.Message) || len(al.Message) > 4000 {
		return nil, false, domain.Invalidf("alert severity, kind or message out of bounds")
	}
	id, err := newID("alert", al.ID)
	if err != nil {
		return nil, false, err
	}
	at := now()
	if !al.OpenedAt.IsZero() {
		at = al.OpenedAt.UTC().Truncate(1000)
	}
	var out *domain.Alert
	opened := false
	err = as.s.write(ctx, func(q queryer) error {
		var err error
		out, err = scanAlert(q.QueryRowContext(ctx, "INSERT INTO alerts (id, partner_id, org_id, site_id, device_id, rule_id,"+
			" kind, severity, state, message, value, opened_at, version, updated_at)"+
			" SELECT ?, d.partner_id, d.org_id, d.site_id, d.id, r.id, ?, ?, 'open', ?, ?, ?, 1, ?"+
			" FROM devices d, alert_rules r WHERE d.id = ? AND r.id = ?"+
			" ON CONFLICT (rule_id, device_id) WHERE state <> 'resolved' DO NOTHING RETURNING "+alertCols,
			id, al.Kind, string(al.Severity), al.Message, al.Value, micros(at), micros(at), al.DeviceID, al.RuleID))
		if errors.Is(err, sql.ErrNoRows) {
			out, err = scanAlert(q.QueryRowContext(ctx, "SELECT "+alertCols+" FROM alerts WHERE rule_id = ? AND device_id = ?"+
				" AND state <> 'resolved'", al.RuleID, al.DeviceID))
			if errors.Is(err, sql.ErrNoRows) {
				return notFound("device or alert rule")
			}
			return failure{op: "read open alert"}.wrap(err)
		}
		if err != nil {
			return failure{op: "open alert", dup: "alert id already exists"}.wrap(err)
		}
		opened = true
		return addTransition(ctx, q, out.ID, "", domain.AlertOpen, domain.AlertActorSystem, "", micros(at))
	})
	if err != nil {
		return nil, false, err
	}
	return out, opened, nil
}

func addTransition(ctx context.Context, q queryer, id string, from, to domain.AlertState, actor, note string, at int64) error {
	_, err := q.ExecContext(ctx, "INSERT INTO alert_transitions (alert_id, from_state, to_state, actor, note, at) VALUES (?, ?, ?, ?, ?, ?)",
		id, string(from), string(to), actor, note, at)
	return failure{op: "record alert transition"}.wrap(err)
}

func (as alertStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.Alert, error) {
	return alertsTable.get(ctx, as.s.read(ctx), s, id)
}

func (as alertStore) List(ctx context.Context, s domain.Scope, f ports.AlertFilter, page domain.PageRequest) (domain.Page[*domain.Alert], error) {
	var flt filter
	if f.State == ports.UnresolvedFilter {
		flt.add("state <> 'resolved'")
	} else if f.State != "" {
		flt.add("state = ?", string(f.State))
	}
	if f.Severity != "" {
		flt.add("severity = ?", string(f.Severity))
	}
	if f.DeviceID != "" {
		flt.tenant("device_id", f.DeviceID)
	}
	if f.RuleID != "" {
		flt.add("rule_id = ?", f.RuleID)
	}
	if f.OrgID != "" {
		flt.tenant("org_id", f.OrgID)
	}
	if f.SiteID != "" {
		flt.tenant("site_id", f.SiteID)
	}
	if !f.From.IsZero() {
		flt.add("opened_at >= ?", micros(f.From))
	}
	if !f.To.IsZero() {
		flt.add("opened_at < ?", micros(f.To))
	}
	if !f.UpdatedFrom.IsZero() {
		flt.add("updated_at >= ?", micros(f.UpdatedFrom))
	}
	return alertsTable.list(ctx, as.s.read(ctx), s, flt, page)
}

func (as alertStore) Transition(ctx context.Context, s domain.Scope, id string, from []domain.AlertState, u domain.AlertUpdate) (*domain.Alert, error) {
	if u.To != domain.AlertAcknowledged && u.To != domain.AlertResolved {
		return nil, domain.Invalidf("an alert moves to acknowledged or resolved")
	}
	if !utf8.ValidString(u.Note) || len(u.Note) > 4000 || len(u.Actor) > 200 {
		return nil, domain.Invalidf("note or actor out of bounds")
	}
	at := now()
	if !u.At.IsZero() {
		at = u.At.UTC().Truncate(1000)
	}
	var out *domain.Alert
	var stale error
	err := as.s.write(ctx, func(q queryer) error {
		cur, err := alertsTable.get(ctx, q, s, id)
		if err != nil {
			return err
		}
		if !slices.Contains(from, cur.State) {
			out, stale = cur, domain.Conflictf("alert is %s", cur.State)
			return nil
		}
		set, args := "acknowledged_at = ?, acknowledged_by = ?", []any{string(u.To), micros(at), micros(at), u.Actor}
		if u.To == domain.AlertResolved {
			set, args = "resolved_at = ?, resolved_by = ?, note = ?", append(args, u.Note)
		}
		out, err = scanAlert(q.QueryRowContext(ctx, "UPDATE alerts SET state = ?, version = version + 1, updated_at = ?, "+set+
			" WHERE id = ? RETURNING "+alertCols, append(args, id)...))
		if err != nil {
			return failure{op: "move alert"}.wrap(err)
		}
		return addTransition(ctx, q, id, cur.State, u.To, u.Actor, u.Note, micros(at))
	})
	if err != nil {
		return nil, err
	}
	return out, stale
}

func (as alertStore) History(ctx context.Context, s domain.Scope, alertID string) ([]domain.AlertTransition, error) {
	q := as.s.read(ctx)
	if _, err := alertsTable.get(ctx, q, s, alertID); err != nil {
		return nil, err
	}
	out, err := queryList(ctx, q, "SELECT alert_id, from_state, to_state, actor, note, at, action, until_at FROM alert_transitions"+
		" WHERE alert_id = ? ORDER BY id", []any{alertID}, func(r rowScanner) (domain.AlertTransition, error) {
		var t domain.AlertTransition
		var at int64
		var until sql.NullInt64
		err := r.Scan(&t.AlertID, &t.From, &t.To, &t.Actor, &t.Note, &at, &t.Action, &until)
		t.At, t.Until = fromMicros(at), optMicros(until)
		return t, err
	})
	if out == nil && err == nil {
		out = []domain.AlertTransition{}
	}
	return out, err
}

func (as alertStore) Unresolved(ctx context.Context, deviceID, kind string, limit int) ([]*domain.Alert, error) {
	if limit <= 0 {
		limit = domain.MaxPageSize
	}
	where, args := []string{"state <> 'resolved'"}, []any{}
	if deviceID != "" {
		where, args = append(where, "device_id = ?"), append(args, deviceID)
	}
	if kind != "" {
		where, args = append(where, "kind = ?"), append(args, kind)
	}
	return queryList(ctx, as.s.read(ctx), "SELECT "+alertCols+" FROM alerts WHERE "+strings.Join(where, " AND ")+
		" ORDER BY id LIMIT ?", append(args, limit), scanAlert)
}
