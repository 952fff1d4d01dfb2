package postgres

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// DiscoveryScans keeps discovery scan jobs (see ports.DiscoveryScanStore).
func (s *Store) DiscoveryScans() ports.DiscoveryScanStore { return scanStore{q: s.q} }

type scanStore struct{ q querier }

var _ ports.DiscoveryScanStore = scanStore{}

const scanCols = "id, partner_id, org_id, site_id, profile_id, status, phase, partial, addresses, scanned, assets_found," +
	" error, requested_by, created_at, started_at, finished_at, deadline, plan::text"

func scanScanJob(row pgx.Row) (*domain.ScanJob, error) {
	var j domain.ScanJob
	var started, finished *time.Time
	var plan string
	var scanned int64
	if err := row.Scan(&j.ID, &j.PartnerID, &j.OrgID, &j.SiteID, &j.ProfileID, &j.Status, &j.Phase, &j.Partial,
		&j.Addresses, &scanned, &j.AssetsFound, &j.Error, &j.RequestedBy, &j.CreatedAt, &started, &finished,
		&j.Deadline, &plan); err != nil {
		return nil, err
	}
	j.Scanned = int(scanned)
	j.CreatedAt, j.Deadline = j.CreatedAt.UTC(), j.Deadline.UTC()
	j.StartedAt, j.FinishedAt = utcPtr(started), utcPtr(finished)
	j.Plan = []byte(plan)
	return &j, nil
}

// checkScanJob validates the shape the schema needs; the app checks the rest.
func checkScanJob(j *domain.ScanJob) error {
	if j == nil {
		return domain.Invalidf("scan job is required")
	}
	if !domain.ValidScanStatus(j.Status) || (j.Phase != domain.PhaseSweep && j.Phase != domain.PhaseProbe) {
		return domain.Invalidf("scan job status or phase unknown")
	}
	if j.Addresses < 0 || j.Scanned < 0 || j.AssetsFound < 0 || len(j.Error) > 4000 || len(j.RequestedBy) > maxRefLen ||
		len(j.Plan) > 1<<20 || j.Deadline.IsZero() {
		return domain.Invalidf("scan job counts, error, plan or deadline out of bounds")
	}
	if !domain.ValidID(j.ProfileID) {
		return notFound("discovery profile")
	}
	for _, v := range []string{j.Error, j.RequestedBy, string(j.Plan)} {
		if !storable(v) {
			return domain.Invalidf("scan job text must be valid UTF-8 without NUL bytes")
		}
	}
	return nil
}

