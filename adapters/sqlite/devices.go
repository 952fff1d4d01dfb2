package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type deviceStore struct{ s *Store }

const deviceCols = "id, partner_id, org_id, site_id, group_id, hostname, os, arch, status, last_seen_at, agent_version, version, created_at, updated_at, kind"

var devices = &table[*domain.Device]{
	name:  "devices",
	what:  "device",
	cols:  deviceCols,
	read:  tenantScope,
	write: tenantScope,
	scan:  scanDevice,
	idOf:  func(d *domain.Device) string { return d.ID },
	failOn: failure{
		missing: "site or device group not found",
	},
}

func scanDevice(r rowScanner) (*domain.Device, error) {
	var d domain.Device
	var group sql.NullString
	var status string
	var lastSeen sql.NullInt64
	var created, updated int64
	var kind string
	if err := r.Scan(&d.ID, &d.PartnerID, &d.OrgID, &d.SiteID, &group, &d.Hostname, &d.OS, &d.Arch, &status,
		&lastSeen, &d.AgentVersion, &d.Version, &created, &updated, &kind); err != nil {
		return nil, err
	}
	d.GroupID, d.Status, d.Kind = group.String, domain.DeviceStatus(status), domain.DeviceKind(kind)
	if lastSeen.Valid {
		d.LastSeenAt = fromMicros(lastSeen.Int64)
	}
	d.CreatedAt, d.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &d, nil
}

// Create adds a device to a site the scope covers, optionally in a group of
// the same org that is org-wide or in that site.
func (ds deviceStore) Create(ctx context.Context, s domain.Scope, d *domain.Device) error {
	if err := d.Validate(); err != nil {
		return err
	}
	id, err := newID("device", d.ID)
	if err != nil {
		return err
	}
	if d.SiteID == "" {
		return domain.Invalidf("device site is required")
	}
	t := micros(now())
	var out *domain.Device
	err = ds.s.write(ctx, func(q queryer) error {
		partnerID, orgID, err := placement(ctx, q, s, d.SiteID, d.GroupID)
		if err != nil {
			return err
		}
		if d.OrgID != "" && d.OrgID != orgID {
			return domain.Invalidf("site is not in organization %s", d.OrgID)
		}
		out, err = scanDevice(q.QueryRowContext(ctx, "INSERT INTO devices ("+deviceCols+")"+
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?) RETURNING "+deviceCols,
			id, partnerID, orgID, d.SiteID, nullString(d.GroupID), d.Hostname, d.OS, d.Arch, string(d.Status),
			nullMicros(d.LastSeenAt), d.AgentVersion, t, t, string(kindOf(d))))
		return failure{
			op:      "create device",
			dup:     fmt.Sprintf("device %s already exists", id),
			missing: "site or device group not found",
		}.wrap(err)
	})
	if err != nil {
		return err
	}
	*d = *out
	return nil
}

// placement checks that the scope covers site (and group, when set), that the
// group is in the site's org and org-wide or in that site, and returns the
// site's partner and org.
func placement(ctx context.Context, q queryer, s domain.Scope, siteID, groupID string) (partnerID, orgID string, err error) {
	if partnerID, orgID, err = sitePlace(ctx, q, s, siteID); err != nil {
		return "", "", err
	}
	if groupID == "" {
		return partnerID, orgID, nil
	}
	if !domain.ValidID(groupID) {
		return "", "", notFound("device group")
	}
	args := []any{groupID}
	where := tenantScope.where(s, "", &args)
	var groupOrg string
	var groupSite sql.NullString
	err = q.QueryRowContext(ctx, "SELECT org_id, site_id FROM device_groups WHERE id = ? AND "+where, args...).Scan(&groupOrg, &groupSite)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", notFound("device group")
	}
	if err != nil {
		return "", "", failure{op: "read device group"}.wrap(err)
	}
	if groupOrg != orgID {
		return "", "", domain.Invalidf("device group is in another organization than the site")
	}
	if groupSite.Valid && groupSite.String != siteID {
		return "", "", domain.Invalidf("device group belongs to another site")
	}
	return partnerID, orgID, nil
}

