package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type roleStore struct{ q querier }

var _ ports.RoleStore = roleStore{}

const roleCols = "id, coalesce(partner_id::text, ''), name, description, permissions, built_in, version, created_at, updated_at"

func scanRole(row pgx.Row) (*domain.Role, error) {
	var r domain.Role
	if err := row.Scan(&r.ID, &r.PartnerID, &r.Name, &r.Description, &r.Permissions, &r.BuiltIn, &r.Version,
		&r.CreatedAt, &r.UpdatedAt); err != nil {
		return nil, err
	}
	if r.Permissions == nil {
		r.Permissions = []domain.Permission{}
	}
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return &r, nil
}

// builtInIDPrefix starts every built-in role id (a UUIDv7 at time zero). A
// custom role may not take such an id, so it can never squat on a built-in
// role added by a later release.
const builtInIDPrefix = "00000000-0000-"

// checkCustomName refuses the name of a built-in role (any case): a custom
// "Org Admin" beside the real one would mislead whoever grants it.
func checkCustomName(name string) error {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, b := range domain.BuiltInRoles() {
		if strings.ToLower(b.Name) == n {
			return domain.Conflictf("the role name %q is reserved for a built-in role", name)
		}
	}
	return nil
}

// Create adds a custom role to a partner the scope covers. Built-in roles
// come from the code only (see syncBuiltInRoles).
func (st roleStore) Create(ctx context.Context, s domain.Scope, r *domain.Role) error {
	ctx = tenant(ctx, s)
	if r.BuiltIn {
		return domain.Invalidf("built-in roles are defined by Breeze and cannot be created")
	}
	if r.PartnerID == "" {
		return domain.Invalidf("a custom role belongs to a partner")
	}
	if err := r.Validate(); err != nil {
		return err
	}
	if !domain.ValidID(r.PartnerID) {
		return notFound("partner")
	}
	if err := checkCustomName(r.Name); err != nil {
		return err
	}
	id, err := newID(r.ID)
	if err != nil {
		return err
	}
	if strings.HasPrefix(id, builtInIDPrefix) {
		return domain.Invalidf("role ids starting with %s are kept for built-in roles", builtInIDPrefix)
	}
	t := now()
	a := args{id, r.PartnerID, r.Name, r.Description, perms(r.Permissions), t}
	tag, err := st.q.Exec(ctx, `INSERT INTO roles (id, partner_id, name, description, permissions, built_in, version,
			created_at, updated_at)
		SELECT $1, p.id, $3, $4, $5, false, 1, $6, $6 FROM partners p
		WHERE p.id = $2 AND `+partnerScope.where(s, &a, "p."), a...)
	if err != nil {
		return translate("create role", err, r.Name)
	}
	if tag.RowsAffected() == 0 {
		return notFound("partner")
	}
	r.ID, r.Permissions, r.Version, r.CreatedAt, r.UpdatedAt = id, perms(r.Permissions), 1, t, t
	return nil
}