func (st scanStore) Create(ctx context.Context, s domain.Scope, j *domain.ScanJob) error {
	ctx = tenant(ctx, s)
	if err := checkScanJob(j); err != nil {
		return err
	}
	if !domain.ValidID(j.SiteID) {
		return notFound("site")
	}
	id, err := newID(j.ID)
	if err != nil {
		return err
	}
	created := stamp(j.CreatedAt)
	if j.CreatedAt.IsZero() {
		created = now()
	}
	plan := string(j.Plan)
	if plan == "" {
		plan = "{}"
	}
	a := args{id, j.SiteID, j.ProfileID, string(j.Status), string(j.Phase), j.Partial, j.Addresses, j.Scanned,
		j.AssetsFound, j.Error, j.RequestedBy, created, optStampPtr(j.StartedAt), optStampPtr(j.FinishedAt),
		stamp(j.Deadline), plan}
	out, err := scanScanJob(st.q.QueryRow(ctx, `INSERT INTO discovery_scans (id, partner_id, org_id, site_id, profile_id,
			status, phase, partial, addresses, scanned, assets_found, error, requested_by, created_at, started_at,
			finished_at, deadline, plan)
		SELECT $1, si.partner_id, si.org_id, si.id, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::jsonb
		FROM sites si WHERE si.id = $2 AND `+siteScope.where(s, &a, "si.")+" RETURNING "+scanCols, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound("site")
	}
	if err != nil {
		return translateJSON("create scan job", err)
	}
	*j = *out
	return nil
}

func (st scanStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.ScanJob, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(id) {
		return nil, notFound("scan")
	}
	a := args{id}
	j, err := scanScanJob(st.q.QueryRow(ctx, "SELECT "+scanCols+" FROM discovery_scans WHERE id = $1 AND "+
		tenantScope.where(s, &a, ""), a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("scan")
	}
	if err != nil {
		return nil, translate("get scan job", err)
	}
	if j.Commands, err = st.commands(ctx, j.ID); err != nil {
		return nil, err
	}
	return j, nil
}

func (st scanStore) GetSystem(ctx context.Context, id string) (*domain.ScanJob, error) {
	ctx = system(ctx)
	return st.Get(ctx, domain.GlobalScope(), id)
}

const scanCommandCols = "sc.job_id, sc.command_id, sc.device_id, sc.phase, sc.plugin, coalesce(c.status, ''), sc.pages," +
	" sc.last_seq, sc.assets, sc.scanned"

func scanScanCommand(row pgx.Row) (domain.ScanCommand, error) {
	var c domain.ScanCommand
	var scanned int64
	err := row.Scan(&c.JobID, &c.CommandID, &c.DeviceID, &c.Phase, &c.Plugin, &c.Status, &c.Pages, &c.LastSeq, &c.Assets, &scanned)
	c.Scanned = int(scanned)
	return c, err
}

// commands reads a job's commands with their commands' statuses.
func (st scanStore) commands(ctx context.Context, jobID string) ([]domain.ScanCommand, error) {
	out, err := queryAll(ctx, st.q, "SELECT "+scanCommandCols+" FROM discovery_scan_commands sc"+
		" LEFT JOIN commands c ON c.id = sc.command_id WHERE sc.job_id = $1 ORDER BY sc.phase DESC, sc.command_id",
		args{jobID}, scanScanCommand)
	if err != nil {
		return nil, translate("list scan commands", err)
	}
	if out == nil {
		out = []domain.ScanCommand{}
	}
	return out, nil
}

func (st scanStore) List(ctx context.Context, s domain.Scope, f ports.ScanFilter, page domain.PageRequest) (domain.Page[*domain.ScanJob], error) {
	ctx = tenant(ctx, s)
	var a args
	where := []string{tenantScope.where(s, &a, "")}
	for col, v := range map[string]string{"org_id": f.OrgID, "site_id": f.SiteID, "profile_id": f.ProfileID} {
		if v == "" {
			continue
		}
		if !domain.ValidID(v) {
			return domain.Page[*domain.ScanJob]{Items: []*domain.ScanJob{}}, nil
		}
		where = append(where, col+" = "+a.add(v)+"::uuid")
	}
	if f.Status != "" {
		where = append(where, "status = "+a.add(string(f.Status)))
	}
	tail, page, err := pageQueryDesc(page, &a, where)
	if err != nil {
		return domain.Page[*domain.ScanJob]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+scanCols+" FROM discovery_scans"+tail, a, scanScanJob)
	if err != nil {
		return domain.Page[*domain.ScanJob]{}, translate("list scan jobs", err)
	}
	return finishPage(items, page.Limit, func(j *domain.ScanJob) string { return j.ID }), nil
}

func (st scanStore) Transition(ctx context.Context, id string, from []domain.ScanStatus, u domain.ScanJobUpdate) (*domain.ScanJob, error) {
	ctx = system(ctx)
	if !domain.ValidID(id) {
		return nil, notFound("scan")
	}
	if len(from) == 0 || (u.Status != "" && !domain.ValidScanStatus(u.Status)) || len(u.Error) > 4000 || !storable(u.Error) {
		return nil, domain.Invalidf("a scan transition needs known statuses and a bounded error")
	}
	statuses := make([]string, len(from))
	for i, s := range from {
		statuses[i] = string(s)
	}
	var a args
	set := "partial = partial OR " + a.add(u.Partial)
	if u.Status != "" {
		set += ", status = " + a.add(string(u.Status))
	}
	if u.Scanned > 0 {
		set += ", scanned = greatest(scanned, " + a.add(int64(u.Scanned)) + "::bigint)"
	}
	if u.Phase != "" {
		set += ", phase = " + a.add(string(u.Phase))
	}
	if u.Error != "" {
		set += ", error = " + a.add(u.Error)
	}
	if u.StartedAt != nil {
		set += ", started_at = " + a.add(stamp(*u.StartedAt))
	}
	if u.FinishedAt != nil {
		set += ", finished_at = " + a.add(stamp(*u.FinishedAt))
	}
	where := "id = " + a.add(id) + "::uuid AND status = ANY(" + a.add(statuses) + "::text[])"
	if u.OnlyInPhase != "" {
		where += " AND phase = " + a.add(string(u.OnlyInPhase))
	}
	out, err := scanScanJob(st.q.QueryRow(ctx, "UPDATE discovery_scans SET "+set+" WHERE "+where+" RETURNING "+scanCols, a...))
	if err == nil {
		return out, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, translate("transition scan job", err)
	}
	cur, gerr := st.GetSystem(ctx, id)
	if gerr != nil {
		return nil, gerr
	}
	return cur, domain.Conflictf("scan is %s (%s), not in %v", cur.Status, cur.Phase, from)
}

func (st scanStore) AddCommand(ctx context.Context, c domain.ScanCommand) error {
	ctx = system(ctx)
	if !domain.ValidID(c.JobID) || !domain.ValidID(c.CommandID) || !domain.ValidID(c.DeviceID) {
		return notFound("scan or command")
	}
	if (c.Phase != domain.PhaseSweep && c.Phase != domain.PhaseProbe) || c.Plugin == "" || len(c.Plugin) > 64 || !storable(c.Plugin) {
		return domain.Invalidf("scan command phase or plugin out of bounds")
	}
	_, err := st.q.Exec(ctx, `INSERT INTO discovery_scan_commands (command_id, job_id, device_id, phase, plugin)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (command_id) DO NOTHING`, c.CommandID, c.JobID, c.DeviceID, string(c.Phase), c.Plugin)
	if err != nil {
		return translate("add scan command", err)
	}
	return nil
}

func (st scanStore) CommandFor(ctx context.Context, deviceID, commandID string) (*domain.ScanCommand, error) {
	ctx = system(ctx)
	if !domain.ValidID(deviceID) || !domain.ValidID(commandID) {
		return nil, notFound("scan command")
	}
	// The command must have been sent to this device (commands.device_id),
	// not only recorded for it.
	c, err := scanScanCommand(st.q.QueryRow(ctx, "SELECT "+scanCommandCols+" FROM discovery_scan_commands sc"+
		" JOIN commands c ON c.id = sc.command_id WHERE sc.command_id = $1 AND sc.device_id = $2 AND c.device_id = $2",
		commandID, deviceID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("scan command")
	}
	if err != nil {
		return nil, translate("find scan command", err)
	}
	return &c, nil
}

// validIPs keeps the well-formed addresses, canonical.
func validIPs(ips []string) []string {
	out := make([]string, 0, len(ips))
	for _, ip := range ips {
		if a, err := netip.ParseAddr(ip); err == nil {
			out = append(out, a.Unmap().String())
		}
	}
	return out
}

func (st scanStore) RecordPage(ctx context.Context, p domain.ScanPage) (domain.ScanPageOutcome, error) {
	ctx = system(ctx)
	var out domain.ScanPageOutcome
	if !domain.ValidID(p.CommandID) {
		return out, notFound("scan command")
	}
	if p.Seq < 1 || p.Assets < 0 || p.Scanned < 0 || len(p.LiveIPs) > 4096 {
		return out, domain.Invalidf("scan page seq, counts or hosts out of bounds")
	}
	err := atomically(ctx, st.q, func(q querier) error {
		var jobID string
		var lastSeq int
		var oldScanned int64
		err := q.QueryRow(ctx, "SELECT job_id, last_seq, scanned FROM discovery_scan_commands WHERE command_id = $1 FOR UPDATE",
			p.CommandID).Scan(&jobID, &lastSeq, &oldScanned)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("scan command")
		}
		if err != nil {
			return translate("read scan command", err)
		}
		if p.Seq <= lastSeq {
			out.Duplicate = true
			return nil
		}
		out.Gap = p.Seq != lastSeq+1
		scanned := max(oldScanned, int64(p.Scanned))
		if _, err := q.Exec(ctx, `UPDATE discovery_scan_commands SET pages = pages + 1, last_seq = $2, assets = assets + $3,
			scanned = $4 WHERE command_id = $1`, p.CommandID, p.Seq, p.Assets, scanned); err != nil {
			return translate("count scan page", err)
		}
		var added int64
		if ips := validIPs(p.LiveIPs); len(ips) > 0 {
			tag, err := q.Exec(ctx, `INSERT INTO discovery_scan_hosts (job_id, ip)
				SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`, jobID, ips)
			if err != nil {
				return translate("record live hosts", err)
			}
			added = tag.RowsAffected()
		}
		grow := int64(0)
		if p.CountScanned {
			grow = scanned - oldScanned
		}
		_, err = q.Exec(ctx, `UPDATE discovery_scans SET assets_found = assets_found + $2,
			scanned = least(scanned + $3, greatest(addresses, scanned)), partial = partial OR $4 WHERE id = $1`,
			jobID, added, grow, out.Gap)
		if err != nil {
			return translate("advance scan job", err)
		}
		return nil
	})
	return out, err
}

func (st scanStore) LiveHosts(ctx context.Context, jobID string, limit int) ([]string, error) {
	ctx = system(ctx)
	if !domain.ValidID(jobID) {
		return nil, notFound("scan")
	}
	if limit <= 0 || limit > ports.MaxScanLiveHosts {
		limit = ports.MaxScanLiveHosts
	}
	out, err := queryAll(ctx, st.q, "SELECT ip FROM discovery_scan_hosts WHERE job_id = $1 ORDER BY ip LIMIT $2",
		args{jobID, limit}, scanString)
	if err != nil {
		return nil, translate("list live hosts", err)
	}
	return out, nil
}
