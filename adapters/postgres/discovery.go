package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// DiscoveryProfiles keeps discovery profiles (see ports.DiscoveryProfileStore).
func (s *Store) DiscoveryProfiles() ports.DiscoveryProfileStore { return profileStore{q: s.q} }

// DiscoverySettings keeps per-org discovery settings.
func (s *Store) DiscoverySettings() ports.DiscoverySettingsStore {
	return discoverySettingsStore{q: s.q}
}

type profileStore struct{ q querier }

var _ ports.DiscoveryProfileStore = profileStore{}

const profileCols = "id, partner_id, org_id, site_id, name, targets::text, exclusions::text, methods::text, ports::text," +
	" rate_per_second, concurrency, timeout_seconds, scanner_device_ids::text, split, coalesce(snmp::text, ''), addresses," +
	" created_by, version, created_at, updated_at"

func scanProfile(row pgx.Row) (*domain.DiscoveryProfile, error) {
	var p domain.DiscoveryProfile
	var targets, excl, methods, ports, scanners, snmp string
	if err := row.Scan(&p.ID, &p.PartnerID, &p.OrgID, &p.SiteID, &p.Name, &targets, &excl, &methods, &ports,
		&p.RatePerSecond, &p.Concurrency, &p.TimeoutSeconds, &scanners, &p.Split, &snmp, &p.Addresses,
		&p.CreatedBy, &p.Version, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		raw string
		dst any
	}{{targets, &p.Targets}, {excl, &p.Exclusions}, {methods, &p.Methods}, {ports, &p.Ports}, {scanners, &p.ScannerDeviceIDs}} {
		if err := json.Unmarshal([]byte(f.raw), f.dst); err != nil {
			return nil, fmt.Errorf("decode discovery profile: %w", err)
		}
	}
	if snmp != "" {
		p.SNMP = &domain.SNMPSettings{}
		if err := json.Unmarshal([]byte(snmp), p.SNMP); err != nil {
			return nil, fmt.Errorf("decode discovery profile snmp: %w", err)
		}
	}
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return &p, nil
}

// checkProfile validates the shape the schema needs; the app checks the rest.
func checkProfile(p *domain.DiscoveryProfile) error {
	if err := domain.ValidateName("discovery profile", p.Name); err != nil {
		return err
	}
	if p.RatePerSecond <= 0 || p.Concurrency <= 0 || p.TimeoutSeconds <= 0 || len(p.Targets) > 1000 ||
		len(p.Exclusions) > 1000 || len(p.Ports) > 65535 || len(p.ScannerDeviceIDs) > 1000 {
		return domain.Invalidf("discovery profile limits or lists out of bounds")
	}
	for _, id := range p.ScannerDeviceIDs {
		if !domain.ValidID(id) {
			return notFound("device")
		}
	}
	texts := append([]string{p.Name, p.CreatedBy}, p.Targets...)
	texts = append(texts, p.Exclusions...)
	if p.SNMP != nil {
		texts = append(texts, p.SNMP.Version, p.SNMP.Community, p.SNMP.User, p.SNMP.AuthProto, p.SNMP.AuthPass,
			p.SNMP.PrivProto, p.SNMP.PrivPass)
	}
	for _, v := range texts {
		if !storable(v) {
			return domain.Invalidf("discovery profile text must be valid UTF-8 without NUL bytes")
		}
	}
	return nil
}

func snmpJSON(s *domain.SNMPSettings) any {
	if s == nil {
		return nil
	}
	b, _ := json.Marshal(s)
	return string(b)
}

func translateProfile(op string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.ConstraintName == "discovery_profiles_name_key" {
		return &dbError{domain: domain.Conflictf("a discovery profile with that name already exists in the site"), cause: err}
	}
	return translate(op, err)
}