func (st roleStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.Role, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(id) {
		return nil, notFound("role")
	}
	a := args{id}
	r, err := scanRole(st.q.QueryRow(ctx, "SELECT "+roleCols+" FROM roles WHERE id = $1 AND "+roleRead(s, &a, ""), a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("role")
	}
	if err != nil {
		return nil, translate("get role", err)
	}
	return r, nil
}

// List returns the built-in roles (their fixed ids sort first) and the
// custom roles the scope can read, in id order.
func (st roleStore) List(ctx context.Context, s domain.Scope, page domain.PageRequest) (domain.Page[*domain.Role], error) {
	ctx = tenant(ctx, s)
	var a args
	tail, page, err := pageQuery(page, &a, []string{roleRead(s, &a, "")})
	if err != nil {
		return domain.Page[*domain.Role]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+roleCols+" FROM roles"+tail, a, scanRole)
	if err != nil {
		return domain.Page[*domain.Role]{}, translate("list roles", err)
	}
	return finishPage(items, page.Limit, func(r *domain.Role) string { return r.ID }), nil
}

// Update changes a custom role's Name, Description and Permissions when the
// scope covers its partner and r.Version is the stored one. Grants follow
// the new permissions at once (GrantsOf joins the role).
func (st roleStore) Update(ctx context.Context, s domain.Scope, r *domain.Role) (*domain.Role, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(r.ID) {
		return nil, notFound("role")
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if err := checkCustomName(r.Name); err != nil {
		// A built-in or invisible role answers as such, not as a name clash.
		if _, werr := st.writable(ctx, s, r.ID); werr != nil {
			return nil, werr
		}
		return nil, err
	}
	a := args{r.ID, r.Version, r.Name, r.Description, perms(r.Permissions), now()}
	out, err := scanRole(st.q.QueryRow(ctx, `UPDATE roles SET name = $3, description = $4, permissions = $5,
			version = version + 1, updated_at = $6
		WHERE id = $1 AND version = $2 AND NOT built_in AND `+roleWrite.where(s, &a, "")+" RETURNING "+roleCols, a...))
	if err == nil {
		return out, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, translate("update role", err, r.Name)
	}
	cur, err := st.writable(ctx, s, r.ID)
	if err != nil {
		return nil, err
	}
	if cur.Version != r.Version {
		return nil, staleVersion("role", r.Version, cur.Version)
	}
	return nil, notFound("role") // the rows changed meanwhile
}

// Delete removes a custom role the scope covers at partner level;
// ErrConflict while it is granted.
func (st roleStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	ctx = tenant(ctx, s)
	if !domain.ValidID(id) {
		return notFound("role")
	}
	a := args{id}
	tag, err := st.q.Exec(ctx, "DELETE FROM roles WHERE id = $1 AND NOT built_in AND "+roleWrite.where(s, &a, ""), a...)
	if err != nil {
		return translateDelete("delete role", err)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	_, err = st.writable(ctx, s, id)
	if err != nil {
		return err
	}
	return notFound("role") // deleted meanwhile
}

// writable explains a write that touched no row: a role the scope cannot
// read, or a custom role whose partner it does not cover, is ErrNotFound; a
// built-in role is ErrInvalid. Otherwise it returns the stored role.
func (st roleStore) writable(ctx context.Context, s domain.Scope, id string) (*domain.Role, error) {
	cur, err := st.Get(ctx, s, id)
	if err != nil {
		return nil, err
	}
	if cur.BuiltIn {
		return nil, domain.Invalidf("built-in role %q cannot be changed or deleted", cur.Name)
	}
	if !s.CoversPartner(cur.PartnerID) {
		return nil, notFound("role")
	}
	return cur, nil
}

// syncBuiltInRoles upserts domain.BuiltInRoles() in one transaction: a new
// role is inserted, a changed name, description or permission list is
// written over (bumping Version), and a role already in step is left alone,
// so running it again changes nothing. Built-in roles dropped from the code
// are kept: grants may still name them. It returns how many rows changed.
func syncBuiltInRoles(ctx context.Context, q querier) (changed int64, err error) {
	roles := domain.BuiltInRoles()
	err = atomically(ctx, q, func(q querier) error {
		t := now()
		ids := make([]string, 0, len(roles))
		for _, r := range roles {
			tag, err := q.Exec(ctx, `INSERT INTO roles (id, partner_id, name, description, permissions, built_in, version,
					created_at, updated_at)
				VALUES ($1, NULL, $2, $3, $4, true, 1, $5, $5)
				ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description,
					permissions = EXCLUDED.permissions, version = roles.version + 1, updated_at = EXCLUDED.updated_at
				WHERE roles.built_in AND (roles.name, roles.description, roles.permissions)
					IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description, EXCLUDED.permissions)`,
				r.ID, r.Name, r.Description, perms(r.Permissions), t)
			if err != nil {
				return fmt.Errorf("upsert %q: %w", r.Name, err)
			}
			changed += tag.RowsAffected()
			ids = append(ids, r.ID)
		}
		// A custom row holding a built-in id would silently stay custom.
		var n int
		if err := q.QueryRow(ctx, "SELECT count(*) FROM roles WHERE id = ANY($1::uuid[]) AND built_in", ids).Scan(&n); err != nil {
			return fmt.Errorf("check built-in roles: %w", err)
		}
		if n != len(ids) {
			return fmt.Errorf("%d of the %d built-in role ids are held by custom roles", len(ids)-n, len(ids))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return changed, nil
}
