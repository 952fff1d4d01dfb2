package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Scripts keeps the script library and its runs (see ports.ScriptStore).
func (s *Store) Scripts() ports.ScriptStore { return scriptStore{s} }

type scriptStore struct{ s *Store }

var _ ports.ScriptStore = scriptStore{}

const scriptCols = "id, partner_id, org_id, name, description, language, body, params, timeout_seconds, run_as," +
	" os_filter, version, created_by, created_at, updated_at"

var scripts = &table[*domain.Script]{
	name:  "scripts",
	what:  "script",
	cols:  scriptCols,
	read:  scriptReadScope{},
	write: scriptWriteScope,
	scan:  scanScript,
	idOf:  func(sc *domain.Script) string { return sc.ID },
	failOn: failure{
		unique: "a script with that name already exists here",
	},
}

// scriptWriteScope: an org script is written by callers covering its org, a
// partner-wide one (NULL org_id, which matches no id) by its partner only.
var scriptWriteScope = scopeCols{partner: "partner_id", org: "org_id"}

// scriptReadScope adds to the write scope the partner-wide scripts of any
// partner the scope touches through one of its orgs or sites (they are
// shared with those), and a site holder's org scripts.
type scriptReadScope struct{}

func (scriptReadScope) where(s domain.Scope, prefix string, args *[]any) string {
	if s.Global {
		return "1"
	}
	terms := []string{scriptWriteScope.where(s, prefix, args)}
	if ids := validIDs(s.OrgIDs); len(ids) > 0 {
		terms = append(terms, "("+prefix+"org_id IS NULL AND "+prefix+"partner_id IN"+
			" (SELECT partner_id FROM organizations WHERE id IN ("+placeholders(ids, args)+")))")
	}
	if ids := validIDs(s.SiteIDs); len(ids) > 0 {
		// A site holder reads its org's scripts too (as org reads allow).
		terms = append(terms, "("+prefix+"org_id IN (SELECT org_id FROM sites WHERE id IN ("+placeholders(ids, args)+")))",
			"("+prefix+"org_id IS NULL AND "+prefix+"partner_id IN"+
				" (SELECT partner_id FROM sites WHERE id IN ("+placeholders(ids, args)+")))")
	}
	return "(" + strings.Join(terms, " OR ") + ")"
}

func scanScript(r rowScanner) (*domain.Script, error) {
	var sc domain.Script
	var org sql.NullString
	var params, osFilter string
	var created, updated int64
	if err := r.Scan(&sc.ID, &sc.PartnerID, &org, &sc.Name, &sc.Description, &sc.Language, &sc.Body, &params,
		&sc.TimeoutSeconds, &sc.RunAs, &osFilter, &sc.Version, &sc.CreatedBy, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(params), &sc.Params); err != nil {
		return nil, fmt.Errorf("decode script params: %w", err)
	}
	if err := json.Unmarshal([]byte(osFilter), &sc.OSFilter); err != nil {
		return nil, fmt.Errorf("decode script os filter: %w", err)
	}
	sc.OrgID, sc.CreatedAt, sc.UpdatedAt = org.String, fromMicros(created), fromMicros(updated)
	return &sc, nil
}

// Bounds of script fields (the app checks the finer rules: parameter
// names, languages known to a runtime).
const (
	maxScriptBody  = 1 << 20
	maxScriptShort = 200 // language, run-as user, creator
	maxScriptDesc  = 4000
)

// checkScript validates the caller's content and returns params and
// os_filter as stored JSON.
func checkScript(sc *domain.Script) (params, osFilter string, err error) {
	if err := domain.ValidateName("script", sc.Name); err != nil {
		return "", "", err
	}
	switch {
	case sc.Language == "" || len(sc.Language) > maxScriptShort:
		return "", "", domain.Invalidf("script language is required (at most %d characters)", maxScriptShort)
	case len(sc.Body) > maxScriptBody:
		return "", "", domain.Invalidf("script body is longer than %d bytes", maxScriptBody)
	case len(sc.Description) > maxScriptDesc:
		return "", "", domain.Invalidf("script description is longer than %d bytes", maxScriptDesc)
	case len(sc.RunAs) > maxScriptShort || len(sc.CreatedBy) > maxScriptShort:
		return "", "", domain.Invalidf("script run-as user and creator are at most %d characters", maxScriptShort)
	case sc.TimeoutSeconds < 0:
		return "", "", domain.Invalidf("script timeout must not be negative")
	}
	return encodeList(sc.Params), encodeList(sc.OSFilter), nil
}

// encodeList stores a list as JSON, nil as [].
func encodeList[T any](v []T) string {
	if v == nil {
		v = []T{}
	}
	b, _ := json.Marshal(v) // slices of strings and flat structs always marshal
	return string(b)
}

