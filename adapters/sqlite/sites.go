package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type siteStore struct{ s *Store }

var sites = &table[*domain.Site]{
	name:  "sites",
	what:  "site",
	cols:  "id, partner_id, org_id, name, timezone, version, created_at, updated_at",
	read:  siteScope,
	write: siteScope,
	scan:  scanSite,
	idOf:  func(s *domain.Site) string { return s.ID },
	failOn: failure{
		unique:   "a site with that name already exists in this organization",
		restrict: "site still has device groups or devices",
	},
}

func scanSite(r rowScanner) (*domain.Site, error) {
	var s domain.Site
	var created, updated int64
	if err := r.Scan(&s.ID, &s.PartnerID, &s.OrgID, &s.Name, &s.Timezone, &s.Version, &created, &updated); err != nil {
		return nil, err
	}
	s.CreatedAt, s.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &s, nil
}

// Create adds a site to an organization the scope covers at org level.
func (ss siteStore) Create(ctx context.Context, s domain.Scope, site *domain.Site) error {
	if err := site.Validate(); err != nil {
		return err
	}
	id, err := newID("site", site.ID)
	if err != nil {
		return err
	}
	if !domain.ValidID(site.OrgID) {
		return notFound("organization")
	}
	t := now()
	var partnerID string
	err = ss.s.write(ctx, func(q queryer) error {
		partnerID, err = orgPartner(ctx, q, s, site.OrgID)
		if err != nil {
			return err
		}
		if site.PartnerID != "" && site.PartnerID != partnerID {
			return domain.Invalidf("organization is not in partner %s", site.PartnerID)
		}
		_, err = q.ExecContext(ctx, "INSERT INTO sites (id, partner_id, org_id, name, timezone, version, created_at, updated_at)"+
			" VALUES (?, ?, ?, ?, ?, 1, ?, ?)", id, partnerID, site.OrgID, site.Name, site.Timezone, micros(t), micros(t))
		return failure{
			op:      "create site",
			unique:  fmt.Sprintf("a site named %q already exists in this organization", site.Name),
			dup:     fmt.Sprintf("site %s already exists", id),
			missing: "organization not found",
		}.wrap(err)
	})
	if err != nil {
		return err
	}
	site.ID, site.PartnerID, site.Version, site.CreatedAt, site.UpdatedAt = id, partnerID, 1, t, t
	return nil
}

// orgPartner returns the partner of an org the scope covers at org level
// (holding one of its sites is not enough to create under it).
func orgPartner(ctx context.Context, q queryer, s domain.Scope, orgID string) (string, error) {
	if !domain.ValidID(orgID) {
		return "", notFound("organization")
	}
	args := []any{orgID}
	where := orgWriteScope.where(s, "", &args)
	var partnerID string
	err := q.QueryRowContext(ctx, "SELECT partner_id FROM organizations WHERE id = ? AND "+where, args...).Scan(&partnerID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound("organization")
	}
	if err != nil {
		return "", failure{op: "read organization"}.wrap(err)
	}
	return partnerID, nil
}

func (ss siteStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.Site, error) {
	return sites.get(ctx, ss.s.read(ctx), s, id)
}

func (ss siteStore) List(ctx context.Context, s domain.Scope, f ports.SiteFilter, page domain.PageRequest) (domain.Page[*domain.Site], error) {
	var flt filter
	if f.OrgID != "" {
		flt.tenant("org_id", f.OrgID)
	}
	if f.Query != "" {
		flt.contains("name", f.Query)
	}
	return sites.list(ctx, ss.s.read(ctx), s, flt, page)
}

func (ss siteStore) Update(ctx context.Context, s domain.Scope, site *domain.Site) (*domain.Site, error) {
	if err := site.Validate(); err != nil {
		return nil, err
	}
	var out *domain.Site
	err := ss.s.write(ctx, func(q queryer) (err error) {
		out, err = sites.update(ctx, q, s, site.ID, site.Version, "name = ?, timezone = ?", site.Name, site.Timezone)
		return err
	})
	return out, err
}

func (ss siteStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	return ss.s.write(ctx, func(q queryer) error { return sites.delete(ctx, q, s, id) })
}
