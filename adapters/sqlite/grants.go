package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type grantStore struct{ s *Store }

const grantCols = "id, user_id, role_id, partner_id, org_id, site_id, created_by, created_at"

// A grant is visible when the scope covers its unit: the tenant columns are
// NULL below the grant's level, so tenantScope is exactly CoversSite,
// CoversOrg or CoversPartner, and a global grant (no ids) is Global only.
var grants = &table[*domain.RoleAssignment]{
	name:  "role_assignments",
	what:  "role assignment",
	cols:  grantCols,
	read:  tenantScope,
	write: tenantScope,
	scan:  scanGrant,
	idOf:  func(a *domain.RoleAssignment) string { return a.ID },
}

func scanGrant(r rowScanner) (*domain.RoleAssignment, error) {
	var a domain.RoleAssignment
	var partner, org, site sql.NullString
	var created int64
	if err := r.Scan(&a.ID, &a.UserID, &a.RoleID, &partner, &org, &site, &a.CreatedBy, &created); err != nil {
		return nil, err
	}
	a.PartnerID, a.OrgID, a.SiteID = partner.String, org.String, site.String
	a.CreatedAt = fromMicros(created)
	return &a, nil
}

// Create grants a role at a unit the scope covers, to a user and with a role
// the scope can see. The unit must lie inside the user's partner (a global
// grant aside), and a custom role can only be granted inside its partner.
func (gs grantStore) Create(ctx context.Context, s domain.Scope, a *domain.RoleAssignment) error {
	if !domain.ValidID(a.UserID) {
		return notFound("user")
	}
	if !domain.ValidID(a.RoleID) {
		return notFound("role")
	}
	id, err := newID("role assignment", a.ID)
	if err != nil {
		return err
	}
	t := micros(now())
	var out *domain.RoleAssignment
	err = gs.s.write(ctx, func(q queryer) error {
		u, err := resolveUnit(ctx, q, s, a.PartnerID, a.OrgID, a.SiteID)
		if err != nil {
			return err
		}
		userPartner, err := userPartnerOf(ctx, q, s, a.UserID)
		if err != nil {
			return err
		}
		rolePartner, builtIn, err := roleOf(ctx, q, s, a.RoleID)
		if err != nil {
			return err
		}
		if u.PartnerID != "" && u.PartnerID != userPartner {
			return domain.Invalidf("a role can only be granted inside the user's own partner")
		}
		if !builtIn && rolePartner != u.PartnerID {
			return domain.Invalidf("a custom role can only be granted inside its own partner")
		}
		out, err = scanGrant(q.QueryRowContext(ctx, "INSERT INTO role_assignments ("+grantCols+")"+
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING "+grantCols,
			id, a.UserID, a.RoleID, nullString(u.PartnerID), nullString(u.OrgID), nullString(u.SiteID), a.CreatedBy, t))
		return failure{
			op:      "create role assignment",
			unique:  "the user already holds this role here",
			dup:     fmt.Sprintf("role assignment %s already exists", id),
			missing: "user, role or unit not found",
		}.wrap(err)
	})
	if err != nil {
		return err
	}
	*a = *out
	return nil
}

// resolveUnit checks that the scope covers the unit named by the ids (the
// lowest one set decides the level) and returns it with its ancestors filled
// from the database. An ancestor id that disagrees is ErrInvalid; no ids at
// all is the global unit, which only the global scope covers.
func resolveUnit(ctx context.Context, q queryer, s domain.Scope, partnerID, orgID, siteID string) (domain.Unit, error) {
	switch {
	case siteID != "":
		p, o, err := sitePlace(ctx, q, s, siteID)
		if err != nil {
			return domain.Unit{}, err
		}
		if (orgID != "" && orgID != o) || (partnerID != "" && partnerID != p) {
			return domain.Unit{}, domain.Invalidf("site is not in that organization or partner")
		}
		return domain.Unit{PartnerID: p, OrgID: o, SiteID: siteID}, nil
	case orgID != "":
		p, err := orgPartner(ctx, q, s, orgID)
		if err != nil {
			return domain.Unit{}, err
		}
		if partnerID != "" && partnerID != p {
			return domain.Unit{}, domain.Invalidf("organization is not in partner %s", partnerID)
		}
		return domain.Unit{PartnerID: p, OrgID: orgID}, nil
	case partnerID != "":
		if err := partnerCovered(ctx, q, s, partnerID); err != nil {
			return domain.Unit{}, err
		}
		return domain.Unit{PartnerID: partnerID}, nil
	}
	if !s.Global {
		return domain.Unit{}, domain.NotFoundf("only the platform scope acts at the global level")
	}
	return domain.Unit{}, nil
}

// userPartnerOf returns the partner of a user the scope can see.
func userPartnerOf(ctx context.Context, q queryer, s domain.Scope, userID string) (string, error) {
	if !domain.ValidID(userID) {
		return "", notFound("user")
	}
	args := []any{userID}
	where := userScope.where(s, "", &args)
	var partnerID string
	err := q.QueryRowContext(ctx, "SELECT partner_id FROM users WHERE id = ? AND "+where, args...).Scan(&partnerID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound("user")
	}
	if err != nil {
		return "", failure{op: "read user"}.wrap(err)
	}
	return partnerID, nil
}

func (gs grantStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.RoleAssignment, error) {
	return grants.get(ctx, gs.s.read(ctx), s, id)
}

func (gs grantStore) List(ctx context.Context, s domain.Scope, f ports.RoleAssignmentFilter, page domain.PageRequest) (domain.Page[*domain.RoleAssignment], error) {
	var flt filter
	if f.UserID != "" {
		flt.tenant("user_id", f.UserID)
	}
	if f.RoleID != "" {
		flt.tenant("role_id", f.RoleID)
	}
	return grants.list(ctx, gs.s.read(ctx), s, flt, page)
}

func (gs grantStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	return gs.s.write(ctx, func(q queryer) error { return grants.delete(ctx, q, s, id) })
}

// GrantsOf reads every grant of the user with its role's permissions, in
// grant id order; an unknown user has none.
func (gs grantStore) GrantsOf(ctx context.Context, userID string) ([]domain.Grant, error) {
	out := []domain.Grant{}
	if !domain.ValidID(userID) {
		return out, nil
	}
	rows, err := gs.s.read(ctx).QueryContext(ctx, "SELECT a.id, a.user_id, a.role_id, a.partner_id, a.org_id, a.site_id,"+
		" a.created_by, a.created_at, r.permissions FROM role_assignments AS a JOIN roles AS r ON r.id = a.role_id"+
		" WHERE a.user_id = ? ORDER BY a.id", userID)
	if err != nil {
		return nil, failure{op: "read grants"}.wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		var perms string
		var a *domain.RoleAssignment
		a, err = scanGrant(scanFunc(func(dest ...any) error { return rows.Scan(append(dest, &perms)...) }))
		if err != nil {
			return nil, failure{op: "read grants"}.wrap(err)
		}
		p, err := decodePerms(perms)
		if err != nil {
			return nil, failure{op: "read grants"}.wrap(err)
		}
		out = append(out, domain.Grant{Assignment: *a, Permissions: p})
	}
	if err := rows.Err(); err != nil {
		return nil, failure{op: "read grants"}.wrap(err)
	}
	return out, nil
}

// scanFunc adapts a function to rowScanner (to scan extra columns after an
// entity's own).
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

var _ ports.RoleAssignmentStore = grantStore{}
