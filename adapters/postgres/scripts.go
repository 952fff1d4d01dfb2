package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Scripts keeps the script library and its runs (see ports.ScriptStore).
func (s *Store) Scripts() ports.ScriptStore { return scriptStore{q: s.q} }

type scriptStore struct{ q querier }

var _ ports.ScriptStore = scriptStore{}

const scriptCols = "id, partner_id, coalesce(org_id::text, ''), name, description, language, body, params::text," +
	" timeout_seconds, run_as, os_filter, version, created_by, created_at, updated_at"

// scriptWrite: an org script is written by callers covering its org, a
// partner-wide one (NULL org_id, which matches no id) by its partner only.
var scriptWrite = scopeCols{partner: "partner_id", org: "org_id"}

// scriptRead adds to scriptWrite the partner-wide scripts of any partner
// the scope touches through one of its orgs or sites (they are shared with
// those), and a site holder's org scripts.
func scriptRead(s domain.Scope, a *args, prefix string) string {
	if s.Global {
		return "TRUE"
	}
	terms := []string{scriptWrite.where(s, a, prefix)}
	if ids := validIDs(s.OrgIDs); len(ids) > 0 {
		terms = append(terms, "("+prefix+"org_id IS NULL AND "+prefix+"partner_id IN"+
			" (SELECT partner_id FROM organizations WHERE id"+inIDs(a, ids)+"))")
	}
	if ids := validIDs(s.SiteIDs); len(ids) > 0 {
		// A site holder reads its org's scripts too (as org reads allow).
		terms = append(terms, "("+prefix+"org_id IN (SELECT org_id FROM sites WHERE id"+inIDs(a, ids)+"))",
			"("+prefix+"org_id IS NULL AND "+prefix+"partner_id IN"+
				" (SELECT partner_id FROM sites WHERE id"+inIDs(a, ids)+"))")
	}
	return "(" + strings.Join(terms, " OR ") + ")"
}

func scanScript(row pgx.Row) (*domain.Script, error) {
	var sc domain.Script
	var params string
	if err := row.Scan(&sc.ID, &sc.PartnerID, &sc.OrgID, &sc.Name, &sc.Description, &sc.Language, &sc.Body, &params,
		&sc.TimeoutSeconds, &sc.RunAs, &sc.OSFilter, &sc.Version, &sc.CreatedBy, &sc.CreatedAt, &sc.UpdatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(params), &sc.Params); err != nil {
		return nil, fmt.Errorf("decode script params: %w", err)
	}
	if sc.OSFilter == nil {
		sc.OSFilter = []string{}
	}
	sc.CreatedAt, sc.UpdatedAt = sc.CreatedAt.UTC(), sc.UpdatedAt.UTC()
	return &sc, nil
}

// Bounds of script fields (the app checks the finer rules: parameter
// names, languages known to a runtime).
const (
	maxScriptBody  = 1 << 20
	maxScriptShort = 200 // language, run-as user, creator
	maxScriptDesc  = 4000
)

// checkScript validates the caller's content and returns params as JSON
// and the OS filter as a non-nil list.
func checkScript(sc *domain.Script) (params string, osFilter []string, err error) {
	if err := domain.ValidateName("script", sc.Name); err != nil {
		return "", nil, err
	}
	switch {
	case sc.Language == "" || len(sc.Language) > maxScriptShort:
		return "", nil, domain.Invalidf("script language is required (at most %d characters)", maxScriptShort)
	case len(sc.Body) > maxScriptBody:
		return "", nil, domain.Invalidf("script body is longer than %d bytes", maxScriptBody)
	case len(sc.Description) > maxScriptDesc:
		return "", nil, domain.Invalidf("script description is longer than %d bytes", maxScriptDesc)
	case len(sc.RunAs) > maxScriptShort || len(sc.CreatedBy) > maxScriptShort:
		return "", nil, domain.Invalidf("script run-as user and creator are at most %d characters", maxScriptShort)
	case sc.TimeoutSeconds < 0:
		return "", nil, domain.Invalidf("script timeout must not be negative")
	}
	for _, v := range append([]string{sc.Name, sc.Description, sc.Language, sc.Body, sc.RunAs, sc.CreatedBy}, sc.OSFilter...) {
		if !storable(v) {
			return "", nil, domain.Invalidf("script text must be valid UTF-8 without NUL bytes")
		}
	}
	osFilter = sc.OSFilter
	if osFilter == nil {
		osFilter = []string{}
	}
	return encodeList(sc.Params), osFilter, nil
}

// encodeList stores a list as JSON, nil as [].
func encodeList[T any](v []T) string {
	if v == nil {
		v = []T{}
	}
	b, _ := json.Marshal(v) // slices of strings and flat structs always marshal
	return string(b)
}

// translateScript names the clash of a script's unique name.
func translateScript(op string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.ConstraintName == "scripts_name_key" {
		return &dbError{domain: domain.Conflictf("a script with that name already exists here"), cause: err}
	}
	return translateJSON(op, err)
}

