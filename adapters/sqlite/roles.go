package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type roleStore struct{ s *Store }

const roleCols = "id, partner_id, name, description, permissions, built_in, version, created_at, updated_at"

var roles = &table[*domain.Role]{
	name:  "roles",
	what:  "role",
	cols:  roleCols,
	read:  roleReadScope{},
	write: roleWriteScope,
	scan:  scanRole,
	idOf:  func(r *domain.Role) string { return r.ID },
	failOn: failure{
		unique:   "a role with that name already exists in this partner",
		restrict: "role is still assigned to users",
	},
}

func scanRole(r rowScanner) (*domain.Role, error) {
	var role domain.Role
	var partner sql.NullString
	var perms string
	var created, updated int64
	if err := r.Scan(&role.ID, &partner, &role.Name, &role.Description, &perms, &role.BuiltIn, &role.Version,
		&created, &updated); err != nil {
		return nil, err
	}
	p, err := decodePerms(perms)
	if err != nil {
		return nil, err
	}
	role.PartnerID, role.Permissions = partner.String, p
	role.CreatedAt, role.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &role, nil
}

// encodePerms stores a permission list as a JSON text array.
func encodePerms(perms []domain.Permission) string {
	if len(perms) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(perms) // a []string always marshals
	return string(b)
}

func decodePerms(s string) ([]domain.Permission, error) {
	perms := []domain.Permission{}
	if err := json.Unmarshal([]byte(s), &perms); err != nil {
		return nil, fmt.Errorf("stored permission list: %w", err)
	}
	return perms, nil
}

// builtInNames are the lower-cased built-in role names, which no custom
// role may take (a "Partner Admin" that is not the real one misleads).
var builtInNames = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, r := range domain.BuiltInRoles() {
		m[strings.ToLower(r.Name)] = true
	}
	return m
})

// builtInIDPrefix starts every built-in role id (a UUIDv7 at time zero),
// and no custom role id: a custom row must never squat a future built-in.
const builtInIDPrefix = "00000000-0000-"

func checkNotReserved(name string) error {
	if builtInNames()[strings.ToLower(strings.TrimSpace(name))] {
		return domain.Conflictf("the role name %q is reserved for a built-in role", name)
	}
	return nil
}

// Create adds a custom role to a partner the scope covers.
func (rs roleStore) Create(ctx context.Context, s domain.Scope, r *domain.Role) error {
	if r.BuiltIn {
		return domain.Invalidf("built-in roles are defined by Breeze and cannot be created")
	}
	if err := r.Validate(); err != nil {
		return err
	}
	if r.PartnerID == "" {
		return domain.Invalidf("role partner is required")
	}
	if err := checkNotReserved(r.Name); err != nil {
		return err
	}
	id, err := newID("role", r.ID)
	if err != nil {
		return err
	}
	if strings.HasPrefix(id, builtInIDPrefix) {
		return domain.Invalidf("role ids starting with %s are kept for built-in roles", builtInIDPrefix)
	}
	t := micros(now())
	var out *domain.Role
	err = rs.s.write(ctx, func(q queryer) error {
		if err := partnerCovered(ctx, q, s, r.PartnerID); err != nil {
			return err
		}
		out, err = scanRole(q.QueryRowContext(ctx, "INSERT INTO roles ("+roleCols+")"+
			" VALUES (?, ?, ?, ?, ?, 0, 1, ?, ?) RETURNING "+roleCols,
			id, r.PartnerID, r.Name, r.Description, encodePerms(r.Permissions), t, t))
		return failure{
			op:      "create role",
			unique:  fmt.Sprintf("a role named %q already exists in this partner", r.Name),
			dup:     fmt.Sprintf("role %s already exists", id),
			missing: "partner not found",
		}.wrap(err)
	})
	if err != nil {
		return err
	}
	*r = *out
	return nil
}

func (rs roleStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.Role, error) {
	return roles.get(ctx, rs.s.read(ctx), s, id)
}

