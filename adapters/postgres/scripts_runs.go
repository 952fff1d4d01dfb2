package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
)

const scriptRunCols = "id, partner_id, org_id, script_id, script_version, target_kind, target_id, device_ids::text," +
	" params::text, requested_by, created_at"

// A run is visible when the scope covers its org (org level).
var runScope = scopeCols{partner: "partner_id", org: "org_id"}

func scanScriptRun(row pgx.Row) (*domain.ScriptRun, error) {
	var r domain.ScriptRun
	var devices, params string
	if err := row.Scan(&r.ID, &r.PartnerID, &r.OrgID, &r.ScriptID, &r.ScriptVersion, &r.TargetKind, &r.TargetID,
		&devices, &params, &r.RequestedBy, &r.CreatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(devices), &r.DeviceIDs); err != nil {
		return nil, fmt.Errorf("decode run devices: %w", err)
	}
	if err := json.Unmarshal([]byte(params), &r.Params); err != nil {
		return nil, fmt.Errorf("decode run params: %w", err)
	}
	r.CreatedAt = r.CreatedAt.UTC()
	return &r, nil
}

// checkRun validates a run and returns its device ids and params as JSON.
func checkRun(r *domain.ScriptRun) (devices, params string, err error) {
	switch r.TargetKind {
	case domain.TargetDevices:
	case domain.TargetGroup, domain.TargetSite, domain.TargetOrg:
		if !domain.ValidID(r.TargetID) {
			return "", "", domain.Invalidf("a %s run names its target id", r.TargetKind)
		}
	default:
		return "", "", domain.Invalidf("unknown run target kind %q", r.TargetKind)
	}
	if r.ScriptVersion < 1 {
		return "", "", domain.Invalidf("a run names the script version it ran")
	}
	if len(r.RequestedBy) > maxRefLen || !storable(r.RequestedBy) {
		return "", "", domain.Invalidf("run requester is text of at most %d characters", maxRefLen)
	}
	for _, id := range r.DeviceIDs {
		if !domain.ValidID(id) {
			return "", "", domain.Invalidf("run device id %q is not a canonical UUID", id)
		}
	}
	p := r.Params
	if p == nil {
		p = map[string]string{}
	}
	b, err := json.Marshal(p)
	if err != nil {
		return "", "", domain.Invalidf("run params: %v", err)
	}
	return encodeList(r.DeviceIDs), string(b), nil
}

// CreateRun stores a run in an org the scope covers. The script must be the
// org's own or shared by its partner (a run never crosses tenants); a
// deleted or foreign script is ErrNotFound. The checks and the insert are
// one statement.
func (st scriptStore) CreateRun(ctx context.Context, s domain.Scope, r *domain.ScriptRun) error {
	ctx = tenant(ctx, s)
	if r == nil {
		return domain.Invalidf("script run is required")
	}
	devices, params, err := checkRun(r)
	if err != nil {
		return err
	}
	id, err := newID(r.ID)
	if err != nil {
		return err
	}
	if r.OrgID == "" {
		return domain.Invalidf("a script run belongs to an organization")
	}
	if !domain.ValidID(r.OrgID) {
		return notFound("organization")
	}
	if !domain.ValidID(r.ScriptID) {
		return notFound("script")
	}
	if r.PartnerID != "" && !domain.ValidID(r.PartnerID) {
		return domain.Invalidf("partner id %q is not a canonical UUID", r.PartnerID)
	}
	a := args{id, r.OrgID, r.ScriptID, r.ScriptVersion, string(r.TargetKind), r.TargetID, devices, params,
		r.RequestedBy, now(), nullID(r.PartnerID)}
	out, err := scanScriptRun(st.q.QueryRow(ctx, `INSERT INTO script_runs (id, partner_id, org_id, script_id,
			script_version, target_kind, target_id, device_ids, params, requested_by, created_at)
		SELECT $1, o.partner_id, o.id, sc.id, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10
		FROM organizations o JOIN scripts sc ON sc.id = $3 AND sc.partner_id = o.partner_id
			AND (sc.org_id IS NULL OR sc.org_id = o.id)
		WHERE o.id = $2 AND ($11::uuid IS NULL OR o.partner_id = $11::uuid) AND `+orgWrite.where(s, &a, "o.")+` RETURNING `+scriptRunCols, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return st.runMiss(ctx, s, r)
	}
	if err != nil {
		return translateJSON("create script run", err)
	}
	*r = *out
	return nil
}

// runMiss says why CreateRun inserted nothing: an org out of scope, a
// partner id that is not the org's, or a script the org cannot use.
func (st scriptStore) runMiss(ctx context.Context, s domain.Scope, r *domain.ScriptRun) error {
	a := args{r.OrgID}
	var partnerID string
	err := st.q.QueryRow(ctx, "SELECT partner_id FROM organizations WHERE id = $1 AND "+orgWrite.where(s, &a, ""), a...).Scan(&partnerID)
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound("organization")
	}
	if err != nil {
		return translate("create script run", err)
	}
	if r.PartnerID != "" && r.PartnerID != partnerID {
		return domain.Invalidf("organization %s is not in partner %s", r.OrgID, r.PartnerID)
	}
	return notFound("script")
}

func (st scriptStore) GetRun(ctx context.Context, s domain.Scope, id string) (*domain.ScriptRun, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(id) {
		return nil, notFound("script run")
	}
	a := args{id}
	r, err := scanScriptRun(st.q.QueryRow(ctx, "SELECT "+scriptRunCols+" FROM script_runs WHERE id = $1 AND "+
		runScope.where(s, &a, ""), a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("script run")
	}
	if err != nil {
		return nil, translate("get script run", err)
	}
	return r, nil
}

// ListRuns pages runs newest first, of one script when scriptID is set.
func (st scriptStore) ListRuns(ctx context.Context, s domain.Scope, scriptID string, page domain.PageRequest) (domain.Page[*domain.ScriptRun], error) {
	ctx = tenant(ctx, s)
	var a args
	where := filterID([]string{runScope.where(s, &a, "")}, &a, "script_id", scriptID)
	tail, page, err := pageQueryDesc(page, &a, where)
	if err != nil {
		return domain.Page[*domain.ScriptRun]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+scriptRunCols+" FROM script_runs"+tail, a, scanScriptRun)
	if err != nil {
		return domain.Page[*domain.ScriptRun]{}, translate("list script runs", err)
	}
	return finishPage(items, page.Limit, func(r *domain.ScriptRun) string { return r.ID }), nil
}