// Create stores an org script (the org covered at org level) or a
// partner-wide one (the partner covered), and keeps it as version 1.
func (st scriptStore) Create(ctx context.Context, s domain.Scope, sc *domain.Script) error {
	ctx = tenant(ctx, s)
	if sc == nil {
		return domain.Invalidf("script is required")
	}
	params, osFilter, err := checkScript(sc)
	if err != nil {
		return err
	}
	id, err := newID(sc.ID)
	if err != nil {
		return err
	}
	partnerID, err := st.owner(ctx, s, sc.PartnerID, sc.OrgID)
	if err != nil {
		return err
	}
	t := now()
	var out *domain.Script
	err = atomically(ctx, st.q, func(q querier) (err error) {
		out, err = scanScript(q.QueryRow(ctx, `INSERT INTO scripts (id, partner_id, org_id, name, description, language,
				body, params, timeout_seconds, run_as, os_filter, version, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, 1, $12, $13, $13) RETURNING `+scriptCols,
			id, partnerID, nullID(sc.OrgID), sc.Name, sc.Description, sc.Language, sc.Body, params,
			sc.TimeoutSeconds, sc.RunAs, osFilter, sc.CreatedBy, t))
		if err != nil {
			return translateScript("create script", err)
		}
		return keepVersion(ctx, q, out)
	})
	if err != nil {
		return err
	}
	*sc = *out
	return nil
}

// owner checks the write coverage of a new script's owner and returns its
// partner: the org's when orgID is set (a partnerID naming another is
// ErrInvalid), else partnerID itself.
func (st scriptStore) owner(ctx context.Context, s domain.Scope, partnerID, orgID string) (string, error) {
	if orgID != "" {
		if !domain.ValidID(orgID) {
			return "", notFound("organization")
		}
		a := args{orgID}
		var p string
		err := st.q.QueryRow(ctx, "SELECT partner_id FROM organizations WHERE id = $1 AND "+orgWrite.where(s, &a, ""), a...).Scan(&p)
		if errors.Is(err, pgx.ErrNoRows) {
			return "", notFound("organization")
		}
		if err != nil {
			return "", translate("read organization", err)
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
	a := args{partnerID}
	var found bool
	err := st.q.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM partners WHERE id = $1 AND "+partnerScope.where(s, &a, "")+")", a...).Scan(&found)
	if err != nil {
		return "", translate("read partner", err)
	}
	if !found {
		return "", notFound("partner")
	}
	return partnerID, nil
}

// keepVersion stores the script's current content as its version.
func keepVersion(ctx context.Context, q querier, sc *domain.Script) error {
	osFilter := sc.OSFilter
	if osFilter == nil {
		osFilter = []string{}
	}
	_, err := q.Exec(ctx, `INSERT INTO script_versions (script_id, version, language, body, params, timeout_seconds,
			run_as, os_filter, created_by, created_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10)`,
		sc.ID, sc.Version, sc.Language, sc.Body, encodeList(sc.Params), sc.TimeoutSeconds, sc.RunAs, osFilter,
		sc.CreatedBy, sc.UpdatedAt)
	return translateJSON("keep script version", err)
}

func (st scriptStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.Script, error) {
	ctx = tenant(ctx, s)
	return getScript(ctx, st.q, s, id)
}

func getScript(ctx context.Context, q querier, s domain.Scope, id string) (*domain.Script, error) {
	return getShared(ctx, q, "script", scriptCols, "scripts", id, s, scanScript)
}

func (st scriptStore) List(ctx context.Context, s domain.Scope, f ports.ScriptFilter, page domain.PageRequest) (domain.Page[*domain.Script], error) {
	ctx = tenant(ctx, s)
	var a args
	where := []string{scriptRead(s, &a, "")}
	if w := seenByOrg(f.OrgID, &a); w != "" {
		where = append(where, w)
	}
	if f.Query != "" {
		where = append(where, `name ILIKE `+a.add(likePattern(f.Query))+` ESCAPE '\'`)
	}
	tail, page, err := pageQuery(page, &a, where)
	if err != nil {
		return domain.Page[*domain.Script]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+scriptCols+" FROM scripts"+tail, a, scanScript)
	if err != nil {
		return domain.Page[*domain.Script]{}, translate("list scripts", err)
	}
	return finishPage(items, page.Limit, func(sc *domain.Script) string { return sc.ID }), nil
}

// Update writes the new content at sc.Version and keeps it as the next
// version, atomically. The creator of the new version is sc.CreatedBy when
// set (the editor), else the script's creator.
func (st scriptStore) Update(ctx context.Context, s domain.Scope, sc *domain.Script) (*domain.Script, error) {
	ctx = tenant(ctx, s)
	if sc == nil {
		return nil, domain.Invalidf("script is required")
	}
	if !domain.ValidID(sc.ID) {
		return nil, notFound("script")
	}
	params, osFilter, err := checkScript(sc)
	if err != nil {
		return nil, err
	}
	var out *domain.Script
	err = atomically(ctx, st.q, func(q querier) (err error) {
		a := args{sc.ID, sc.Version, sc.Name, sc.Description, sc.Language, sc.Body, params, sc.TimeoutSeconds,
			sc.RunAs, osFilter, now()}
		out, err = scanScript(q.QueryRow(ctx, `UPDATE scripts SET name = $3, description = $4, language = $5, body = $6,
				params = $7::jsonb, timeout_seconds = $8, run_as = $9, os_filter = $10, version = version + 1, updated_at = $11
			WHERE id = $1 AND version = $2 AND `+scriptWrite.where(s, &a, "")+` RETURNING `+scriptCols, a...))
		if errors.Is(err, pgx.ErrNoRows) {
			return missedUpdate(ctx, q, "scripts", scriptWrite, s, sc.ID, sc.Version, "script")
		}
		if err != nil {
			return translateScript("update script", err)
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
func (st scriptStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	ctx = tenant(ctx, s)
	return deleteRow(ctx, st.q, "scripts", scriptWrite, s, id, "script")
}