func (st profileStore) Create(ctx context.Context, s domain.Scope, p *domain.DiscoveryProfile) error {
	ctx = tenant(ctx, s)
	if p == nil {
		return domain.Invalidf("discovery profile is required")
	}
	if err := checkProfile(p); err != nil {
		return err
	}
	if !domain.ValidID(p.SiteID) {
		return notFound("site")
	}
	id, err := newID(p.ID)
	if err != nil {
		return err
	}
	t := now()
	a := args{id, p.SiteID, p.Name, encodeList(p.Targets), encodeList(p.Exclusions), encodeList(p.Methods), encodeList(p.Ports),
		p.RatePerSecond, p.Concurrency, p.TimeoutSeconds, encodeList(p.ScannerDeviceIDs), p.Split, snmpJSON(p.SNMP),
		p.Addresses, p.CreatedBy, t}
	out, err := scanProfile(st.q.QueryRow(ctx, `INSERT INTO discovery_profiles (id, partner_id, org_id, site_id, name, targets,
			exclusions, methods, ports, rate_per_second, concurrency, timeout_seconds, scanner_device_ids, split, snmp, addresses,
			created_by, version, created_at, updated_at)
		SELECT $1, si.partner_id, si.org_id, si.id, $3, $4::jsonb, $5::jsonb, $6::jsonb, $7::jsonb, $8, $9, $10, $11::jsonb,
			$12, $13::jsonb, $14, $15, 1, $16, $16
		FROM sites si WHERE si.id = $2 AND `+siteScope.where(s, &a, "si.")+" RETURNING "+profileCols, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound("site")
	}
	if err != nil {
		return translateProfile("create discovery profile", err)
	}
	*p = *out
	return nil
}

func (st profileStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.DiscoveryProfile, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(id) {
		return nil, notFound("discovery profile")
	}
	a := args{id}
	p, err := scanProfile(st.q.QueryRow(ctx, "SELECT "+profileCols+" FROM discovery_profiles WHERE id = $1 AND "+
		tenantScope.where(s, &a, ""), a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("discovery profile")
	}
	if err != nil {
		return nil, translate("get discovery profile", err)
	}
	return p, nil
}

func (st profileStore) List(ctx context.Context, s domain.Scope, f ports.DiscoveryProfileFilter, page domain.PageRequest) (domain.Page[*domain.DiscoveryProfile], error) {
	ctx = tenant(ctx, s)
	var a args
	where := []string{tenantScope.where(s, &a, "")}
	where = filterID(where, &a, "org_id", f.OrgID)
	where = filterID(where, &a, "site_id", f.SiteID)
	tail, page, err := pageQuery(page, &a, where)
	if err != nil {
		return domain.Page[*domain.DiscoveryProfile]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+profileCols+" FROM discovery_profiles"+tail, a, scanProfile)
	if err != nil {
		return domain.Page[*domain.DiscoveryProfile]{}, translate("list discovery profiles", err)
	}
	return finishPage(items, page.Limit, func(p *domain.DiscoveryProfile) string { return p.ID }), nil
}

func (st profileStore) ScannedBy(ctx context.Context, deviceID string) ([]*domain.DiscoveryProfile, error) {
	ctx = system(ctx)
	if !domain.ValidID(deviceID) {
		return nil, nil
	}
	out, err := queryAll(ctx, st.q, "SELECT "+profileCols+" FROM discovery_profiles"+
		" WHERE site_id = (SELECT site_id FROM devices WHERE id = $1::uuid)"+
		" AND scanner_device_ids @> jsonb_build_array($2::text) ORDER BY id", args{deviceID, deviceID}, scanProfile)
	if err != nil {
		return nil, translate("list a device's discovery profiles", err)
	}
	return out, nil
}

func (st profileStore) Update(ctx context.Context, s domain.Scope, p *domain.DiscoveryProfile) (*domain.DiscoveryProfile, error) {
	ctx = tenant(ctx, s)
	if p == nil {
		return nil, domain.Invalidf("discovery profile is required")
	}
	if err := checkProfile(p); err != nil {
		return nil, err
	}
	if !domain.ValidID(p.ID) {
		return nil, notFound("discovery profile")
	}
	a := args{p.Name, encodeList(p.Targets), encodeList(p.Exclusions), encodeList(p.Methods), encodeList(p.Ports),
		p.RatePerSecond, p.Concurrency, p.TimeoutSeconds, encodeList(p.ScannerDeviceIDs), p.Split, snmpJSON(p.SNMP),
		p.Addresses, now(), p.ID, p.Version}
	out, err := scanProfile(st.q.QueryRow(ctx, `UPDATE discovery_profiles SET name = $1, targets = $2::jsonb,
			exclusions = $3::jsonb, methods = $4::jsonb, ports = $5::jsonb, rate_per_second = $6, concurrency = $7,
			timeout_seconds = $8, scanner_device_ids = $9::jsonb, split = $10, snmp = $11::jsonb, addresses = $12,
			version = version + 1, updated_at = $13
		WHERE id = $14 AND version = $15 AND `+tenantScope.where(s, &a, "")+" RETURNING "+profileCols, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, missedUpdate(ctx, st.q, "discovery_profiles", tenantScope, s, p.ID, p.Version, "discovery profile")
	}
	if err != nil {
		return nil, translateProfile("update discovery profile", err)
	}
	return out, nil
}

func (st profileStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	ctx = tenant(ctx, s)
	return deleteRow(ctx, st.q, "discovery_profiles", tenantScope, s, id, "discovery profile")
}

type discoverySettingsStore struct{ q querier }

var _ ports.DiscoverySettingsStore = discoverySettingsStore{}

func (st discoverySettingsStore) Get(ctx context.Context, s domain.Scope, orgID string) (*domain.DiscoverySettings, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(orgID) {
		return nil, notFound("organization")
	}
	a := args{orgID}
	var out domain.DiscoverySettings
	var ranges *string
	var ver *int64
	var at *time.Time
	err := st.q.QueryRow(ctx, `SELECT o.id, o.partner_id, ds.allowed_ranges::text, ds.version, ds.updated_at
		FROM organizations o LEFT JOIN discovery_settings ds ON ds.org_id = o.id
		WHERE o.id = $1 AND `+orgRead.where(s, &a, "o."), a...).Scan(&out.OrgID, &out.PartnerID, &ranges, &ver, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("organization")
	}
	if err != nil {
		return nil, translate("get discovery settings", err)
	}
	out.AllowedRanges = []string{}
	if ranges != nil {
		if err := json.Unmarshal([]byte(*ranges), &out.AllowedRanges); err != nil {
			return nil, fmt.Errorf("decode discovery settings: %w", err)
		}
		out.Version, out.UpdatedAt = *ver, at.UTC()
	}
	return &out, nil
}

func (st discoverySettingsStore) Put(ctx context.Context, s domain.Scope, in *domain.DiscoverySettings) (*domain.DiscoverySettings, error) {
	ctx = tenant(ctx, s)
	if in == nil {
		return nil, domain.Invalidf("discovery settings are required")
	}
	if !domain.ValidID(in.OrgID) {
		return nil, notFound("organization")
	}
	if len(in.AllowedRanges) > 1000 {
		return nil, domain.Invalidf("at most 1000 allowed ranges")
	}
	for _, r := range in.AllowedRanges {
		if !storable(r) {
			return nil, domain.Invalidf("allowed ranges must be valid UTF-8 without NUL bytes")
		}
	}
	err := atomically(ctx, st.q, func(q querier) error {
		a := args{in.OrgID}
		var partnerID string
		var stored *int64
		err := q.QueryRow(ctx, `SELECT o.partner_id, (SELECT version FROM discovery_settings WHERE org_id = o.id FOR UPDATE)
			FROM organizations o WHERE o.id = $1 AND `+orgWrite.where(s, &a, "o."), a...).Scan(&partnerID, &stored)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("organization")
		}
		if err != nil {
			return translate("put discovery settings", err)
		}
		have := int64(0)
		if stored != nil {
			have = *stored
		}
		if have != in.Version {
			return staleVersion("discovery settings", in.Version, have)
		}
		// The first save inserts (a concurrent first save loses the race
		// and conflicts); later ones update at the version read.
		var tag pgconn.CommandTag
		if have == 0 {
			tag, err = q.Exec(ctx, `INSERT INTO discovery_settings (org_id, partner_id, allowed_ranges, version, updated_at)
				VALUES ($1, $2, $3::jsonb, 1, $4) ON CONFLICT (org_id) DO NOTHING`,
				in.OrgID, partnerID, encodeList(in.AllowedRanges), now())
		} else {
			tag, err = q.Exec(ctx, `UPDATE discovery_settings SET allowed_ranges = $2::jsonb, version = version + 1,
				updated_at = $3 WHERE org_id = $1 AND version = $4`, in.OrgID, encodeList(in.AllowedRanges), now(), have)
		}
		if err != nil {
			return translate("put discovery settings", err)
		}
		if tag.RowsAffected() != 1 {
			return domain.Conflictf("discovery settings were changed by someone else: reload and retry")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return st.Get(ctx, domain.GlobalScope(), in.OrgID)
}
