package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// DiscoveryAssets keeps discovered assets and their events (see ports.AssetStore).
func (s *Store) DiscoveryAssets() ports.AssetStore { return assetStore{s} }

type assetStore struct{ s *Store }

var _ ports.AssetStore = assetStore{}

const assetCols = "id, partner_id, org_id, site_id, ip, mac, hostnames, vendor, open_ports, prev_ports, ports_job_id," +
	" attributes, state, device_id, first_seen, last_seen, gone, first_job_id, last_job_id, seen_by_jobs, profile_ids," +
	" version, created_at, updated_at"

// Assets are scoped like devices.
var assetsTable = &table[*domain.Asset]{
	name:  "discovery_assets",
	what:  "asset",
	cols:  assetCols,
	read:  tenantScope,
	write: tenantScope,
	scan:  scanAsset,
	idOf:  func(a *domain.Asset) string { return a.ID },
}

func scanAsset(r rowScanner) (*domain.Asset, error) {
	var a domain.Asset
	var hosts, ports, prev, attrs, seen, profiles string
	var dev sql.NullString
	var first, last, created, updated int64
	var gone int
	if err := r.Scan(&a.ID, &a.PartnerID, &a.OrgID, &a.SiteID, &a.IP, &a.MAC, &hosts, &a.Vendor, &ports, &prev,
		&a.PortsJobID, &attrs, &a.State, &dev, &first, &last, &gone, &a.FirstJobID, &a.LastJobID, &seen, &profiles,
		&a.Version, &created, &updated); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		raw string
		dst any
	}{{hosts, &a.Hostnames}, {ports, &a.OpenPorts}, {prev, &a.PrevPorts}, {attrs, &a.Attributes}, {seen, &a.SeenByJobs},
		{profiles, &a.ProfileIDs}} {
		if err := json.Unmarshal([]byte(f.raw), f.dst); err != nil {
			return nil, fmt.Errorf("decode asset: %w", err)
		}
	}
	a.DeviceID, a.Gone = dev.String, gone == 1
	a.FirstSeen, a.LastSeen = fromMicros(first), fromMicros(last)
	a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &a, nil
}

// assetSearch is the lower-cased text the q filter matches.
func assetSearch(a *domain.Asset) string {
	return strings.ToLower(a.IP + " " + a.MAC + " " + a.Vendor + " " + strings.Join(a.Hostnames, " "))
}

func (as assetStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.Asset, error) {
	return assetsTable.get(ctx, as.s.read(ctx), s, id)
}

func (as assetStore) List(ctx context.Context, s domain.Scope, f ports.AssetFilter, page domain.PageRequest) (domain.Page[*domain.Asset], error) {
	var flt filter
	if f.OrgID != "" {
		flt.tenant("org_id", f.OrgID)
	}
	if f.SiteID != "" {
		flt.tenant("site_id", f.SiteID)
	}
	if f.State != "" {
		flt.add("state = ?", string(f.State))
	}
	if f.New != nil {
		cond := "(first_job_id <> '' AND first_job_id = last_job_id AND gone = 0)"
		if !*f.New {
			cond = "NOT " + cond
		}
		flt.add(cond)
	}
	if f.Query != "" {
		flt.contains("search", strings.ToLower(f.Query))
	}
	if f.ProfileID != "" {
		flt.add("EXISTS (SELECT 1 FROM json_each(profile_ids) WHERE value = ?)", f.ProfileID)
	}
	return assetsTable.list(ctx, as.s.read(ctx), s, flt, page)
}

func (as assetStore) SetState(ctx context.Context, s domain.Scope, id string, state domain.AssetState) (*domain.Asset, error) {
	if !state.Valid() {
		return nil, domain.Invalidf("unknown asset state %q", domain.Abbrev(string(state), 32))
	}
	if !domain.ValidID(id) {
		return nil, notFound("asset")
	}
	var out *domain.Asset
	err := as.s.write(ctx, func(q queryer) error {
		args := []any{string(state), micros(now()), id}
		where := tenantScope.where(s, "", &args)
		var err error
		out, err = scanAsset(q.QueryRowContext(ctx, "UPDATE discovery_assets SET state = ?, version = version + 1,"+
			" updated_at = ? WHERE id = ? AND "+where+" RETURNING "+assetCols, args...))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("asset")
		}
		return failure{op: "set asset state"}.wrap(err)
	})
	return out, err
}

func (as assetStore) Link(ctx context.Context, s domain.Scope, id string, state domain.AssetState, deviceID string) (*domain.Asset, error) {
	if !state.Valid() {
		return nil, domain.Invalidf("unknown asset state %q", domain.Abbrev(string(state), 32))
	}
	if !domain.ValidID(id) {
		return nil, notFound("asset")
	}
	var out *domain.Asset
	err := as.s.write(ctx, func(q queryer) error {
		args := []any{string(state), nullString(deviceID), micros(now()), id}
		where := tenantScope.where(s, "", &args)
		var err error
		out, err = scanAsset(q.QueryRowContext(ctx, "UPDATE discovery_assets SET state = ?, device_id = ?, version = version + 1,"+
			" updated_at = ? WHERE id = ? AND "+where+" RETURNING "+assetCols, args...))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("asset")
		}
		return failure{op: "link asset"}.wrap(err)
	})
	return out, err
}

