package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// AlertRules keeps alert rules (see ports.AlertRuleStore).
func (s *Store) AlertRules() ports.AlertRuleStore { return alertRuleStore{q: s.q} }

// Alerts keeps alerts and their history (see ports.AlertStore).
func (s *Store) Alerts() ports.AlertStore { return alertStore{q: s.q} }

type alertRuleStore struct{ q querier }
type alertStore struct{ q querier }

var (
	_ ports.AlertRuleStore = alertRuleStore{}
	_ ports.AlertStore     = alertStore{}
)

const ruleCols = "id, partner_id, coalesce(org_id::text, ''), name, description, enabled, severity, kind, params::text," +
	" scope_kind, scope_ids::text, exclude_device_ids::text, renotify_seconds, version, created_by, created_at, updated_at," +
	" coalesce(remediation::text, ''), remediation_every_hours, remediation_by"

func scanRule(row pgx.Row) (*domain.AlertRule, error) {
	var r domain.AlertRule
	var params, scope, excl, rem string
	if err := row.Scan(&r.ID, &r.PartnerID, &r.OrgID, &r.Name, &r.Description, &r.Enabled, &r.Severity, &r.Kind, &params,
		&r.ScopeKind, &scope, &excl, &r.RenotifySeconds, &r.Version, &r.CreatedBy, &r.CreatedAt, &r.UpdatedAt,
		&rem, &r.RemediationEveryHours, &r.RemediationBy); err != nil {
		return nil, err
	}
	if rem != "" {
		r.Remediation = new(domain.AlertRemediationSpec)
		if err := json.Unmarshal([]byte(rem), r.Remediation); err != nil {
			return nil, fmt.Errorf("decode rule remediation: %w", err)
		}
	}
	r.Params = json.RawMessage(params)
	if err := json.Unmarshal([]byte(scope), &r.ScopeIDs); err != nil {
		return nil, fmt.Errorf("decode rule scope: %w", err)
	}
	if err := json.Unmarshal([]byte(excl), &r.ExcludeDeviceIDs); err != nil {
		return nil, fmt.Errorf("decode rule exclusions: %w", err)
	}
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return &r, nil
}

