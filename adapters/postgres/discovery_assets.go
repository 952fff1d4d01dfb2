package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// DiscoveryAssets keeps discovered assets and their events (see ports.AssetStore).
func (s *Store) DiscoveryAssets() ports.AssetStore { return assetStore{q: s.q} }

type assetStore struct{ q querier }

var _ ports.AssetStore = assetStore{}

// assetColsOf lists the columns scanAsset reads, qualified by p ("a." in joins).
func assetColsOf(p string) string {
	cols := []string{"id", "partner_id", "org_id", "site_id", "ip", "mac", "hostnames::text", "vendor", "open_ports::text",
		"prev_ports::text", "ports_job_id", "attributes::text", "state", "coalesce(%sdevice_id::text, '')", "first_seen",
		"last_seen", "gone", "first_job_id", "last_job_id", "seen_by_jobs::text", "profile_ids::text", "version",
		"created_at", "updated_at"}
	for i, c := range cols {
		if strings.Contains(c, "%s") {
			cols[i] = fmt.Sprintf(c, p)
		} else {
			cols[i] = p + c
		}
	}
	return strings.Join(cols, ", ")
}

var assetCols = assetColsOf("")

func scanAsset(row pgx.Row) (*domain.Asset, error) {
	var a domain.Asset
	var hosts, ports, prev, attrs, seen, profiles string
	if err := row.Scan(&a.ID, &a.PartnerID, &a.OrgID, &a.SiteID, &a.IP, &a.MAC, &hosts, &a.Vendor, &ports, &prev,
		&a.PortsJobID, &attrs, &a.State, &a.DeviceID, &a.FirstSeen, &a.LastSeen, &a.Gone, &a.FirstJobID, &a.LastJobID,
		&seen, &profiles, &a.Version, &a.CreatedAt, &a.UpdatedAt); err != nil {
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
	a.FirstSeen, a.LastSeen = a.FirstSeen.UTC(), a.LastSeen.UTC()
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return &a, nil
}

// assetSearch is the lower-cased text the q filter matches.
func assetSearch(a *domain.Asset) string {
	return strings.ToLower(a.IP + " " + a.MAC + " " + a.Vendor + " " + strings.Join(a.Hostnames, " "))
}

func (st assetStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.Asset, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(id) {
		return nil, notFound("asset")
	}
	a := args{id}
	out, err := scanAsset(st.q.QueryRow(ctx, "SELECT "+assetCols+" FROM discovery_assets WHERE id = $1 AND "+
		tenantScope.where(s, &a, ""), a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("asset")
	}
	if err != nil {
		return nil, translate("get asset", err)
	}
	return out, nil
}

func (st assetStore) List(ctx context.Context, s domain.Scope, f ports.AssetFilter, page domain.PageRequest) (domain.Page[*domain.Asset], error) {
	ctx = tenant(ctx, s)
	var a args
	where := []string{tenantScope.where(s, &a, "")}
	where = filterID(where, &a, "org_id", f.OrgID)
	where = filterID(where, &a, "site_id", f.SiteID)
	if f.State != "" {
		where = append(where, "state = "+a.add(string(f.State)))
	}
	if f.New != nil {
		cond := "(first_job_id <> '' AND first_job_id = last_job_id AND NOT gone)"
		if !*f.New {
			cond = "NOT " + cond
		}
		where = append(where, cond)
	}
	if f.Query != "" {
		where = append(where, `search ILIKE `+a.add(likePattern(strings.ToLower(f.Query)))+` ESCAPE '\'`)
	}
	if f.ProfileID != "" {
		where = append(where, "profile_ids @> jsonb_build_array("+a.add(f.ProfileID)+"::text)")
	}
	tail, page, err := pageQuery(page, &a, where)
	if err != nil {
		return domain.Page[*domain.Asset]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+assetCols+" FROM discovery_assets"+tail, a, scanAsset)
	if err != nil {
		return domain.Page[*domain.Asset]{}, translate("list assets", err)
	}
	return finishPage(items, page.Limit, func(x *domain.Asset) string { return x.ID }), nil
}

func (st assetStore) SetState(ctx context.Context, s domain.Scope, id string, state domain.AssetState) (*domain.Asset, error) {
	ctx = tenant(ctx, s)
	if !state.Valid() {
		return nil, domain.Invalidf("unknown asset state %q", domain.Abbrev(string(state), 32))
	}
	if !domain.ValidID(id) {
		return nil, notFound("asset")
	}
	a := args{string(state), now(), id}
	out, err := scanAsset(st.q.QueryRow(ctx, "UPDATE discovery_assets SET state = $1, version = version + 1, updated_at = $2"+
		" WHERE id = $3 AND "+tenantScope.where(s, &a, "")+" RETURNING "+assetCols, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("asset")
	}
	if err != nil {
		return nil, translate("set asset state", err)
	}
	return out, nil
}

func (st assetStore) Link(ctx context.Context, s domain.Scope, id string, state domain.AssetState, deviceID string) (*domain.Asset, error) {
	ctx = tenant(ctx, s)
	if !state.Valid() {
		return nil, domain.Invalidf("unknown asset state %q", domain.Abbrev(string(state), 32))
	}
	if !domain.ValidID(id) || (deviceID != "" && !domain.ValidID(deviceID)) {
		return nil, notFound("asset")
	}
	a := args{string(state), now(), id, nullID(deviceID)}
	out, err := scanAsset(st.q.QueryRow(ctx, "UPDATE discovery_assets SET state = $1, device_id = $4::uuid, version = version + 1,"+
		" updated_at = $2 WHERE id = $3 AND "+tenantScope.where(s, &a, "")+" RETURNING "+assetCols, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("asset")
	}
	if err != nil {
		return nil, translate("link asset", err)
	}
	return out, nil
}

func (st assetStore) BySiteIPs(ctx context.Context, siteID string, ips []string) ([]*domain.Asset, error) {
	ctx = oneSite(ctx, siteID)
	if !domain.ValidID(siteID) || len(ips) == 0 {
		return nil, nil
	}
	// A join on the unnested list walks the (site_id, ip) index once per
	// IP; "ip = ANY($2)" is planned as a scan of the site comparing every
	// row with every IP, which a /16's pages make quadratic.
	return queryAll(ctx, st.q, "SELECT "+assetColsOf("a.")+" FROM unnest($2::text[]) AS u(ip)"+
		" JOIN discovery_assets a ON a.site_id = $1 AND a.ip = u.ip", args{siteID, ips}, scanAsset)
}

func (st assetStore) BySite(ctx context.Context, siteID string) ([]*domain.Asset, error) {
	ctx = oneSite(ctx, siteID)
	if !domain.ValidID(siteID) {
		return nil, nil
	}
	return queryAll(ctx, st.q, "SELECT "+assetCols+" FROM discovery_assets WHERE site_id = $1", args{siteID}, scanAsset)
}

// assetRow is one asset as jsonb_to_recordset reads it.
type assetRow struct {
	ID         string             `json:"id"`
	PartnerID  string             `json:"partner_id"`
	OrgID      string             `json:"org_id"`
	SiteID     string             `json:"site_id"`
	IP         string             `json:"ip"`
	MAC        string             `json:"mac"`
	Hostnames  []string           `json:"hostnames"`
	Vendor     string             `json:"vendor"`
	OpenPorts  []domain.AssetPort `json:"open_ports"`
	PrevPorts  []int              `json:"prev_ports"`
	PortsJobID string             `json:"ports_job_id"`
	Attributes map[string]string  `json:"attributes"`
	State      string             `json:"state"`
	DeviceID   *string            `json:"device_id"`
	FirstSeen  time.Time          `json:"first_seen"`
	LastSeen   time.Time          `json:"last_seen"`
	Gone       bool               `json:"gone"`
	FirstJobID string             `json:"first_job_id"`
	LastJobID  string             `json:"last_job_id"`
	SeenByJobs []string           `json:"seen_by_jobs"`
	ProfileIDs []string           `json:"profile_ids"`
	Search     string             `json:"search"`
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
		if !storable(v) {
			return domain.Invalidf("asset text must be valid UTF-8 without NUL bytes")
		}
	}
	return nil
}

func (st assetStore) Upsert(ctx context.Context, assets []*domain.Asset) error {
	ctx = system(ctx)
	if len(assets) == 0 {
		return nil
	}
	rows := make([]assetRow, len(assets))
	seen := make(map[[2]string]int, len(assets))
	for i, a := range assets {
		if err := checkAsset(a); err != nil {
			return err
		}
		key := [2]string{a.SiteID, a.IP}
		if _, dup := seen[key]; dup {
			return domain.Invalidf("asset %s twice in one upsert", a.IP)
		}
		seen[key] = i
		id := a.ID
		if id == "" {
			id = domain.NewID()
		}
		var dev *string
		if a.DeviceID != "" {
			d := a.DeviceID
			dev = &d
		}
		attrs := a.Attributes
		if attrs == nil {
			attrs = map[string]string{}
		}
		rows[i] = assetRow{ID: id, PartnerID: a.PartnerID, OrgID: a.OrgID, SiteID: a.SiteID, IP: a.IP, MAC: a.MAC,
			Hostnames: nonNil(a.Hostnames), Vendor: a.Vendor, OpenPorts: nonNil(a.OpenPorts), PrevPorts: nonNil(a.PrevPorts),
			PortsJobID: a.PortsJobID, Attributes: attrs, State: string(a.State), DeviceID: dev,
			FirstSeen: stamp(a.FirstSeen), LastSeen: stamp(a.LastSeen), Gone: a.Gone, FirstJobID: a.FirstJobID,
			LastJobID: a.LastJobID, SeenByJobs: nonNil(a.SeenByJobs), ProfileIDs: nonNil(a.ProfileIDs), Search: assetSearch(a)}
	}
	raw, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("encode assets: %w", err)
	}
	res, err := st.q.Query(ctx, `INSERT INTO discovery_assets (id, partner_id, org_id, site_id, ip, mac, hostnames, vendor,
			open_ports, prev_ports, ports_job_id, attributes, state, device_id, first_seen, last_seen, gone, first_job_id,
			last_job_id, seen_by_jobs, profile_ids, search, version, created_at, updated_at)
		SELECT x.id, x.partner_id, x.org_id, x.site_id, x.ip, x.mac, x.hostnames, x.vendor, x.open_ports, x.prev_ports,
			x.ports_job_id, x.attributes, x.state, x.device_id, x.first_seen, x.last_seen, x.gone, x.first_job_id,
			x.last_job_id, x.seen_by_jobs, x.profile_ids, x.search, 1, $2, $2
		FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, partner_id uuid, org_id uuid, site_id uuid, ip text, mac text,
			hostnames jsonb, vendor text, open_ports jsonb, prev_ports jsonb, ports_job_id text, attributes jsonb, state text,
			device_id uuid, first_seen timestamptz, last_seen timestamptz, gone boolean, first_job_id text, last_job_id text,
			seen_by_jobs jsonb, profile_ids jsonb, search text)
		ON CONFLICT (site_id, ip) DO UPDATE SET mac = EXCLUDED.mac, hostnames = EXCLUDED.hostnames, vendor = EXCLUDED.vendor,
			open_ports = EXCLUDED.open_ports, prev_ports = EXCLUDED.prev_ports, ports_job_id = EXCLUDED.ports_job_id,
			attributes = EXCLUDED.attributes, state = EXCLUDED.state, device_id = EXCLUDED.device_id,
			first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen, gone = EXCLUDED.gone,
			first_job_id = EXCLUDED.first_job_id, last_job_id = EXCLUDED.last_job_id, seen_by_jobs = EXCLUDED.seen_by_jobs,
			profile_ids = EXCLUDED.profile_ids, search = EXCLUDED.search, version = discovery_assets.version + 1,
			updated_at = EXCLUDED.updated_at
		RETURNING id, site_id, ip, version, created_at, updated_at`, string(raw), now())
	if err != nil {
		return translate("upsert assets", err)
	}
	defer res.Close()
	for res.Next() {
		var id, site, ip string
		var ver int64
		var created, updated time.Time
		if err := res.Scan(&id, &site, &ip, &ver, &created, &updated); err != nil {
			return translate("upsert assets", err)
		}
		if i, ok := seen[[2]string{site, ip}]; ok {
			a := assets[i]
			a.ID, a.Version, a.CreatedAt, a.UpdatedAt = id, ver, created.UTC(), updated.UTC()
		}
	}
	return translate("upsert assets", res.Err())
}

const assetEventCols = "id, asset_id, partner_id, org_id, site_id, kind, ip, job_id, detail, at"

func scanAssetEvent(row pgx.Row) (*domain.AssetEvent, error) {
	var e domain.AssetEvent
	if err := row.Scan(&e.ID, &e.AssetID, &e.PartnerID, &e.OrgID, &e.SiteID, &e.Kind, &e.IP, &e.JobID, &e.Detail, &e.At); err != nil {
		return nil, err
	}
	e.At = e.At.UTC()
	return &e, nil
}

func (st assetStore) AppendEvents(ctx context.Context, events []*domain.AssetEvent) error {
	ctx = system(ctx)
	if len(events) == 0 {
		return nil
	}
	type row struct {
		ID        string    `json:"id"`
		AssetID   string    `json:"asset_id"`
		PartnerID string    `json:"partner_id"`
		OrgID     string    `json:"org_id"`
		SiteID    string    `json:"site_id"`
		Kind      string    `json:"kind"`
		IP        string    `json:"ip"`
		JobID     string    `json:"job_id"`
		Detail    string    `json:"detail"`
		At        time.Time `json:"at"`
	}
	rows := make([]row, len(events))
	for i, e := range events {
		if e.ID == "" {
			e.ID = domain.NewID()
		}
		if !domain.ValidID(e.ID) || !domain.ValidID(e.AssetID) || !domain.ValidID(e.PartnerID) || !domain.ValidID(e.OrgID) ||
			!domain.ValidID(e.SiteID) {
			return domain.Invalidf("asset event: malformed ids")
		}
		for _, v := range []string{string(e.Kind), e.IP, e.JobID, e.Detail} {
			if !storable(v) {
				return domain.Invalidf("asset event text must be valid UTF-8 without NUL bytes")
			}
		}
		e.At = stamp(e.At)
		rows[i] = row{e.ID, e.AssetID, e.PartnerID, e.OrgID, e.SiteID, string(e.Kind), e.IP, e.JobID, e.Detail, e.At}
	}
	raw, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("encode asset events: %w", err)
	}
	_, err = st.q.Exec(ctx, `INSERT INTO discovery_asset_events (`+assetEventCols+`)
		SELECT x.id, x.asset_id, x.partner_id, x.org_id, x.site_id, x.kind, x.ip, x.job_id, x.detail, x.at
		FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, asset_id uuid, partner_id uuid, org_id uuid, site_id uuid,
			kind text, ip text, job_id text, detail text, at timestamptz)`, string(raw))
	return translate("append asset events", err)
}

func (st assetStore) ListEvents(ctx context.Context, assetID string, page domain.PageRequest) (domain.Page[*domain.AssetEvent], error) {
	ctx = system(ctx)
	if !domain.ValidID(assetID) {
		return domain.Page[*domain.AssetEvent]{Items: []*domain.AssetEvent{}}, nil
	}
	var a args
	where := []string{"asset_id = " + a.add(assetID) + "::uuid"}
	tail, page, err := pageQueryDesc(page, &a, where)
	if err != nil {
		return domain.Page[*domain.AssetEvent]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+assetEventCols+" FROM discovery_asset_events"+tail, a, scanAssetEvent)
	if err != nil {
		return domain.Page[*domain.AssetEvent]{}, translate("list asset events", err)
	}
	return finishPage(items, page.Limit, func(e *domain.AssetEvent) string { return e.ID }), nil
}

func (st assetStore) DeviceAddresses(ctx context.Context, orgID string) ([]ports.DeviceAddress, error) {
	ctx = oneOrg(ctx, orgID)
	if !domain.ValidID(orgID) {
		return nil, nil
	}
	return queryAll(ctx, st.q, `SELECT d.id, d.site_id, coalesce(i->>'mac', ''), coalesce(addr, '')
		FROM devices d
		JOIN device_inventory v ON v.device_id = d.id
		CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(v.document::jsonb -> 'interfaces') = 'array'
			THEN v.document::jsonb -> 'interfaces' ELSE '[]'::jsonb END) AS i
		LEFT JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(i -> 'addresses') = 'array'
			THEN i -> 'addresses' ELSE '[]'::jsonb END) AS addr ON TRUE
		WHERE d.org_id = $1 AND d.status <> 'decommissioned'`, args{orgID},
		func(row pgx.Row) (ports.DeviceAddress, error) {
			var d ports.DeviceAddress
			err := row.Scan(&d.DeviceID, &d.SiteID, &d.MAC, &d.Address)
			return d, err
		})
}
