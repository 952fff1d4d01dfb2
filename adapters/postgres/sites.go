package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type siteStore struct{ q querier }

var _ ports.SiteStore = siteStore{}

const siteCols = "id, partner_id, org_id, name, timezone, version, created_at, updated_at"

func scanSite(row pgx.Row) (*domain.Site, error) {
	var v domain.Site
	if err := row.Scan(&v.ID, &v.PartnerID, &v.OrgID, &v.Name, &v.Timezone, &v.Version, &v.CreatedAt, &v.UpdatedAt); err != nil {
		return nil, err
	}
	v.CreatedAt, v.UpdatedAt = v.CreatedAt.UTC(), v.UpdatedAt.UTC()
	return &v, nil
}

// Create adds a site under an org the scope covers at org level.
func (st siteStore) Create(ctx context.Context, s domain.Scope, site *domain.Site) error {
	ctx = tenant(ctx, s)
	if err := site.Validate(); err != nil {
		return err
	}
	if !domain.ValidID(site.OrgID) {
		return notFound("organization")
	}
	id, err := newID(site.ID)
	if err != nil {
		return err
	}
	t := now()
	a := args{id, site.OrgID, site.Name, site.Timezone, t}
	var partnerID string
	err = st.q.QueryRow(ctx, `INSERT INTO sites (id, partner_id, org_id, name, timezone, version, created_at, updated_at)
		SELECT $1, o.partner_id, o.id, $3, $4, 1, $5, $5 FROM organizations o
		WHERE o.id = $2 AND `+orgWrite.where(s, &a, "o.")+` RETURNING partner_id`, a...).Scan(&partnerID)
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound("organization")
	}
	if err != nil {
		return translate("create site", err, site.Name)
	}
	site.ID, site.PartnerID, site.Version, site.CreatedAt, site.UpdatedAt = id, partnerID, 1, t, t
	return nil
}

func (st siteStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.Site, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(id) {
		return nil, notFound("site")
	}
	a := args{id}
	v, err := scanSite(st.q.QueryRow(ctx,
		"SELECT "+siteCols+" FROM sites WHERE id = $1 AND "+siteScope.where(s, &a, ""), a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("site")
	}
	if err != nil {
		return nil, translate("get site", err)
	}
	return v, nil
}

func (st siteStore) List(ctx context.Context, s domain.Scope, f ports.SiteFilter, page domain.PageRequest) (domain.Page[*domain.Site], error) {
	ctx = tenant(ctx, s)
	var a args
	where := []string{siteScope.where(s, &a, "")}
	where = filterID(where, &a, "org_id", f.OrgID)
	if f.Query != "" {
		where = append(where, `name ILIKE `+a.add(likePattern(f.Query))+` ESCAPE '\'`)
	}
	tail, page, err := pageQuery(page, &a, where)
	if err != nil {
		return domain.Page[*domain.Site]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+siteCols+" FROM sites"+tail, a, scanSite)
	if err != nil {
		return domain.Page[*domain.Site]{}, translate("list sites", err)
	}
	return finishPage(items, page.Limit, func(v *domain.Site) string { return v.ID }), nil
}

func (st siteStore) Update(ctx context.Context, s domain.Scope, site *domain.Site) (*domain.Site, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(site.ID) {
		return nil, notFound("site")
	}
	if err := site.Validate(); err != nil {
		return nil, err
	}
	a := args{site.ID, site.Version, site.Name, site.Timezone, now()}
	out, err := scanSite(st.q.QueryRow(ctx, `UPDATE sites SET name = $3, timezone = $4, version = version + 1, updated_at = $5
		WHERE id = $1 AND version = $2 AND `+siteScope.where(s, &a, "")+" RETURNING "+siteCols, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, missedUpdate(ctx, st.q, "sites", siteScope, s, site.ID, site.Version, "site")
	}
	if err != nil {
		return nil, translate("update site", err, site.Name)
	}
	return out, nil
}

// Delete removes a site; ErrConflict while it still has groups or devices.
func (st siteStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	ctx = tenant(ctx, s)
	return deleteRow(ctx, st.q, "sites", siteScope, s, id, "site")
}
