package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type deviceStore struct{ q querier }

var _ ports.DeviceStore = deviceStore{}

// deviceColsOf lists the columns scanDevice reads, qualified by p ("d." in joins).
func deviceColsOf(p string) string {
	return p + "id, " + p + "partner_id, " + p + "org_id, " + p + "site_id, coalesce(" + p + "group_id::text, ''), " +
		p + "hostname, " + p + "os, " + p + "arch, " + p + "status, " + p + "last_seen_at, " + p + "agent_version, " +
		p + "version, " + p + "created_at, " + p + "updated_at, " + p + "kind"
}

var deviceCols = deviceColsOf("")

func scanDevice(row pgx.Row) (*domain.Device, error) {
	var d domain.Device
	var seen *time.Time
	if err := row.Scan(&d.ID, &d.PartnerID, &d.OrgID, &d.SiteID, &d.GroupID, &d.Hostname, &d.OS, &d.Arch,
		&d.Status, &seen, &d.AgentVersion, &d.Version, &d.CreatedAt, &d.UpdatedAt, &d.Kind); err != nil {
		return nil, err
	}
	if seen != nil {
		d.LastSeenAt = seen.UTC()
	}
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return &d, nil
}

// seenAt stores a zero LastSeenAt ("never seen") as NULL.
func seenAt(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Truncate(time.Microsecond)
}

// insertDevice is the INSERT shared by Create and Upsert. The row is built
// from the target site, selected only when the scope covers it, so the
// denormalised partner and org come from the parent and an uncovered site
// inserts nothing. A group must be covered, in the same org, and org-wide or
// in the same site. Parameters: $1 id, $2 site, $3 org or NULL, $4 group or
// NULL, $5 hostname, $6 os, $7 arch, $8 status, $9 last seen, $10 agent
// version, $11 now, $12 kind; the scope's parameters follow.
func insertDevice(s domain.Scope, a *args) string {
	return `INSERT INTO devices (id, partner_id, org_id, site_id, group_id, hostname, os, arch, status,
			last_seen_at, agent_version, version, created_at, updated_at, kind)
		SELECT $1, si.partner_id, si.org_id, si.id, $4::uuid, $5, $6, $7, $8, $9, $10, 1, $11, $11, $12
		FROM sites si
		WHERE si.id = $2 AND ($3::uuid IS NULL OR si.org_id = $3::uuid) AND ` + siteScope.where(s, a, "si.") + `
		AND ($4::uuid IS NULL OR EXISTS (SELECT 1 FROM device_groups g
			WHERE g.id = $4::uuid AND g.org_id = si.org_id AND (g.site_id IS NULL OR g.site_id = si.id)
			AND ` + tenantScope.where(s, a, "g.") + `))`
}

func deviceArgs(d *domain.Device, id string, t time.Time) args {
	return args{id, d.SiteID, nullID(d.OrgID), nullID(d.GroupID), d.Hostname, d.OS, d.Arch, string(d.Status),
		seenAt(d.LastSeenAt), d.AgentVersion, t, string(kindOf(d))}
}

// kindOf defaults an unset kind to agent.
func kindOf(d *domain.Device) domain.DeviceKind {
	if d.Kind == "" {
		return domain.DeviceKindAgent
	}
	return d.Kind
}

// checkRefs rejects malformed references before they reach a uuid cast.
func checkRefs(d *domain.Device) error {
	if !domain.ValidID(d.SiteID) {
		return notFound("site")
	}
	if d.GroupID != "" && !domain.ValidID(d.GroupID) {
		return notFound("device group")
	}
	if d.OrgID != "" && !domain.ValidID(d.OrgID) {
		return notFound("organization")
	}
	return nil
}