// Create stores an org script (the org covered at org level) or a
// partner-wide one (the partner covered), and keeps it as version 1.
func (ss scriptStore) Create(ctx context.Context, s domain.Scope, sc *domain.Script) error {
	if sc == nil {
		return domain.Invalidf("script is required")
	}
	params, osFilter, err := checkScript(sc)
	if err != nil {
		return err
	}
	id, err := newID("script", sc.ID)
	if err != nil {
		return err
	}
	t := micros(now())
	var out *domain.Script
	err = ss.s.write(ctx, func(q queryer) error {
		partnerID, err := scriptOwner(ctx, q, s, sc.PartnerID, sc.OrgID)
		if err != nil {
			return err
		}
		out, err = scanScript(q.QueryRowContext(ctx, "INSERT INTO scripts ("+scriptCols+")"+
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?) RETURNING "+scriptCols,
			id, partnerID, nullString(sc.OrgID), sc.Name, sc.Description, sc.Language, sc.Body, params,
			sc.TimeoutSeconds, sc.RunAs, osFilter, sc.CreatedBy, t, t))
		if err != nil {
			return failure{
				op:      "create script",
				unique:  "a script with that name already exists here",
				dup:     fmt.Sprintf("script %s already exists", id),
				missing: "organization or partner not found",
			}.wrap(err)
		}
		return keepVersion(ctx, q, out)
	})
	if err != nil {
		return err
	}
	*sc = *out
	return nil
}

// scriptOwner checks the write coverage of a new script's owner and returns
// its partner: the org's when orgID is set (a partnerID naming another is
// ErrInvalid), else partnerID itself.
func scriptOwner(ctx context.Context, q queryer, s domain.Scope, partnerID, orgID string) (string, error) {
	if orgID != "" {
		p, err := orgPartner(ctx, q, s, orgID)
		if err != nil {
			return "", err
		}
		if partnerID != "" && partnerID != p {
			return "", domain.Invalidf("organization %s is not in partner %s", orgID, partnerID)
		}
		return p, nil
	}
	if partnerID == "" {
		return "", domain.Invalidf("a script belongs to an organization or, shared, to a partner")
	}
	if !domain.ValidID(partnerID) {
		return "", notFound("partner")
	}
	args := []any{partnerID}
	where := partnerScope.where(s, "", &args)
	var one int
	err := q.QueryRowContext(ctx, "SELECT 1 FROM partners WHERE id = ? AND "+where, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound("partner")
	}
	if err != nil {
		return "", failure{op: "read partner"}.wrap(err)
	}
	return partnerID, nil
}

// keepVersion stores the script's current content as its version.
func keepVersion(ctx context.Context, q queryer, sc *domain.Script) error {
	_, err := q.ExecContext(ctx, "INSERT INTO script_versions (script_id, version, language, body, params,"+
		" timeout_seconds, run_as, os_filter, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		sc.ID, sc.Version, sc.Language, sc.Body, encodeList(sc.Params), sc.TimeoutSeconds, sc.RunAs,
		encodeList(sc.OSFilter), sc.CreatedBy, micros(sc.UpdatedAt))
	return failure{op: "keep script version", unique: "script version already kept"}.wrap(err)
}

func (ss scriptStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.Script, error) {
	return scripts.get(ctx, ss.s.read(ctx), s, id)
}

func (ss scriptStore) List(ctx context.Context, s domain.Scope, f ports.ScriptFilter, page domain.PageRequest) (domain.Page[*domain.Script], error) {
	var flt filter
	if f.OrgID != "" {
		flt.add("(org_id = ? OR (org_id IS NULL AND partner_id = (SELECT partner_id FROM organizations WHERE id = ?)))",
			f.OrgID, f.OrgID)
	}
	if f.Query != "" {
		flt.contains("name", f.Query)
	}
	return scripts.list(ctx, ss.s.read(ctx), s, flt, page)
}

// Update writes the new content at sc.Version and keeps it as the next
// version, in one transaction. The creator of the new version is
// sc.CreatedBy when set (the editor), else the script's creator.
func (ss scriptStore) Update(ctx context.Context, s domain.Scope, sc *domain.Script) (*domain.Script, error) {
	if sc == nil {
		return nil, domain.Invalidf("script is required")
	}
	params, osFilter, err := checkScript(sc)
	if err != nil {
		return nil, err
	}
	var out *domain.Script
	err = ss.s.write(ctx, func(q queryer) (err error) {
		out, err = scripts.update(ctx, q, s, sc.ID, sc.Version,
			"name = ?, description = ?, language = ?, body = ?, params = ?, timeout_seconds = ?, run_as = ?, os_filter = ?",
			sc.Name, sc.Description, sc.Language, sc.Body, params, sc.TimeoutSeconds, sc.RunAs, osFilter)
		if err != nil {
			return err
		}
		v := *out
		if sc.CreatedBy != "" {
			v.CreatedBy = sc.CreatedBy
		}
		return keepVersion(ctx, q, &v)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Delete removes a script and its versions; its runs stay as history.
func (ss scriptStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	return ss.s.write(ctx, func(q queryer) error { return scripts.delete(ctx, q, s, id) })
}
