package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// DiscoveryProfiles keeps discovery profiles (see ports.DiscoveryProfileStore).
func (s *Store) DiscoveryProfiles() ports.DiscoveryProfileStore { return profileStore{s} }

// DiscoverySettings keeps per-org discovery settings.
func (s *Store) DiscoverySettings() ports.DiscoverySettingsStore { return discoverySettingsStore{s} }

type profileStore struct{ s *Store }

var _ ports.DiscoveryProfileStore = profileStore{}

const profileCols = "id, partner_id, org_id, site_id, name, targets, exclusions, methods, ports, rate_per_second," +
	" concurrency, timeout_seconds, scanner_device_ids, split, snmp, addresses, created_by, version, created_at, updated_at"

const profileDup = "a discovery profile with that name already exists in the site"

// Profiles are scoped like devices: by partner, org or site.
var profilesTable = &table[*domain.DiscoveryProfile]{
	name:   "discovery_profiles",
	what:   "discovery profile",
	cols:   profileCols,
	read:   tenantScope,
	write:  tenantScope,
	scan:   scanProfile,
	idOf:   func(p *domain.DiscoveryProfile) string { return p.ID },
	failOn: failure{unique: profileDup},
}

func scanProfile(r rowScanner) (*domain.DiscoveryProfile, error) {
	var p domain.DiscoveryProfile
	var targets, excl, methods, ports, scanners string
	var snmp sql.NullString
	var split int
	var created, updated int64
	if err := r.Scan(&p.ID, &p.PartnerID, &p.OrgID, &p.SiteID, &p.Name, &targets, &excl, &methods, &ports,
		&p.RatePerSecond, &p.Concurrency, &p.TimeoutSeconds, &scanners, &split, &snmp, &p.Addresses,
		&p.CreatedBy, &p.Version, &created, &updated); err != nil {
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
	if snmp.Valid {
		p.SNMP = &domain.SNMPSettings{}
		if err := json.Unmarshal([]byte(snmp.String), p.SNMP); err != nil {
			return nil, fmt.Errorf("decode discovery profile snmp: %w", err)
		}
	}
	p.Split = split == 1
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
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
		if !textOK(v) {
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

func (ps profileStore) Create(ctx context.Context, s domain.Scope, p *domain.DiscoveryProfile) error {
	if p == nil {
		return domain.Invalidf("discovery profile is required")
	}
	if err := checkProfile(p); err != nil {
		return err
	}
	if !domain.ValidID(p.SiteID) {
		return notFound("site")
	}
	id, err := newID("discovery profile", p.ID)
	if err != nil {
		return err
	}
	t := micros(now())
	var out *domain.DiscoveryProfile
	err = ps.s.write(ctx, func(q queryer) error {
		args := []any{p.SiteID}
		where := siteScope.where(s, "", &args)
		var partnerID, orgID string
		err := q.QueryRowContext(ctx, "SELECT partner_id, org_id FROM sites WHERE id = ? AND "+where, args...).
			Scan(&partnerID, &orgID)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("site")
		}
		if err != nil {
			return failure{op: "create discovery profile"}.wrap(err)
		}
		out, err = scanProfile(q.QueryRowContext(ctx, "INSERT INTO discovery_profiles ("+profileCols+")"+
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) RETURNING "+profileCols,
			id, partnerID, orgID, p.SiteID, p.Name, encodeList(p.Targets), encodeList(p.Exclusions), encodeList(p.Methods),
			encodeList(p.Ports), p.RatePerSecond, p.Concurrency, p.TimeoutSeconds, encodeList(p.ScannerDeviceIDs),
			boolInt(p.Split), snmpJSON(p.SNMP), p.Addresses, p.CreatedBy, t, t))
		return failure{op: "create discovery profile", unique: profileDup, dup: "discovery profile id already exists",
			missing: "site not found"}.wrap(err)
	})
	if err != nil {
		return err
	}
	*p = *out
	return nil
}

func (ps profileStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.DiscoveryProfile, error) {
	return profilesTable.get(ctx, ps.s.read(ctx), s, id)
}

func (ps profileStore) List(ctx context.Context, s domain.Scope, f ports.DiscoveryProfileFilter, page domain.PageRequest) (domain.Page[*domain.DiscoveryProfile], error) {
	var flt filter
	if f.OrgID != "" {
		flt.tenant("org_id", f.OrgID)
	}
	if f.SiteID != "" {
		flt.tenant("site_id", f.SiteID)
	}
	return profilesTable.list(ctx, ps.s.read(ctx), s, flt, page)
}

func (ps profileStore) ScannedBy(ctx context.Context, deviceID string) ([]*domain.DiscoveryProfile, error) {
	if !domain.ValidID(deviceID) {
		return nil, nil
	}
	return queryList(ctx, ps.s.read(ctx), "SELECT "+profileCols+" FROM discovery_profiles"+
		" WHERE site_id = (SELECT site_id FROM devices WHERE id = ?)"+
		" AND EXISTS (SELECT 1 FROM json_each(scanner_device_ids) WHERE value = ?) ORDER BY id",
		[]any{deviceID, deviceID}, scanProfile)
}

func (ps profileStore) Update(ctx context.Context, s domain.Scope, p *domain.DiscoveryProfile) (*domain.DiscoveryProfile, error) {
	if p == nil {
		return nil, domain.Invalidf("discovery profile is required")
	}
	if err := checkProfile(p); err != nil {
		return nil, err
	}
	var out *domain.DiscoveryProfile
	err := ps.s.write(ctx, func(q queryer) (err error) {
		out, err = profilesTable.update(ctx, q, s, p.ID, p.Version,
			"name = ?, targets = ?, exclusions = ?, methods = ?, ports = ?, rate_per_second = ?, concurrency = ?,"+
				" timeout_seconds = ?, scanner_device_ids = ?, split = ?, snmp = ?, addresses = ?",
			p.Name, encodeList(p.Targets), encodeList(p.Exclusions), encodeList(p.Methods), encodeList(p.Ports),
			p.RatePerSecond, p.Concurrency, p.TimeoutSeconds, encodeList(p.ScannerDeviceIDs), boolInt(p.Split),
			snmpJSON(p.SNMP), p.Addresses)
		return err
	})
	return out, err
}

func (ps profileStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	return ps.s.write(ctx, func(q queryer) error { return profilesTable.delete(ctx, q, s, id) })
}

type discoverySettingsStore struct{ s *Store }

var _ ports.DiscoverySettingsStore = discoverySettingsStore{}

func (ds discoverySettingsStore) get(ctx context.Context, q queryer, s domain.Scope, orgID string) (*domain.DiscoverySettings, error) {
	if !domain.ValidID(orgID) {
		return nil, notFound("organization")
	}
	args := []any{orgID}
	where := orgReadScope.where(s, "o.", &args)
	var out domain.DiscoverySettings
	var ranges sql.NullString
	var ver, at sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT o.id, o.partner_id, ds.allowed_ranges, ds.version, ds.updated_at
		FROM organizations o LEFT JOIN discovery_settings ds ON ds.org_id = o.id
		WHERE o.id = ? AND `+where, args...).Scan(&out.OrgID, &out.PartnerID, &ranges, &ver, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("organization")
	}
	if err != nil {
		return nil, failure{op: "get discovery settings"}.wrap(err)
	}
	out.AllowedRanges = []string{}
	if ranges.Valid {
		if err := json.Unmarshal([]byte(ranges.String), &out.AllowedRanges); err != nil {
			return nil, fmt.Errorf("decode discovery settings: %w", err)
		}
		out.Version, out.UpdatedAt = ver.Int64, fromMicros(at.Int64)
	}
	return &out, nil
}

func (ds discoverySettingsStore) Get(ctx context.Context, s domain.Scope, orgID string) (*domain.DiscoverySettings, error) {
	return ds.get(ctx, ds.s.read(ctx), s, orgID)
}

func (ds discoverySettingsStore) Put(ctx context.Context, s domain.Scope, in *domain.DiscoverySettings) (*domain.DiscoverySettings, error) {
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
		if !textOK(r) {
			return nil, domain.Invalidf("allowed ranges must be valid UTF-8 without NUL bytes")
		}
	}
	var out *domain.DiscoverySettings
	err := ds.s.write(ctx, func(q queryer) error {
		args := []any{in.OrgID}
		where := orgWriteScope.where(s, "o.", &args)
		var partnerID string
		var stored sql.NullInt64
		err := q.QueryRowContext(ctx, `SELECT o.partner_id, (SELECT version FROM discovery_settings WHERE org_id = o.id)
			FROM organizations o WHERE o.id = ? AND `+where, args...).Scan(&partnerID, &stored)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("organization")
		}
		if err != nil {
			return failure{op: "put discovery settings"}.wrap(err)
		}
		if stored.Int64 != in.Version {
			return domain.Conflictf("discovery settings were changed by someone else (version %d, now %d): reload and retry",
				in.Version, stored.Int64)
		}
		_, err = q.ExecContext(ctx, `INSERT INTO discovery_settings (org_id, partner_id, allowed_ranges, version, updated_at)
			VALUES (?, ?, ?, 1, ?)
			ON CONFLICT (org_id) DO UPDATE SET allowed_ranges = excluded.allowed_ranges,
				version = discovery_settings.version + 1, updated_at = excluded.updated_at`,
			in.OrgID, partnerID, encodeList(in.AllowedRanges), micros(now()))
		if err != nil {
			return failure{op: "put discovery settings"}.wrap(err)
		}
		out, err = ds.get(ctx, q, domain.GlobalScope(), in.OrgID)
		return err
	})
	return out, err
}