func (as assetStore) BySiteIPs(ctx context.Context, siteID string, ips []string) ([]*domain.Asset, error) {
	if !domain.ValidID(siteID) || len(ips) == 0 {
		return nil, nil
	}
	return queryList(ctx, as.s.read(ctx), "SELECT "+assetCols+" FROM discovery_assets WHERE site_id = ? AND ip IN (SELECT value FROM json_each(?))",
		[]any{siteID, encodeList(ips)}, scanAsset)
}

func (as assetStore) BySite(ctx context.Context, siteID string) ([]*domain.Asset, error) {
	if !domain.ValidID(siteID) {
		return nil, nil
	}
	return queryList(ctx, as.s.read(ctx), "SELECT "+assetCols+" FROM discovery_assets WHERE site_id = ?", []any{siteID}, scanAsset)
}

func jsonText(v any) string {
	b, _ := json.Marshal(v) // flat slices and string maps always marshal
	return string(b)
}

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// checkAsset validates what the schema needs.
func checkAsset(a *domain.Asset) error {
	if !domain.ValidID(a.PartnerID) || !domain.ValidID(a.OrgID) || !domain.ValidID(a.SiteID) ||
		(a.DeviceID != "" && !domain.ValidID(a.DeviceID)) || (a.ID != "" && !domain.ValidID(a.ID)) {
		return domain.Invalidf("asset %s: malformed ids", domain.Abbrev(a.IP, 64))
	}
	if a.IP == "" || !a.State.Valid() {
		return domain.Invalidf("asset needs an IP and a known state")
	}
	texts := append([]string{a.IP, a.MAC, a.Vendor, a.PortsJobID, a.FirstJobID, a.LastJobID}, a.Hostnames...)
	for k, v := range a.Attributes {
		texts = append(texts, k, v)
	}
	for _, v := range texts {
		if !textOK(v) {
			return domain.Invalidf("asset text must be valid UTF-8 without NUL bytes")
		}
	}
	return nil
}

func (as assetStore) Upsert(ctx context.Context, assets []*domain.Asset) error {
	if len(assets) == 0 {
		return nil
	}
	seen := make(map[[2]string]bool, len(assets))
	for _, a := range assets {
		if err := checkAsset(a); err != nil {
			return err
		}
		key := [2]string{a.SiteID, a.IP}
		if seen[key] {
			return domain.Invalidf("asset %s twice in one upsert", a.IP)
		}
		seen[key] = true
	}
	t := micros(now())
	return as.s.write(ctx, func(q queryer) error {
		for _, a := range assets {
			id := a.ID
			if id == "" {
				id = domain.NewID()
			}
			attrs := a.Attributes
			if attrs == nil {
				attrs = map[string]string{}
			}
			var created, updated int64
			err := q.QueryRowContext(ctx, `INSERT INTO discovery_assets (id, partner_id, org_id, site_id, ip, mac, hostnames,
					vendor, open_ports, prev_ports, ports_job_id, attributes, state, device_id, first_seen, last_seen, gone,
					first_job_id, last_job_id, seen_by_jobs, profile_ids, search, version, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
				ON CONFLICT (site_id, ip) DO UPDATE SET mac = excluded.mac, hostnames = excluded.hostnames,
					vendor = excluded.vendor, open_ports = excluded.open_ports, prev_ports = excluded.prev_ports,
					ports_job_id = excluded.ports_job_id, attributes = excluded.attributes, state = excluded.state,
					device_id = excluded.device_id, first_seen = excluded.first_seen, last_seen = excluded.last_seen,
					gone = excluded.gone, first_job_id = excluded.first_job_id, last_job_id = excluded.last_job_id,
					seen_by_jobs = excluded.seen_by_jobs, profile_ids = excluded.profile_ids, search = excluded.search,
					version = discovery_assets.version + 1, updated_at = excluded.updated_at
				RETURNING id, version, created_at, updated_at`,
				id, a.PartnerID, a.OrgID, a.SiteID, a.IP, a.MAC, jsonText(nonNil(a.Hostnames)), a.Vendor,
				jsonText(nonNil(a.OpenPorts)), jsonText(nonNil(a.PrevPorts)), a.PortsJobID, jsonText(attrs), string(a.State),
				nullString(a.DeviceID), micros(a.FirstSeen), micros(a.LastSeen), boolInt(a.Gone), a.FirstJobID, a.LastJobID,
				jsonText(nonNil(a.SeenByJobs)), jsonText(nonNil(a.ProfileIDs)), assetSearch(a), t, t).
				Scan(&a.ID, &a.Version, &created, &updated)
			if err != nil {
				return failure{op: "upsert assets", missing: "site or device not found"}.wrap(err)
			}
			a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
			a.FirstSeen, a.LastSeen = fromMicros(micros(a.FirstSeen)), fromMicros(micros(a.LastSeen))
		}
		return nil
	})
}

