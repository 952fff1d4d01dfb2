package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type orgStore struct{ q querier }

var _ ports.OrgStore = orgStore{}

const orgCols = "id, partner_id, name, version, created_at, updated_at"

func scanOrg(row pgx.Row) (*domain.Organization, error) {
	var o domain.Organization
	if err := row.Scan(&o.ID, &o.PartnerID, &o.Name, &o.Version, &o.CreatedAt, &o.UpdatedAt); err != nil {
		return nil, err
	}
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	return &o, nil
}

// Create adds an org under a partner the scope covers.
func (st orgStore) Create(ctx context.Context, s domain.Scope, o *domain.Organization) error {
	ctx = tenant(ctx, s)
	if err := o.Validate(); err != nil {
		return err
	}
	if !domain.ValidID(o.PartnerID) {
		return notFound("partner")
	}
	id, err := newID(o.ID)
	if err != nil {
		return err
	}
	t := now()
	a := args{id, o.PartnerID, o.Name, t}
	tag, err := st.q.Exec(ctx, `INSERT INTO organizations (id, partner_id, name, version, created_at, updated_at)
		SELECT $1, p.id, $3, 1, $4, $4 FROM partners p
		WHERE p.id = $2 AND `+partnerScope.where(s, &a, "p."), a...)
	if err != nil {
		return translate("create organization", err, o.Name)
	}
	if tag.RowsAffected() == 0 {
		return notFound("partner")
	}
	o.ID, o.Version, o.CreatedAt, o.UpdatedAt = id, 1, t, t
	return nil
}

func (st orgStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.Organization, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(id) {
		return nil, notFound("organization")
	}
	a := args{id}
	o, err := scanOrg(st.q.QueryRow(ctx,
		"SELECT "+orgCols+" FROM organizations WHERE id = $1 AND "+orgRead.where(s, &a, ""), a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("organization")
	}
	if err != nil {
		return nil, translate("get organization", err)
	}
	return o, nil
}

func (st orgStore) List(ctx context.Context, s domain.Scope, f ports.OrgFilter, page domain.PageRequest) (domain.Page[*domain.Organization], error) {
	ctx = tenant(ctx, s)
	var a args
	where := []string{orgRead.where(s, &a, "")}
	where = filterID(where, &a, "partner_id", f.PartnerID)
	if f.Query != "" {
		where = append(where, `name ILIKE `+a.add(likePattern(f.Query))+` ESCAPE '\'`)
	}
	tail, page, err := pageQuery(page, &a, where)
	if err != nil {
		return domain.Page[*domain.Organization]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+orgCols+" FROM organizations"+tail, a, scanOrg)
	if err != nil {
		return domain.Page[*domain.Organization]{}, translate("list organizations", err)
	}
	return finishPage(items, page.Limit, func(o *domain.Organization) string { return o.ID }), nil
}

func (st orgStore) Update(ctx context.Context, s domain.Scope, o *domain.Organization) (*domain.Organization, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(o.ID) {
		return nil, notFound("organization")
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	a := args{o.ID, o.Version, o.Name, now()}
	out, err := scanOrg(st.q.QueryRow(ctx, `UPDATE organizations SET name = $3, version = version + 1, updated_at = $4
		WHERE id = $1 AND version = $2 AND `+orgWrite.where(s, &a, "")+" RETURNING "+orgCols, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, missedUpdate(ctx, st.q, "organizations", orgWrite, s, o.ID, o.Version, "organization")
	}
	if err != nil {
		return nil, translate("update organization", err, o.Name)
	}
	return out, nil
}

// Delete removes an org; ErrConflict while it still has sites, groups or devices.
func (st orgStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	ctx = tenant(ctx, s)
	return deleteRow(ctx, st.q, "organizations", orgWrite, s, id, "organization")
}