// remediationOf encodes a rule's remediation for its column (nil: none).
func remediationOf(r *domain.AlertRule) (any, error) {
	if r.Remediation == nil {
		return nil, nil
	}
	if r.RemediationEveryHours < 0 || !storable(r.RemediationBy) || len(r.RemediationBy) > 200 {
		return nil, domain.Invalidf("alert rule remediation out of bounds")
	}
	raw, err := json.Marshal(r.Remediation)
	if err != nil || !storable(string(raw)) {
		return nil, domain.Invalidf("alert rule remediation must be JSON text")
	}
	return string(raw), nil
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
	for _, v := range []string{r.Name, r.Description, r.Kind, r.CreatedBy} {
		if !storable(v) {
			return "", domain.Invalidf("alert rule text must be valid UTF-8 without NUL bytes")
		}
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

func translateRule(op string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.ConstraintName == "alert_rules_name_key" {
		return &dbError{domain: domain.Conflictf("an alert rule with that name already exists here"), cause: err}
	}
	return translateJSON(op, err)
}

func (st alertRuleStore) Create(ctx context.Context, s domain.Scope, r *domain.AlertRule) error {
	ctx = tenant(ctx, s)
	if r == nil {
		return domain.Invalidf("alert rule is required")
	}
	params, err := checkRule(r)
	if err != nil {
		return err
	}
	id, err := newID(r.ID)
	if err != nil {
		return err
	}
	rem, err := remediationOf(r)
	if err != nil {
		return err
	}
	partnerID, err := scriptStore{q: st.q}.owner(ctx, s, r.PartnerID, r.OrgID)
	if err != nil {
		return err
	}
	t := now()
	out, err := scanRule(st.q.QueryRow(ctx, `INSERT INTO alert_rules (id, partner_id, org_id, name, description, enabled,
			severity, kind, params, scope_kind, scope_ids, exclude_device_ids, renotify_seconds, version, created_by,
			created_at, updated_at, remediation, remediation_every_hours, remediation_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11::jsonb, $12::jsonb, $13, 1, $14, $15, $15, $16::jsonb, $17, $18)
		RETURNING `+ruleCols,
		id, partnerID, nullID(r.OrgID), r.Name, r.Description, r.Enabled, r.Severity, r.Kind, params, r.ScopeKind,
		encodeList(r.ScopeIDs), encodeList(r.ExcludeDeviceIDs), r.RenotifySeconds, r.CreatedBy, t,
		rem, r.RemediationEveryHours, r.RemediationBy))
	if err != nil {
		return translateRule("create alert rule", err)
	}
	*r = *out
	return nil
}

func (st alertRuleStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.AlertRule, error) {
	ctx = tenant(ctx, s)
	return getShared(ctx, st.q, "alert rule", ruleCols, "alert_rules", id, s, scanRule)
}

func (st alertRuleStore) List(ctx context.Context, s domain.Scope, f ports.AlertRuleFilter, page domain.PageRequest) (domain.Page[*domain.AlertRule], error) {
	ctx = tenant(ctx, s)
	var a args
	where := []string{scriptRead(s, &a, "")}
	if w := seenByOrg(f.OrgID, &a); w != "" {
		where = append(where, w)
	}
	if f.Kind != "" {
		where = append(where, "kind = "+a.add(f.Kind))
	}
	tail, page, err := pageQuery(page, &a, where)
	if err != nil {
		return domain.Page[*domain.AlertRule]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+ruleCols+" FROM alert_rules"+tail, a, scanRule)
	if err != nil {
		return domain.Page[*domain.AlertRule]{}, translate("list alert rules", err)
	}
	return finishPage(items, page.Limit, func(r *domain.AlertRule) string { return r.ID }), nil
}

func (st alertRuleStore) Update(ctx context.Context, s domain.Scope, r *domain.AlertRule) (*domain.AlertRule, error) {
	ctx = tenant(ctx, s)
	if r == nil {
		return nil, domain.Invalidf("alert rule is required")
	}
	params, err := checkRule(r)
	if err != nil {
		return nil, err
	}
	if !domain.ValidID(r.ID) {
		return nil, notFound("alert rule")
	}
	rem, err := remediationOf(r)
	if err != nil {
		return nil, err
	}
	a := args{r.Name, r.Description, r.Enabled, r.Severity, r.Kind, params, r.ScopeKind, encodeList(r.ScopeIDs),
		encodeList(r.ExcludeDeviceIDs), r.RenotifySeconds, now(), r.ID, r.Version, rem, r.RemediationEveryHours, r.RemediationBy}
	out, err := scanRule(st.q.QueryRow(ctx, `UPDATE alert_rules SET name = $1, description = $2, enabled = $3, severity = $4,
			kind = $5, params = $6::jsonb, scope_kind = $7, scope_ids = $8::jsonb, exclude_device_ids = $9::jsonb,
			renotify_seconds = $10, version = version + 1, updated_at = $11, remediation = $14::jsonb,
			remediation_every_hours = $15, remediation_by = $16
		WHERE id = $12 AND version = $13 AND `+scriptWrite.where(s, &a, "")+" RETURNING "+ruleCols, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, missedUpdate(ctx, st.q, "alert_rules", scriptWrite, s, r.ID, r.Version, "alert rule")
	}
	if err != nil {
		return nil, translateRule("update alert rule", err)
	}
	return out, nil
}

func (st alertRuleStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	ctx = tenant(ctx, s)
	return deleteRow(ctx, st.q, "alert_rules", scriptWrite, s, id, "alert rule")
}

func (st alertRuleStore) Enabled(ctx context.Context) ([]*domain.AlertRule, error) {
	ctx = system(ctx)
	return queryAll(ctx, st.q, "SELECT "+ruleCols+" FROM alert_rules WHERE enabled ORDER BY id", nil, scanRule)
}

const alertCols = "id, partner_id, org_id, site_id, device_id, rule_id, kind, severity, state, message, value, opened_at," +
	" acknowledged_at, acknowledged_by, resolved_at, resolved_by, note, version, updated_at, snoozed_until," +
	" remediation_status, remediation_command_id, remediation_run_id, remediation_at"

func scanAlert(row pgx.Row) (*domain.Alert, error) {
	var al domain.Alert
	var acked, resolved, snoozed, remAt *time.Time
	rem := &al.Remediation
	if err := row.Scan(&al.ID, &al.PartnerID, &al.OrgID, &al.SiteID, &al.DeviceID, &al.RuleID, &al.Kind, &al.Severity,
		&al.State, &al.Message, &al.Value, &al.OpenedAt, &acked, &al.AcknowledgedBy, &resolved, &al.ResolvedBy, &al.Note,
		&al.Version, &al.UpdatedAt, &snoozed, &rem.Status, &rem.CommandID, &rem.ScriptRunID, &remAt); err != nil {
		return nil, err
	}
	rem.At = fromOpt(remAt)
	al.OpenedAt, al.UpdatedAt = al.OpenedAt.UTC(), al.UpdatedAt.UTC()
	al.AcknowledgedAt, al.ResolvedAt, al.SnoozedUntil = fromOpt(acked), fromOpt(resolved), fromOpt(snoozed)
	return &al, nil
}

// Open inserts the alert unless an unresolved one of (rule, device)
// exists; ON CONFLICT on the partial unique index settles races.
func (st alertStore) Open(ctx context.Context, al *domain.Alert) (*domain.Alert, bool, error) {
	ctx = system(ctx)
	if al == nil || !domain.ValidID(al.DeviceID) || !domain.ValidID(al.RuleID) {
		return nil, false, notFound("device or alert rule")
	}
	if !domain.ValidSeverity(al.Severity) || al.Kind == "" || !storable(al.Message) || len(al.Message) > 4000 {
		return nil, false, domain.Invalidf("alert severity, kind or message out of bounds")
	}
	id, err := newID(al.ID)
	if err != nil {
		return nil, false, err
	}
	at := stamp(al.OpenedAt)
	if al.OpenedAt.IsZero() {
		at = now()
	}
	var out *domain.Alert
	opened := false
	err = atomically(ctx, st.q, func(q querier) error {
		var err error
		out, err = scanAlert(q.QueryRow(ctx, `INSERT INTO alerts (id, partner_id, org_id, site_id, device_id, rule_id, kind,
				severity, state, message, value, opened_at, version, updated_at)
			SELECT $1, d.partner_id, d.org_id, d.site_id, d.id, r.id, $4, $5, 'open', $6, $7, $8, 1, $8
			FROM devices d, alert_rules r WHERE d.id = $2 AND r.id = $3
			ON CONFLICT (rule_id, device_id) WHERE state <> 'resolved' DO NOTHING RETURNING `+alertCols,
			id, al.DeviceID, al.RuleID, al.Kind, al.Severity, al.Message, al.Value, at))
		if errors.Is(err, pgx.ErrNoRows) {
			out, err = scanAlert(q.QueryRow(ctx, "SELECT "+alertCols+" FROM alerts WHERE rule_id = $1 AND device_id = $2"+
				" AND state <> 'resolved'", al.RuleID, al.DeviceID))
			if errors.Is(err, pgx.ErrNoRows) {
				return notFound("device or alert rule")
			}
			return translate("read open alert", err)
		}
		if err != nil {
			return translate("open alert", err)
		}
		opened = true
		return addTransition(ctx, q, out.ID, "", domain.AlertOpen, domain.AlertActorSystem, "", at)
	})
	if err != nil {
		return nil, false, err
	}
	return out, opened, nil
}

func addTransition(ctx context.Context, q querier, id string, from, to domain.AlertState, actor, note string, at time.Time) error {
	_, err := q.Exec(ctx, "INSERT INTO alert_transitions (alert_id, from_state, to_state, actor, note, at) VALUES ($1, $2, $3, $4, $5, $6)",
		id, string(from), string(to), actor, note, at)
	return translate("record alert transition", err)
}

func (st alertStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.Alert, error) {
	ctx = tenant(ctx, s)
	return getAlert(ctx, st.q, s, id, "")
}

func getAlert(ctx context.Context, q querier, s domain.Scope, id, lock string) (*domain.Alert, error) {
	if !domain.ValidID(id) {
		return nil, notFound("alert")
	}
	a := args{id}
	al, err := scanAlert(q.QueryRow(ctx, "SELECT "+alertCols+" FROM alerts WHERE id = $1 AND "+tenantScope.where(s, &a, "")+lock, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("alert")
	}
	if err != nil {
		return nil, translate("get alert", err)
	}
	return al, nil
}

func (st alertStore) List(ctx context.Context, s domain.Scope, f ports.AlertFilter, page domain.PageRequest) (domain.Page[*domain.Alert], error) {
	ctx = tenant(ctx, s)
	var a args
	where := []string{tenantScope.where(s, &a, "")}
	if f.State == ports.UnresolvedFilter {
		where = append(where, "state <> 'resolved'")
	} else if f.State != "" {
		where = append(where, "state = "+a.add(string(f.State)))
	}
	if f.Severity != "" {
		where = append(where, "severity = "+a.add(string(f.Severity)))
	}
	where = filterID(where, &a, "device_id", f.DeviceID)
	where = filterID(where, &a, "rule_id", f.RuleID)
	where = filterID(where, &a, "org_id", f.OrgID)
	where = filterID(where, &a, "site_id", f.SiteID)
	if !f.From.IsZero() {
		where = append(where, "opened_at >= "+a.add(stamp(f.From)))
	}
	if !f.To.IsZero() {
		where = append(where, "opened_at < "+a.add(stamp(f.To)))
	}
	if !f.UpdatedFrom.IsZero() {
		where = append(where, "updated_at >= "+a.add(stamp(f.UpdatedFrom)))
	}
	tail, page, err := pageQuery(page, &a, where)
	if err != nil {
		return domain.Page[*domain.Alert]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+alertCols+" FROM alerts"+tail, a, scanAlert)
	if err != nil {
		return domain.Page[*domain.Alert]{}, translate("list alerts", err)
	}
	return finishPage(items, page.Limit, func(al *domain.Alert) string { return al.ID }), nil
}

func (st alertStore) Transition(ctx context.Context, s domain.Scope, id string, from []domain.AlertState, u domain.AlertUpdate) (*domain.Alert, error) {
	ctx = tenant(ctx, s)
	if u.To != domain.AlertAcknowledged && u.To != domain.AlertResolved {
		return nil, domain.Invalidf("an alert moves to acknowledged or resolved")
	}
	if !storable(u.Note) || len(u.Note) > 4000 || !storable(u.Actor) || len(u.Actor) > 200 {
		return nil, domain.Invalidf("note or actor out of bounds")
	}
	at := stamp(u.At)
	if u.At.IsZero() {
		at = now()
	}
	var out *domain.Alert
	var stale error
	err := atomically(ctx, st.q, func(q querier) error {
		cur, err := getAlert(ctx, q, s, id, " FOR UPDATE")
		if err != nil {
			return err
		}
		if !slices.Contains(from, cur.State) {
			out, stale = cur, domain.Conflictf("alert is %s", cur.State)
			return nil
		}
		set, a := "acknowledged_at = $2, acknowledged_by = $3", args{string(u.To), at, u.Actor, id}
		if u.To == domain.AlertResolved {
			set, a = "resolved_at = $2, resolved_by = $3, note = $5", append(a, u.Note)
		}
		out, err = scanAlert(q.QueryRow(ctx, "UPDATE alerts SET state = $1, version = version + 1, updated_at = $2, "+set+
			" WHERE id = $4 RETURNING "+alertCols, a...))
		if err != nil {
			return translate("move alert", err)
		}
		return addTransition(ctx, q, id, cur.State, u.To, u.Actor, u.Note, at)
	})
	if err != nil {
		return nil, err
	}
	return out, stale
}

func (st alertStore) History(ctx context.Context, s domain.Scope, alertID string) ([]domain.AlertTransition, error) {
	ctx = tenant(ctx, s)
	if _, err := getAlert(ctx, st.q, s, alertID, ""); err != nil {
		return nil, err
	}
	out, err := queryAll(ctx, st.q, "SELECT alert_id, from_state, to_state, actor, note, at, action, until_at FROM alert_transitions"+
		" WHERE alert_id = $1 ORDER BY id", args{alertID}, func(row pgx.Row) (domain.AlertTransition, error) {
		var t domain.AlertTransition
		var until *time.Time
		err := row.Scan(&t.AlertID, &t.From, &t.To, &t.Actor, &t.Note, &t.At, &t.Action, &until)
		t.At, t.Until = t.At.UTC(), fromOpt(until)
		return t, err
	})
	if out == nil && err == nil {
		out = []domain.AlertTransition{}
	}
	return out, err
}

func (st alertStore) Unresolved(ctx context.Context, deviceID, kind string, limit int) ([]*domain.Alert, error) {
	ctx = system(ctx)
	if limit <= 0 {
		limit = domain.MaxPageSize
	}
	a := args{}
	where := []string{"state <> 'resolved'"}
	if deviceID != "" {
		if !domain.ValidID(deviceID) {
			return nil, nil
		}
		where = append(where, "device_id = "+a.add(deviceID)+"::uuid")
	}
	if kind != "" {
		where = append(where, "kind = "+a.add(kind))
	}
	q := "SELECT " + alertCols + " FROM alerts WHERE " + joinAnd(where) + " ORDER BY id LIMIT " + a.add(limit)
	return queryAll(ctx, st.q, q, a, scanAlert)
}

func joinAnd(w []string) string {
	out := w[0]
	for _, s := range w[1:] {
		out += " AND " + s
	}
	return out
}