// List returns the built-in roles (their fixed ids sort first) and the
// custom roles the scope can read.
func (rs roleStore) List(ctx context.Context, s domain.Scope, page domain.PageRequest) (domain.Page[*domain.Role], error) {
	return roles.list(ctx, rs.s.read(ctx), s, filter{}, page)
}

// Update changes a custom role the scope covers at partner level. A built-in
// role the caller can see is ErrInvalid; one it cannot see ErrNotFound.
func (rs roleStore) Update(ctx context.Context, s domain.Scope, r *domain.Role) (*domain.Role, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var out *domain.Role
	err := rs.s.write(ctx, func(q queryer) error {
		cur, err := roles.get(ctx, q, s, r.ID)
		if err != nil {
			return err
		}
		if cur.BuiltIn {
			return domain.Invalidf("built-in roles cannot be changed")
		}
		if err := checkNotReserved(r.Name); err != nil {
			return err
		}
		out, err = roles.update(ctx, q, s, r.ID, r.Version, "name = ?, description = ?, permissions = ?",
			r.Name, r.Description, encodePerms(r.Permissions))
		return err
	})
	return out, err
}

// Delete removes a custom role that nobody holds.
func (rs roleStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	return rs.s.write(ctx, func(q queryer) error {
		cur, err := roles.get(ctx, q, s, id)
		if err != nil {
			return err
		}
		if cur.BuiltIn {
			return domain.Invalidf("built-in roles cannot be deleted")
		}
		return roles.delete(ctx, q, s, id)
	})
}

// syncBuiltInRoles upserts domain.BuiltInRoles(): new ones are inserted, and
// a changed name, description or permission list is written over (bumping
// Version). Rows already in step are left alone, so it is idempotent.
// Built-in roles dropped from the code are kept: grants may still use them.
func syncBuiltInRoles(ctx context.Context, q queryer) (changed int64, err error) {
	t := micros(now())
	for _, r := range domain.BuiltInRoles() {
		res, err := q.ExecContext(ctx, "INSERT INTO roles ("+roleCols+") VALUES (?, NULL, ?, ?, ?, 1, 1, ?, ?)"+
			" ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description,"+
			" permissions = excluded.permissions, version = roles.version + 1, updated_at = excluded.updated_at"+
			" WHERE roles.built_in = 1 AND (roles.name <> excluded.name COLLATE BINARY"+
			" OR roles.description <> excluded.description OR roles.permissions <> excluded.permissions)",
			r.ID, r.Name, r.Description, encodePerms(r.Permissions), t, t)
		if err != nil {
			return changed, failure{op: "sync built-in role " + r.Name}.wrap(err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return changed, failure{op: "sync built-in role " + r.Name}.wrap(err)
		}
		changed += n
		// A custom row squatting on a built-in id would silently stay custom.
		var builtIn bool
		if err := q.QueryRowContext(ctx, "SELECT built_in FROM roles WHERE id = ?", r.ID).Scan(&builtIn); err != nil {
			return changed, failure{op: "sync built-in role " + r.Name}.wrap(err)
		}
		if !builtIn {
			return changed, fmt.Errorf("sqlite: role %s has the id of the built-in role %q but is a custom role", r.ID, r.Name)
		}
	}
	return changed, nil
}

// roleOf returns the partner ("" for built-in) of a role the scope can read.
func roleOf(ctx context.Context, q queryer, s domain.Scope, id string) (partnerID string, builtIn bool, err error) {
	if !domain.ValidID(id) {
		return "", false, notFound("role")
	}
	args := []any{id}
	where := roleReadScope{}.where(s, "", &args)
	var partner sql.NullString
	err = q.QueryRowContext(ctx, "SELECT partner_id, built_in FROM roles WHERE id = ? AND "+where, args...).Scan(&partner, &builtIn)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, notFound("role")
	}
	if err != nil {
		return "", false, failure{op: "read role"}.wrap(err)
	}
	return partner.String, builtIn, nil
}

var _ ports.RoleStore = roleStore{}
