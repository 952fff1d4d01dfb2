package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/breeze-rmm/breeze/core/domain"
)

const scriptRunCols = "id, partner_id, org_id, script_id, script_version, target_kind, target_id, device_ids, params," +
	" requested_by, created_at"

// A run is visible when the scope covers its org (org level).
var scriptRuns = &table[*domain.ScriptRun]{
	name:  "script_runs",
	what:  "script run",
	cols:  scriptRunCols,
	read:  scopeCols{partner: "partner_id", org: "org_id"},
	write: scopeCols{partner: "partner_id", org: "org_id"},
	scan:  scanScriptRun,
	idOf:  func(r *domain.ScriptRun) string { return r.ID },
}

func scanScriptRun(r rowScanner) (*domain.ScriptRun, error) {
	var run domain.ScriptRun
	var kind, devices, params string
	var created int64
	if err := r.Scan(&run.ID, &run.PartnerID, &run.OrgID, &run.ScriptID, &run.ScriptVersion, &kind, &run.TargetID,
		&devices, &params, &run.RequestedBy, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(devices), &run.DeviceIDs); err != nil {
		return nil, fmt.Errorf("decode run devices: %w", err)
	}
	if err := json.Unmarshal([]byte(params), &run.Params); err != nil {
		return nil, fmt.Errorf("decode run params: %w", err)
	}
	run.TargetKind, run.CreatedAt = domain.RunTargetKind(kind), fromMicros(created)
	return &run, nil
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
	if len(r.RequestedBy) > maxRefLen {
		return "", "", domain.Invalidf("run requester is at most %d characters", maxRefLen)
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
// deleted or foreign script is ErrNotFound.
func (ss scriptStore) CreateRun(ctx context.Context, s domain.Scope, r *domain.ScriptRun) error {
	if r == nil {
		return domain.Invalidf("script run is required")
	}
	devices, params, err := checkRun(r)
	if err != nil {
		return err
	}
	id, err := newID("script run", r.ID)
	if err != nil {
		return err
	}
	if r.OrgID == "" {
		return domain.Invalidf("a script run belongs to an organization")
	}
	if !domain.ValidID(r.ScriptID) {
		return notFound("script")
	}
	var out *domain.ScriptRun
	err = ss.s.write(ctx, func(q queryer) error {
		partnerID, err := orgPartner(ctx, q, s, r.OrgID)
		if err != nil {
			return err
		}
		if r.PartnerID != "" && r.PartnerID != partnerID {
			return domain.Invalidf("organization %s is not in partner %s", r.OrgID, r.PartnerID)
		}
		var one int
		err = q.QueryRowContext(ctx, "SELECT 1 FROM scripts WHERE id = ? AND partner_id = ? AND (org_id IS NULL OR org_id = ?)",
			r.ScriptID, partnerID, r.OrgID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("script")
		}
		if err != nil {
			return failure{op: "read script"}.wrap(err)
		}
		out, err = scanScriptRun(q.QueryRowContext(ctx, "INSERT INTO script_runs ("+scriptRunCols+")"+
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING "+scriptRunCols,
			id, partnerID, r.OrgID, r.ScriptID, r.ScriptVersion, string(r.TargetKind), r.TargetID, devices, params,
			r.RequestedBy, micros(now())))
		return failure{op: "create script run", dup: fmt.Sprintf("script run %s already exists", id)}.wrap(err)
	})
	if err != nil {
		return err
	}
	*r = *out
	return nil
}

func (ss scriptStore) GetRun(ctx context.Context, s domain.Scope, id string) (*domain.ScriptRun, error) {
	return scriptRuns.get(ctx, ss.s.read(ctx), s, id)
}

// ListRuns pages runs newest first, of one script when scriptID is set.
func (ss scriptStore) ListRuns(ctx context.Context, s domain.Scope, scriptID string, page domain.PageRequest) (domain.Page[*domain.ScriptRun], error) {
	var flt filter
	if scriptID != "" {
		flt.tenant("script_id", scriptID)
	}
	return listDesc(ctx, ss.s.read(ctx), scriptRuns, s, flt, page)
}
