package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type orgStore struct{ s *Store }

var orgs = &table[*domain.Organization]{
	name:  "organizations",
	what:  "organization",
	cols:  "id, partner_id, name, version, created_at, updated_at",
	read:  orgReadScope,
	write: orgWriteScope,
	scan:  scanOrg,
	idOf:  func(o *domain.Organization) string { return o.ID },
	failOn: failure{
		unique:   "an organization with that name already exists in this partner",
		restrict: "organization still has sites, device groups, devices or users",
	},
}

func scanOrg(r rowScanner) (*domain.Organization, error) {
	var o domain.Organization
	var created, updated int64
	if err := r.Scan(&o.ID, &o.PartnerID, &o.Name, &o.Version, &created, &updated); err != nil {
		return nil, err
	}
	o.CreatedAt, o.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &o, nil
}

// Create adds an organization under a partner the scope covers.
func (st orgStore) Create(ctx context.Context, s domain.Scope, o *domain.Organization) error {
	if err := o.Validate(); err != nil {
		return err
	}
	id, err := newID("organization", o.ID)
	if err != nil {
		return err
	}
	if !domain.ValidID(o.PartnerID) {
		return notFound("partner")
	}
	t := now()
	err = st.s.write(ctx, func(q queryer) error {
		args := []any{o.PartnerID}
		where := partnerScope.where(s, "", &args)
		var one int
		err := q.QueryRowContext(ctx, "SELECT 1 FROM partners WHERE id = ? AND "+where, args...).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("partner")
		}
		if err != nil {
			return failure{op: "create organization"}.wrap(err)
		}
		_, err = q.ExecContext(ctx, "INSERT INTO organizations (id, partner_id, name, version, created_at, updated_at)"+
			" VALUES (?, ?, ?, 1, ?, ?)", id, o.PartnerID, o.Name, micros(t), micros(t))
		return failure{
			op:      "create organization",
			unique:  fmt.Sprintf("an organization named %q already exists in this partner", o.Name),
			dup:     fmt.Sprintf("organization %s already exists", id),
			missing: "partner not found",
		}.wrap(err)
	})
	if err != nil {
		return err
	}
	o.ID, o.Version, o.CreatedAt, o.UpdatedAt = id, 1, t, t
	return nil
}

// Get also answers a caller who holds only one of the org's sites.
func (st orgStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.Organization, error) {
	return orgs.get(ctx, st.s.read(ctx), s, id)
}

func (st orgStore) List(ctx context.Context, s domain.Scope, f ports.OrgFilter, page domain.PageRequest) (domain.Page[*domain.Organization], error) {
	var flt filter
	if f.PartnerID != "" {
		flt.tenant("partner_id", f.PartnerID)
	}
	if f.Query != "" {
		flt.contains("name", f.Query)
	}
	return orgs.list(ctx, st.s.read(ctx), s, flt, page)
}

func (st orgStore) Update(ctx context.Context, s domain.Scope, o *domain.Organization) (*domain.Organization, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	var out *domain.Organization
	err := st.s.write(ctx, func(q queryer) (err error) {
		out, err = orgs.update(ctx, q, s, o.ID, o.Version, "name = ?", o.Name)
		return err
	})
	return out, err
}

func (st orgStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	return st.s.write(ctx, func(q queryer) error { return orgs.delete(ctx, q, s, id) })
}