const assetEventCols = "id, asset_id, partner_id, org_id, site_id, kind, ip, job_id, detail, at"

func scanAssetEvent(r rowScanner) (*domain.AssetEvent, error) {
	var e domain.AssetEvent
	var at int64
	if err := r.Scan(&e.ID, &e.AssetID, &e.PartnerID, &e.OrgID, &e.SiteID, &e.Kind, &e.IP, &e.JobID, &e.Detail, &at); err != nil {
		return nil, err
	}
	e.At = fromMicros(at)
	return &e, nil
}

func (as assetStore) AppendEvents(ctx context.Context, events []*domain.AssetEvent) error {
	if len(events) == 0 {
		return nil
	}
	for _, e := range events {
		if e.ID == "" {
			e.ID = domain.NewID()
		}
		if !domain.ValidID(e.ID) || !domain.ValidID(e.AssetID) || !domain.ValidID(e.PartnerID) || !domain.ValidID(e.OrgID) ||
			!domain.ValidID(e.SiteID) {
			return domain.Invalidf("asset event: malformed ids")
		}
		for _, v := range []string{string(e.Kind), e.IP, e.JobID, e.Detail} {
			if !textOK(v) {
				return domain.Invalidf("asset event text must be valid UTF-8 without NUL bytes")
			}
		}
		e.At = fromMicros(micros(e.At))
	}
	return as.s.write(ctx, func(q queryer) error {
		for _, e := range events {
			_, err := q.ExecContext(ctx, "INSERT INTO discovery_asset_events ("+assetEventCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
				e.ID, e.AssetID, e.PartnerID, e.OrgID, e.SiteID, string(e.Kind), e.IP, e.JobID, e.Detail, micros(e.At))
			if err != nil {
				return failure{op: "append asset events", missing: "asset not found"}.wrap(err)
			}
		}
		return nil
	})
}

func (as assetStore) ListEvents(ctx context.Context, assetID string, page domain.PageRequest) (domain.Page[*domain.AssetEvent], error) {
	page = page.Normalize()
	before, err := domain.DecodeCursor(page.Cursor)
	if err != nil {
		return domain.Page[*domain.AssetEvent]{}, err
	}
	q := "SELECT " + assetEventCols + " FROM discovery_asset_events WHERE asset_id = ?"
	args := []any{assetID}
	if before != "" {
		q += " AND id < ?"
		args = append(args, before)
	}
	args = append(args, page.Limit+1)
	items, err := queryList(ctx, as.s.read(ctx), q+" ORDER BY id DESC LIMIT ?", args, scanAssetEvent)
	if err != nil {
		return domain.Page[*domain.AssetEvent]{}, err
	}
	out := domain.Page[*domain.AssetEvent]{Items: items}
	if out.Items == nil {
		out.Items = []*domain.AssetEvent{}
	}
	if len(out.Items) > page.Limit {
		out.Items = out.Items[:page.Limit]
		out.NextCursor = domain.EncodeCursor(out.Items[page.Limit-1].ID)
	}
	return out, nil
}

func (as assetStore) DeviceAddresses(ctx context.Context, orgID string) ([]ports.DeviceAddress, error) {
	if !domain.ValidID(orgID) {
		return nil, nil
	}
	return queryList(ctx, as.s.read(ctx), `SELECT d.id, d.site_id,
			coalesce(CASE WHEN i.type = 'object' THEN json_extract(i.value, '$.mac') END, ''), coalesce(a.value, '')
		FROM devices d
		JOIN device_inventory v ON v.device_id = d.id
		JOIN json_each(CASE WHEN json_type(v.document, '$.interfaces') = 'array' THEN v.document ELSE '{"interfaces":[]}' END,
			'$.interfaces') AS i
		LEFT JOIN json_each(CASE WHEN i.type <> 'object' THEN '{"addresses":[]}'
			WHEN json_type(i.value, '$.addresses') = 'array' THEN i.value ELSE '{"addresses":[]}' END, '$.addresses') AS a
		WHERE d.org_id = ? AND d.status <> 'decommissioned'`, []any{orgID},
		func(r rowScanner) (ports.DeviceAddress, error) {
			var d ports.DeviceAddress
			var mac, addr any
			if err := r.Scan(&d.DeviceID, &d.SiteID, &mac, &addr); err != nil {
				return d, err
			}
			d.MAC, d.Address = fmt.Sprint(mac), fmt.Sprint(addr)
			return d, nil
		})
}
