package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type groupStore struct{ s *Store }

var groups = &table[*domain.DeviceGroup]{
	name:  "device_groups",
	what:  "device group",
	cols:  "id, partner_id, org_id, site_id, name, version, created_at, updated_at",
	read:  tenantScope,
	write: tenantScope,
	scan:  scanGroup,
	idOf:  func(g *domain.DeviceGroup) string { return g.ID },
	failOn: failure{
		unique:   "a device group with that name already exists here",
		restrict: "device group still has devices",
	},
}

func scanGroup(r rowScanner) (*domain.DeviceGroup, error) {
	var g domain.DeviceGroup
	var site sql.NullString
	var created, updated int64
	if err := r.Scan(&g.ID, &g.PartnerID, &g.OrgID, &site, &g.Name, &g.Version, &created, &updated); err != nil {
		return nil, err
	}
	g.SiteID = site.String
	g.CreatedAt, g.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &g, nil
}

// Create adds a group to a site the scope covers or, with no SiteID, an
// org-wide group to an org the scope covers at org level.
func (gs groupStore) Create(ctx context.Context, s domain.Scope, g *domain.DeviceGroup) error {
	if err := g.Validate(); err != nil {
		return err
	}
	id, err := newID("device group", g.ID)
	if err != nil {
		return err
	}
	t := now()
	var partnerID, orgID string
	err = gs.s.write(ctx, func(q queryer) error {
		if g.SiteID != "" {
			partnerID, orgID, err = sitePlace(ctx, q, s, g.SiteID)
			if err != nil {
				return err
			}
			if g.OrgID != "" && g.OrgID != orgID {
				return domain.Invalidf("site is not in organization %s", g.OrgID)
			}
		} else {
			orgID = g.OrgID
			if partnerID, err = orgPartner(ctx, q, s, orgID); err != nil {
				return err
			}
		}
		_, err = q.ExecContext(ctx, "INSERT INTO device_groups (id, partner_id, org_id, site_id, name, version, created_at, updated_at)"+
			" VALUES (?, ?, ?, ?, ?, 1, ?, ?)", id, partnerID, orgID, nullString(g.SiteID), g.Name, micros(t), micros(t))
		return failure{
			op:      "create device group",
			unique:  fmt.Sprintf("a device group named %q already exists here", g.Name),
			dup:     fmt.Sprintf("device group %s already exists", id),
			missing: "site or organization not found",
		}.wrap(err)
	})
	if err != nil {
		return err
	}
	g.ID, g.PartnerID, g.OrgID, g.Version, g.CreatedAt, g.UpdatedAt = id, partnerID, orgID, 1, t, t
	return nil
}

// sitePlace returns the partner and org of a site the scope covers.
func sitePlace(ctx context.Context, q queryer, s domain.Scope, siteID string) (partnerID, orgID string, err error) {
	if !domain.ValidID(siteID) {
		return "", "", notFound("site")
	}
	args := []any{siteID}
	where := siteScope.where(s, "", &args)
	err = q.QueryRowContext(ctx, "SELECT partner_id, org_id FROM sites WHERE id = ? AND "+where, args...).Scan(&partnerID, &orgID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", notFound("site")
	}
	if err != nil {
		return "", "", failure{op: "read site"}.wrap(err)
	}
	return partnerID, orgID, nil
}

func (gs groupStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.DeviceGroup, error) {
	return groups.get(ctx, gs.s.read(ctx), s, id)
}

func (gs groupStore) List(ctx context.Context, s domain.Scope, f ports.DeviceGroupFilter, page domain.PageRequest) (domain.Page[*domain.DeviceGroup], error) {
	var flt filter
	if f.OrgID != "" {
		flt.tenant("org_id", f.OrgID)
	}
	if f.SiteID != "" {
		flt.tenant("site_id", f.SiteID)
	}
	if f.Query != "" {
		flt.contains("name", f.Query)
	}
	return groups.list(ctx, gs.s.read(ctx), s, flt, page)
}

// Update renames the group; it never moves between org or site.
func (gs groupStore) Update(ctx context.Context, s domain.Scope, g *domain.DeviceGroup) (*domain.DeviceGroup, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	var out *domain.DeviceGroup
	err := gs.s.write(ctx, func(q queryer) (err error) {
		out, err = groups.update(ctx, q, s, g.ID, g.Version, "name = ?", g.Name)
		return err
	})
	return out, err
}

func (gs groupStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	return gs.s.write(ctx, func(q queryer) error { return groups.delete(ctx, q, s, id) })
}

// nullString stores "" as NULL (an optional reference).
func nullString(v string) any {
	if v == "" {
		return nil
	}
	return v
}