func (ds deviceStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.Device, error) {
	return devices.get(ctx, ds.s.read(ctx), s, id)
}

func (ds deviceStore) List(ctx context.Context, s domain.Scope, f ports.DeviceFilter, page domain.PageRequest) (domain.Page[*domain.Device], error) {
	var flt filter
	if f.OrgID != "" {
		flt.tenant("org_id", f.OrgID)
	}
	if f.SiteID != "" {
		flt.tenant("site_id", f.SiteID)
	}
	if f.GroupID != "" {
		flt.tenant("group_id", f.GroupID)
	}
	if f.Status != "" {
		if !f.Status.Valid() {
			return domain.Page[*domain.Device]{}, domain.Invalidf("unknown device status %q", f.Status)
		}
		// status matches a quarter of the fleet: under a tenant filter,
		// keep the planner on the tenant's index (unary +)
		col := "status"
		if f.OrgID != "" || f.SiteID != "" || f.GroupID != "" {
			col = "+status"
		}
		flt.add(col+" = ?", string(f.Status))
	}
	if f.OS != "" {
		flt.add("os = ?", f.OS)
	}
	if f.Kind != "" {
		flt.add("kind = ?", string(f.Kind))
	}
	if f.Query != "" {
		flt.contains("hostname", f.Query)
	}
	return devices.list(ctx, ds.s.read(ctx), s, flt, page)
}

// deviceSet is the SET list of Update (and of Upsert's update branch).
const deviceSet = "site_id = ?, group_id = ?, hostname = ?, os = ?, arch = ?, status = ?, last_seen_at = ?, agent_version = ?"

func deviceSetArgs(d *domain.Device) []any {
	return []any{d.SiteID, nullString(d.GroupID), d.Hostname, d.OS, d.Arch, string(d.Status), nullMicros(d.LastSeenAt), d.AgentVersion}
}

// Update changes the reported fields and may move the device to another
// site or group of the same org, both covered by the scope.
func (ds deviceStore) Update(ctx context.Context, s domain.Scope, d *domain.Device) (*domain.Device, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if !domain.ValidID(d.ID) {
		return nil, notFound("device")
	}
	if d.SiteID == "" {
		return nil, domain.Invalidf("device site is required")
	}
	var out *domain.Device
	err := ds.s.write(ctx, func(q queryer) error {
		orgID, version, err := ds.current(ctx, q, s, d.ID)
		if err != nil {
			return err
		}
		if version != d.Version {
			return domain.Conflictf("device was changed by someone else: version %d is stale, reload it", d.Version)
		}
		_, targetOrg, err := placement(ctx, q, s, d.SiteID, d.GroupID)
		if err != nil {
			return err
		}
		if targetOrg != orgID || (d.OrgID != "" && d.OrgID != orgID) {
			return domain.Invalidf("a device cannot move to another organization")
		}
		out, err = devices.update(ctx, q, s, d.ID, d.Version, deviceSet, deviceSetArgs(d)...)
		return err
	})
	return out, err
}

// current returns the org and version of a device the scope covers.
func (ds deviceStore) current(ctx context.Context, q queryer, s domain.Scope, id string) (orgID string, version int64, err error) {
	args := []any{id}
	where := tenantScope.where(s, "", &args)
	err = q.QueryRowContext(ctx, "SELECT org_id, version FROM devices WHERE id = ? AND "+where, args...).Scan(&orgID, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, notFound("device")
	}
	if err != nil {
		return "", 0, failure{op: "read device"}.wrap(err)
	}
	return orgID, version, nil
}

