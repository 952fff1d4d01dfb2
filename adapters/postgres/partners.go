package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type partnerStore struct{ q querier }

var _ ports.PartnerStore = partnerStore{}

const partnerCols = "id, name, require_totp, require_mtls, version, created_at, updated_at"

func scanPartner(row pgx.Row) (*domain.Partner, error) {
	var p domain.Partner
	if err := row.Scan(&p.ID, &p.Name, &p.RequireTOTP, &p.RequireMTLS, &p.Version, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return nil, err
	}
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return &p, nil
}

// Create adds a partner. Partners sit at the top of the hierarchy, so only a
// global scope may create one; any other scope gets ErrNotFound.
func (st partnerStore) Create(ctx context.Context, s domain.Scope, p *domain.Partner) error {
	ctx = tenant(ctx, s)
	if !s.Global {
		return notFound("partner scope")
	}
	if err := p.Validate(); err != nil {
		return err
	}
	id, err := newID(p.ID)
	if err != nil {
		return err
	}
	t := now()
	_, err = st.q.Exec(ctx, `INSERT INTO partners (id, name, require_totp, require_mtls, version, created_at, updated_at)
		VALUES ($1, $2, $3, $5, 1, $4, $4)`, id, p.Name, p.RequireTOTP, t, p.RequireMTLS)
	if err != nil {
		return translate("create partner", err, p.Name)
	}
	p.ID, p.Version, p.CreatedAt, p.UpdatedAt = id, 1, t, t
	return nil
}

func (st partnerStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.Partner, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(id) {
		return nil, notFound("partner")
	}
	a := args{id}
	p, err := scanPartner(st.q.QueryRow(ctx,
		"SELECT "+partnerCols+" FROM partners WHERE id = $1 AND "+partnerScope.where(s, &a, ""), a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("partner")
	}
	if err != nil {
		return nil, translate("get partner", err)
	}
	return p, nil
}

func (st partnerStore) List(ctx context.Context, s domain.Scope, page domain.PageRequest) (domain.Page[*domain.Partner], error) {
	ctx = tenant(ctx, s)
	var a args
	tail, page, err := pageQuery(page, &a, []string{partnerScope.where(s, &a, "")})
	if err != nil {
		return domain.Page[*domain.Partner]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+partnerCols+" FROM partners"+tail, a, scanPartner)
	if err != nil {
		return domain.Page[*domain.Partner]{}, translate("list partners", err)
	}
	return finishPage(items, page.Limit, func(p *domain.Partner) string { return p.ID }), nil
}

// Update changes Name, RequireTOTP and RequireMTLS.
func (st partnerStore) Update(ctx context.Context, s domain.Scope, p *domain.Partner) (*domain.Partner, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(p.ID) {
		return nil, notFound("partner")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	a := args{p.ID, p.Version, p.Name, p.RequireTOTP, now(), p.RequireMTLS}
	out, err := scanPartner(st.q.QueryRow(ctx, `UPDATE partners SET name = $3, require_totp = $4, require_mtls = $6, version = version + 1, updated_at = $5
		WHERE id = $1 AND version = $2 AND `+partnerScope.where(s, &a, "")+" RETURNING "+partnerCols, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, missedUpdate(ctx, st.q, "partners", partnerScope, s, p.ID, p.Version, "partner")
	}
	if err != nil {
		return nil, translate("update partner", err, p.Name)
	}
	return out, nil
}

// Delete removes a partner; ErrConflict while it still has organizations.
func (st partnerStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	ctx = tenant(ctx, s)
	return deleteRow(ctx, st.q, "partners", partnerScope, s, id, "partner")
}
