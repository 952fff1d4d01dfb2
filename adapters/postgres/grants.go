package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type grantStore struct{ q querier }

var _ ports.RoleAssignmentStore = grantStore{}

// grantColsOf lists the columns scanGrant reads, qualified by p ("a." in joins).
func grantColsOf(p string) string {
	return p + "id, " + p + "user_id, " + p + "role_id, coalesce(" + p + "partner_id::text, ''), coalesce(" +
		p + "org_id::text, ''), coalesce(" + p + "site_id::text, ''), " + p + "created_by, " + p + "created_at"
}

var grantCols = grantColsOf("")

func scanGrant(row pgx.Row) (*domain.RoleAssignment, error) {
	var g domain.RoleAssignment
	if err := row.Scan(&g.ID, &g.UserID, &g.RoleID, &g.PartnerID, &g.OrgID, &g.SiteID, &g.CreatedBy, &g.CreatedAt); err != nil {
		return nil, err
	}
	g.CreatedAt = g.CreatedAt.UTC()
	return &g, nil
}

// Create grants a role at a unit. The unit must be covered by the scope and
// the user and the role visible to it (ErrNotFound otherwise); the unit must
// lie in the user's partner and a custom role belong to the unit's partner
// (ErrInvalid otherwise). Users, roles and units never move, so the checks
// stay true until the insert; a row deleted meanwhile fails its foreign key.
func (st grantStore) Create(ctx context.Context, s domain.Scope, g *domain.RoleAssignment) error {
	ctx = tenant(ctx, s)
	if !domain.ValidID(g.UserID) {
		return notFound("user")
	}
	if !domain.ValidID(g.RoleID) {
		return notFound("role")
	}
	id, err := newID(g.ID)
	if err != nil {
		return err
	}
	if err := checkUnit(ctx, st.q, s, g.PartnerID, g.OrgID, g.SiteID); err != nil {
		return err
	}

	a := args{g.UserID}
	var userPartner string
	err = st.q.QueryRow(ctx, "SELECT partner_id FROM users WHERE id = $1 AND "+userScope.where(s, &a, ""), a...).Scan(&userPartner)
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound("user")
	}
	if err != nil {
		return translate("create role assignment", err)
	}
	if g.PartnerID != "" && userPartner != g.PartnerID {
		return domain.Invalidf("the unit is outside the user's partner")
	}

	a = args{g.RoleID}
	var rolePartner string
	var builtIn bool
	err = st.q.QueryRow(ctx, "SELECT coalesce(partner_id::text, ''), built_in FROM roles WHERE id = $1 AND "+
		roleRead(s, &a, ""), a...).Scan(&rolePartner, &builtIn)
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound("role")
	}
	if err != nil {
		return translate("create role assignment", err)
	}
	if !builtIn && rolePartner != g.PartnerID {
		return domain.Invalidf("role %s belongs to another partner than the unit", g.RoleID)
	}

	t := now()
	_, err = st.q.Exec(ctx, `INSERT INTO role_assignments (id, user_id, role_id, partner_id, org_id, site_id, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		id, g.UserID, g.RoleID, nullID(g.PartnerID), nullID(g.OrgID), nullID(g.SiteID), g.CreatedBy, t)
	if err != nil {
		return translate("create role assignment", err)
	}
	g.ID, g.CreatedAt = id, t
	return nil
}

func (st grantStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.RoleAssignment, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(id) {
		return nil, notFound("role assignment")
	}
	a := args{id}
	g, err := scanGrant(st.q.QueryRow(ctx, "SELECT "+grantCols+" FROM role_assignments WHERE id = $1 AND "+
		unitScope.where(s, &a, ""), a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("role assignment")
	}
	if err != nil {
		return nil, translate("get role assignment", err)
	}
	return g, nil
}

// List returns the grants whose unit the scope covers, whoever holds them.
func (st grantStore) List(ctx context.Context, s domain.Scope, f ports.RoleAssignmentFilter, page domain.PageRequest) (domain.Page[*domain.RoleAssignment], error) {
	ctx = tenant(ctx, s)
	var a args
	where := []string{unitScope.where(s, &a, "")}
	where = filterID(where, &a, "user_id", f.UserID)
	where = filterID(where, &a, "role_id", f.RoleID)
	tail, page, err := pageQuery(page, &a, where)
	if err != nil {
		return domain.Page[*domain.RoleAssignment]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+grantCols+" FROM role_assignments"+tail, a, scanGrant)
	if err != nil {
		return domain.Page[*domain.RoleAssignment]{}, translate("list role assignments", err)
	}
	return finishPage(items, page.Limit, func(g *domain.RoleAssignment) string { return g.ID }), nil
}

func (st grantStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	ctx = tenant(ctx, s)
	return deleteRow(ctx, st.q, "role_assignments", unitScope, s, id, "role assignment")
}

// GrantsOf joins each grant of the user with its role, so a changed role
// takes effect on the next request.
func (st grantStore) GrantsOf(ctx context.Context, userID string) ([]domain.Grant, error) {
	ctx = system(ctx)
	out := []domain.Grant{}
	if !domain.ValidID(userID) {
		return out, nil
	}
	rows, err := st.q.Query(ctx, "SELECT "+grantColsOf("a.")+", r.permissions FROM role_assignments a"+
		" JOIN roles r ON r.id = a.role_id WHERE a.user_id = $1 ORDER BY a.id", userID)
	if err != nil {
		return nil, translate("grants of user", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g domain.Grant
		a := &g.Assignment
		if err := rows.Scan(&a.ID, &a.UserID, &a.RoleID, &a.PartnerID, &a.OrgID, &a.SiteID, &a.CreatedBy, &a.CreatedAt,
			&g.Permissions); err != nil {
			return nil, translate("grants of user", err)
		}
		a.CreatedAt = a.CreatedAt.UTC()
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, translate("grants of user", err)
	}
	return out, nil
}