// Upsert writes the agent's report in one statement: the insert takes the
// device's tenant ids from the site row, which must be in scope (as must the
// group), and the conflict branch only overwrites a row in scope and in the
// same org. When the statement writes nothing, upsertMiss finds out why.
func (ds deviceStore) Upsert(ctx context.Context, s domain.Scope, d *domain.Device) (*domain.Device, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if !domain.ValidID(d.ID) {
		return nil, domain.Invalidf("device id must be a canonical lower-case UUID")
	}
	if d.SiteID == "" {
		return nil, domain.Invalidf("device site is required")
	}
	if !domain.ValidID(d.SiteID) {
		return nil, notFound("site")
	}
	if d.GroupID != "" && !domain.ValidID(d.GroupID) {
		return nil, notFound("device group")
	}
	t := micros(now())
	args := []any{d.ID, nullString(d.GroupID), d.Hostname, d.OS, d.Arch, string(d.Status), nullMicros(d.LastSeenAt), d.AgentVersion, t, t, string(kindOf(d)), d.SiteID}
	var b strings.Builder
	b.WriteString("INSERT INTO devices (" + deviceCols + ") SELECT ?, s.partner_id, s.org_id, s.id, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?" +
		" FROM sites AS s WHERE s.id = ? AND ")
	b.WriteString(siteScope.where(s, "s.", &args))
	if d.OrgID != "" {
		args = append(args, d.OrgID)
		b.WriteString(" AND s.org_id = ?")
	}
	if d.GroupID != "" {
		args = append(args, d.GroupID)
		b.WriteString(" AND EXISTS (SELECT 1 FROM device_groups AS g WHERE g.id = ? AND g.org_id = s.org_id" +
			" AND (g.site_id IS NULL OR g.site_id = s.id) AND ")
		b.WriteString(tenantScope.where(s, "g.", &args))
		b.WriteString(")")
	}
	b.WriteString(" ON CONFLICT (id) DO UPDATE SET site_id = excluded.site_id, group_id = excluded.group_id," +
		" hostname = excluded.hostname, os = excluded.os, arch = excluded.arch, status = excluded.status," +
		" last_seen_at = excluded.last_seen_at, agent_version = excluded.agent_version," +
		" version = devices.version + 1, updated_at = excluded.updated_at" +
		" WHERE devices.org_id = excluded.org_id AND ")
	b.WriteString(tenantScope.where(s, "devices.", &args))
	b.WriteString(" RETURNING " + deviceCols)

	var out *domain.Device
	err := ds.s.write(ctx, func(q queryer) (err error) {
		out, err = scanDevice(q.QueryRowContext(ctx, b.String(), args...))
		if errors.Is(err, sql.ErrNoRows) {
			return ds.upsertMiss(ctx, q, s, d)
		}
		return failure{op: "upsert device", missing: "site or device group not found"}.wrap(err)
	})
	return out, err
}

// upsertMiss explains an Upsert that wrote nothing: a site or group the
// scope does not cover or that does not fit, a device outside the scope
// (ErrNotFound, whatever else is wrong), or a move to another org.
func (ds deviceStore) upsertMiss(ctx context.Context, q queryer, s domain.Scope, d *domain.Device) error {
	_, orgID, err := placement(ctx, q, s, d.SiteID, d.GroupID)
	if err != nil {
		return err
	}
	current, _, err := ds.current(ctx, q, s, d.ID)
	switch {
	case err == nil:
		if current != orgID || (d.OrgID != "" && d.OrgID != orgID) {
			return domain.Invalidf("a device cannot move to another organization")
		}
	case !errors.Is(err, domain.ErrNotFound):
		return err
	default:
		if _, _, err := ds.current(ctx, q, domain.GlobalScope(), d.ID); err == nil {
			return notFound("device") // it exists, outside the scope
		}
		if d.OrgID != "" && d.OrgID != orgID {
			return domain.Invalidf("site is not in organization %s", d.OrgID)
		}
	}
	return fmt.Errorf("sqlite: upsert device %s wrote nothing", d.ID)
}

func (ds deviceStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	return ds.s.write(ctx, func(q queryer) error { return devices.delete(ctx, q, s, id) })
}

// kindOf defaults an unset kind to agent.
func kindOf(d *domain.Device) domain.DeviceKind {
	if d.Kind == "" {
		return domain.DeviceKindAgent
	}
	return d.Kind
}
