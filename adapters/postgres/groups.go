package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type groupStore struct{ q querier }

var _ ports.DeviceGroupStore = groupStore{}

const groupCols = "id, partner_id, org_id, coalesce(site_id::text, ''), name, version, created_at, updated_at"

func scanGroup(row pgx.Row) (*domain.DeviceGroup, error) {
	var g domain.DeviceGroup
	if err := row.Scan(&g.ID, &g.PartnerID, &g.OrgID, &g.SiteID, &g.Name, &g.Version, &g.CreatedAt, &g.UpdatedAt); err != nil {
		return nil, err
	}
	g.CreatedAt, g.UpdatedAt = g.CreatedAt.UTC(), g.UpdatedAt.UTC()
	return &g, nil
}

// Create adds a group in a site the scope covers, or an org-wide group (no
// SiteID) in an org the scope covers at org level. When both OrgID and SiteID
// are given the site must belong to that org (ErrInvalid otherwise).
func (st groupStore) Create(ctx context.Context, s domain.Scope, g *domain.DeviceGroup) error {
	ctx = tenant(ctx, s)
	if err := g.Validate(); err != nil {
		return err
	}
	id, err := newID(g.ID)
	if err != nil {
		return err
	}
	t := now()
	var partnerID, orgID string
	if g.SiteID == "" {
		if !domain.ValidID(g.OrgID) {
			return notFound("organization")
		}
		a := args{id, g.OrgID, g.Name, t}
		err = st.q.QueryRow(ctx, `INSERT INTO device_groups (id, partner_id, org_id, site_id, name, version, created_at, updated_at)
			SELECT $1, o.partner_id, o.id, NULL, $3, 1, $4, $4 FROM organizations o
			WHERE o.id = $2 AND `+orgWrite.where(s, &a, "o.")+` RETURNING partner_id, org_id`, a...).Scan(&partnerID, &orgID)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("organization")
		}
	} else {
		if !domain.ValidID(g.SiteID) || (g.OrgID != "" && !domain.ValidID(g.OrgID)) {
			return notFound("site")
		}
		a := args{id, g.SiteID, nullID(g.OrgID), g.Name, t}
		err = st.q.QueryRow(ctx, `INSERT INTO device_groups (id, partner_id, org_id, site_id, name, version, created_at, updated_at)
			SELECT $1, si.partner_id, si.org_id, si.id, $4, 1, $5, $5 FROM sites si
			WHERE si.id = $2 AND ($3::uuid IS NULL OR si.org_id = $3::uuid) AND `+siteScope.where(s, &a, "si.")+
			` RETURNING partner_id, org_id`, a...).Scan(&partnerID, &orgID)
		if errors.Is(err, pgx.ErrNoRows) {
			if _, serr := (siteStore{q: st.q}).Get(ctx, s, g.SiteID); serr == nil {
				return domain.Invalidf("site %s is not in organization %s", g.SiteID, g.OrgID)
			}
			return notFound("site")
		}
	}
	if err != nil {
		return translate("create device group", err, g.Name)
	}
	g.ID, g.PartnerID, g.OrgID, g.Version, g.CreatedAt, g.UpdatedAt = id, partnerID, orgID, 1, t, t
	return nil
}

func (st groupStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.DeviceGroup, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(id) {
		return nil, notFound("device group")
	}
	a := args{id}
	g, err := scanGroup(st.q.QueryRow(ctx,
		"SELECT "+groupCols+" FROM device_groups WHERE id = $1 AND "+tenantScope.where(s, &a, ""), a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("device group")
	}
	if err != nil {
		return nil, translate("get device group", err)
	}
	return g, nil
}

func (st groupStore) List(ctx context.Context, s domain.Scope, f ports.DeviceGroupFilter, page domain.PageRequest) (domain.Page[*domain.DeviceGroup], error) {
	ctx = tenant(ctx, s)
	var a args
	where := []string{tenantScope.where(s, &a, "")}
	where = filterID(where, &a, "org_id", f.OrgID)
	where = filterID(where, &a, "site_id", f.SiteID)
	if f.Query != "" {
		where = append(where, `name ILIKE `+a.add(likePattern(f.Query))+` ESCAPE '\'`)
	}
	tail, page, err := pageQuery(page, &a, where)
	if err != nil {
		return domain.Page[*domain.DeviceGroup]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+groupCols+" FROM device_groups"+tail, a, scanGroup)
	if err != nil {
		return domain.Page[*domain.DeviceGroup]{}, translate("list device groups", err)
	}
	return finishPage(items, page.Limit, func(g *domain.DeviceGroup) string { return g.ID }), nil
}

// Update renames a group; its org and site never change.
func (st groupStore) Update(ctx context.Context, s domain.Scope, g *domain.DeviceGroup) (*domain.DeviceGroup, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(g.ID) {
		return nil, notFound("device group")
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	a := args{g.ID, g.Version, g.Name, now()}
	out, err := scanGroup(st.q.QueryRow(ctx, `UPDATE device_groups SET name = $3, version = version + 1, updated_at = $4
		WHERE id = $1 AND version = $2 AND `+tenantScope.where(s, &a, "")+" RETURNING "+groupCols, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, missedUpdate(ctx, st.q, "device_groups", tenantScope, s, g.ID, g.Version, "device group")
	}
	if err != nil {
		return nil, translate("update device group", err, g.Name)
	}
	return out, nil
}

// Delete removes a group; ErrConflict while devices are still in it.
func (st groupStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	ctx = tenant(ctx, s)
	return deleteRow(ctx, st.q, "device_groups", tenantScope, s, id, "device group")
}