// Create adds a device to a site the scope covers.
func (st deviceStore) Create(ctx context.Context, s domain.Scope, d *domain.Device) error {
	ctx = tenant(ctx, s)
	if err := d.Validate(); err != nil {
		return err
	}
	if err := checkRefs(d); err != nil {
		return err
	}
	id, err := newID(d.ID)
	if err != nil {
		return err
	}
	a := deviceArgs(d, id, now())
	out, err := scanDevice(st.q.QueryRow(ctx, insertDevice(s, &a)+" RETURNING "+deviceCols, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return st.explainRefs(ctx, s, d, d.OrgID, "")
	}
	if err != nil {
		return translate("create device", err)
	}
	*d = *out
	return nil
}

func (st deviceStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.Device, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(id) {
		return nil, notFound("device")
	}
	a := args{id}
	d, err := scanDevice(st.q.QueryRow(ctx,
		"SELECT "+deviceCols+" FROM devices WHERE id = $1 AND "+tenantScope.where(s, &a, ""), a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("device")
	}
	if err != nil {
		return nil, translate("get device", err)
	}
	return d, nil
}

func (st deviceStore) List(ctx context.Context, s domain.Scope, f ports.DeviceFilter, page domain.PageRequest) (domain.Page[*domain.Device], error) {
	ctx = tenant(ctx, s)
	var a args
	where := []string{tenantScope.where(s, &a, "")}
	where = filterID(where, &a, "org_id", f.OrgID)
	where = filterID(where, &a, "site_id", f.SiteID)
	where = filterID(where, &a, "group_id", f.GroupID)
	if f.Status != "" {
		where = append(where, "status = "+a.add(string(f.Status)))
	}
	if f.OS != "" {
		where = append(where, "os = "+a.add(f.OS))
	}
	if f.Kind != "" {
		where = append(where, "kind = "+a.add(string(f.Kind)))
	}
	if f.Query != "" {
		where = append(where, `hostname ILIKE `+a.add(likePattern(f.Query))+` ESCAPE '\'`)
	}
	tail, page, err := pageQuery(page, &a, where)
	if err != nil {
		return domain.Page[*domain.Device]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+deviceCols+" FROM devices"+tail, a, scanDevice)
	if err != nil {
		return domain.Page[*domain.Device]{}, translate("list devices", err)
	}
	return finishPage(items, page.Limit, func(d *domain.Device) string { return d.ID }), nil
}

// Update applies the mutable fields, including a move to another site or
// group of the same org, when d.Version is the stored version.
func (st deviceStore) Update(ctx context.Context, s domain.Scope, d *domain.Device) (*domain.Device, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(d.ID) {
		return nil, notFound("device")
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if err := checkRefs(d); err != nil {
		return nil, err
	}
	a := args{d.ID, d.Version, d.SiteID, nullID(d.GroupID), d.Hostname, d.OS, d.Arch, string(d.Status),
		seenAt(d.LastSeenAt), d.AgentVersion, now()}
	out, err := scanDevice(st.q.QueryRow(ctx, `UPDATE devices d SET site_id = si.id, group_id = $4::uuid,
			hostname = $5, os = $6, arch = $7, status = $8, last_seen_at = $9, agent_version = $10,
			version = d.version + 1, updated_at = $11
		FROM sites si
		WHERE d.id = $1 AND d.version = $2 AND `+tenantScope.where(s, &a, "d.")+`
		AND si.id = $3 AND si.org_id = d.org_id AND `+siteScope.where(s, &a, "si.")+`
		AND ($4::uuid IS NULL OR EXISTS (SELECT 1 FROM device_groups g
			WHERE g.id = $4::uuid AND g.org_id = si.org_id AND (g.site_id IS NULL OR g.site_id = si.id)
			AND `+tenantScope.where(s, &a, "g.")+`))
		RETURNING `+deviceColsOf("d."), a...))
	if err == nil {
		return out, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, translate("update device", err)
	}
	cur, gerr := st.Get(ctx, s, d.ID)
	if gerr != nil {
		return nil, gerr
	}
	if cur.Version != d.Version {
		return nil, staleVersion("device", d.Version, cur.Version)
	}
	return nil, st.explainRefs(ctx, s, d, "", cur.OrgID)
}

// Upsert inserts d, or overwrites the device of that ID when it is in scope,
// in one statement. When nothing was written, a second look explains why.
func (st deviceStore) Upsert(ctx context.Context, s domain.Scope, d *domain.Device) (*domain.Device, error) {
	ctx = tenant(ctx, s)
	if d.ID == "" {
		return nil, domain.Invalidf("device id is required")
	}
	if !domain.ValidID(d.ID) {
		return nil, domain.Invalidf("device id %q is not a canonical lower-case UUID", d.ID)
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if err := checkRefs(d); err != nil {
		return nil, err
	}
	a := deviceArgs(d, d.ID, now())
	// The update branch fires only for a row in scope and never moves a
	// device to another org; otherwise it writes nothing and returns no row.
	out, err := scanDevice(st.q.QueryRow(ctx, insertDevice(s, &a)+`
		ON CONFLICT (id) DO UPDATE SET site_id = EXCLUDED.site_id, group_id = EXCLUDED.group_id,
			hostname = EXCLUDED.hostname, os = EXCLUDED.os, arch = EXCLUDED.arch, status = EXCLUDED.status,
			last_seen_at = EXCLUDED.last_seen_at, agent_version = EXCLUDED.agent_version,
			version = devices.version + 1, updated_at = EXCLUDED.updated_at
		WHERE devices.org_id = EXCLUDED.org_id AND `+tenantScope.where(s, &a, "devices.")+`
		RETURNING `+deviceCols, a...))
	if err == nil {
		return out, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, translate("upsert device", err)
	}
	// Nothing written. A device of this id that the caller cannot see must
	// look exactly like a missing one.
	cur, gerr := st.Get(ctx, s, d.ID)
	if gerr == nil {
		return nil, st.explainRefs(ctx, s, d, d.OrgID, cur.OrgID)
	}
	// Whether the id is taken in any tenant: the one cross-tenant read of a
	// scoped method, hence system (it answers a boolean, never a row).
	var exists bool
	if err := st.q.QueryRow(system(ctx), "SELECT EXISTS (SELECT 1 FROM devices WHERE id = $1)", d.ID).Scan(&exists); err != nil {
		return nil, translate("upsert device", err)
	}
	if exists {
		return nil, notFound("device")
	}
	return nil, st.explainRefs(ctx, s, d, d.OrgID, "")
}

// Delete removes a device in scope.
func (st deviceStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	ctx = tenant(ctx, s)
	return deleteRow(ctx, st.q, "devices", tenantScope, s, id, "device")
}

// explainRefs says why a device write found no acceptable site or group:
// ErrNotFound for a reference the scope does not cover, ErrInvalid for
// references that do not fit together. givenOrg is the OrgID the caller
// named, stayOrg the org an existing device must stay in ("" when none).
func (st deviceStore) explainRefs(ctx context.Context, s domain.Scope, d *domain.Device, givenOrg, stayOrg string) error {
	site, err := (siteStore{q: st.q}).Get(ctx, s, d.SiteID)
	if err != nil {
		return err
	}
	if givenOrg != "" && site.OrgID != givenOrg {
		return domain.Invalidf("site %s is not in organization %s", site.ID, givenOrg)
	}
	if stayOrg != "" && site.OrgID != stayOrg {
		return domain.Invalidf("a device cannot move to site %s of another organization", site.ID)
	}
	if d.GroupID == "" {
		return notFound("device") // the scope or the rows changed meanwhile
	}
	g, err := (groupStore{q: st.q}).Get(ctx, s, d.GroupID)
	if err != nil {
		return err
	}
	if g.OrgID != site.OrgID || (g.SiteID != "" && g.SiteID != site.ID) {
		return domain.Invalidf("device group %s is not in site %s", g.ID, site.ID)
	}
	return notFound("device")
}
