package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"net/netip"
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// DiscoveryScans keeps discovery scan jobs (see ports.DiscoveryScanStore).
func (s *Store) DiscoveryScans() ports.DiscoveryScanStore { return scanStore{s} }

type scanStore struct{ s *Store }

var _ ports.DiscoveryScanStore = scanStore{}

const scanCols = "id, partner_id, org_id, site_id, profile_id, status, phase, partial, addresses, scanned, assets_found," +
	" error, requested_by, created_at, started_at, finished_at, deadline, plan"

var scansTable = &table[*domain.ScanJob]{
	name:  "discovery_scans",
	what:  "scan",
	cols:  scanCols,
	read:  tenantScope,
	write: tenantScope,
	scan:  scanScanJob,
	idOf:  func(j *domain.ScanJob) string { return j.ID },
}

func scanScanJob(r rowScanner) (*domain.ScanJob, error) {
	var j domain.ScanJob
	var partial int
	var created, deadline int64
	var started, finished sql.NullInt64
	var plan string
	if err := r.Scan(&j.ID, &j.PartnerID, &j.OrgID, &j.SiteID, &j.ProfileID, &j.Status, &j.Phase, &partial, &j.Addresses,
		&j.Scanned, &j.AssetsFound, &j.Error, &j.RequestedBy, &created, &started, &finished, &deadline, &plan); err != nil {
		return nil, err
	}
	j.Partial = partial == 1
	j.CreatedAt, j.Deadline = fromMicros(created), fromMicros(deadline)
	j.StartedAt, j.FinishedAt = microsPtrOf(started), microsPtrOf(finished)
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
	if j.Addresses < 0 || j.Scanned < 0 || j.AssetsFound < 0 || len(j.Error) > 4000 || len(j.RequestedBy) > 200 ||
		len(j.Plan) > 1<<20 || j.Deadline.IsZero() {
		return domain.Invalidf("scan job counts, error, plan or deadline out of bounds")
	}
	if !domain.ValidID(j.ProfileID) {
		return notFound("discovery profile")
	}
	for _, v := range []string{j.Error, j.RequestedBy, string(j.Plan)} {
		if !textOK(v) {
			return domain.Invalidf("scan job text must be valid UTF-8 without NUL bytes")
		}
	}
	return nil
}

func (ss scanStore) Create(ctx context.Context, s domain.Scope, j *domain.ScanJob) error {
	if err := checkScanJob(j); err != nil {
		return err
	}
	if !domain.ValidID(j.SiteID) {
		return notFound("site")
	}
	id, err := newID("scan", j.ID)
	if err != nil {
		return err
	}
	created := now()
	if !j.CreatedAt.IsZero() {
		created = j.CreatedAt.UTC().Truncate(1000)
	}
	plan := string(j.Plan)
	if plan == "" {
		plan = "{}"
	}
	var out *domain.ScanJob
	err = ss.s.write(ctx, func(q queryer) error {
		args := []any{id, j.ProfileID, string(j.Status), string(j.Phase), boolInt(j.Partial), j.Addresses, j.Scanned,
			j.AssetsFound, j.Error, j.RequestedBy, micros(created), nullMicrosPtr(j.StartedAt), nullMicrosPtr(j.FinishedAt),
			micros(j.Deadline), plan, j.SiteID}
		where := siteScope.where(s, "si.", &args)
		var err error
		out, err = scanScanJob(q.QueryRowContext(ctx, "INSERT INTO discovery_scans ("+scanCols+")"+
			" SELECT ?, si.partner_id, si.org_id, si.id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM sites si"+
			" WHERE si.id = ? AND "+where+" RETURNING "+scanCols, args...))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("site")
		}
		return failure{op: "create scan job"}.wrap(err)
	})
	if err != nil {
		return err
	}
	*j = *out
	return nil
}

func (ss scanStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.ScanJob, error) {
	q := ss.s.read(ctx)
	j, err := scansTable.get(ctx, q, s, id)
	if err != nil {
		return nil, err
	}
	if j.Commands, err = ss.commands(ctx, q, j.ID); err != nil {
		return nil, err
	}
	return j, nil
}

func (ss scanStore) GetSystem(ctx context.Context, id string) (*domain.ScanJob, error) {
	return ss.Get(ctx, domain.GlobalScope(), id)
}

const scanCommandCols = "sc.job_id, sc.command_id, sc.device_id, sc.phase, sc.plugin, coalesce(c.status, ''), sc.pages," +
	" sc.last_seq, sc.assets, sc.scanned"

func scanScanCommand(r rowScanner) (domain.ScanCommand, error) {
	var c domain.ScanCommand
	err := r.Scan(&c.JobID, &c.CommandID, &c.DeviceID, &c.Phase, &c.Plugin, &c.Status, &c.Pages, &c.LastSeq, &c.Assets, &c.Scanned)
	return c, err
}

func (ss scanStore) commands(ctx context.Context, q queryer, jobID string) ([]domain.ScanCommand, error) {
	out, err := queryList(ctx, q, "SELECT "+scanCommandCols+" FROM discovery_scan_commands sc"+
		" LEFT JOIN commands c ON c.id = sc.command_id WHERE sc.job_id = ? ORDER BY sc.phase DESC, sc.command_id",
		[]any{jobID}, scanScanCommand)
	if err != nil {
		return nil, failure{op: "list scan commands"}.wrap(err)
	}
	if out == nil {
		out = []domain.ScanCommand{}
	}
	return out, nil
}

func (ss scanStore) List(ctx context.Context, s domain.Scope, f ports.ScanFilter, page domain.PageRequest) (domain.Page[*domain.ScanJob], error) {
	var fl filter
	for _, t := range []struct{ col, v string }{{"org_id", f.OrgID}, {"site_id", f.SiteID}, {"profile_id", f.ProfileID}} {
		if t.v == "" {
			continue
		}
		if !domain.ValidID(t.v) {
			return domain.Page[*domain.ScanJob]{Items: []*domain.ScanJob{}}, nil
		}
		fl.tenant(t.col, t.v)
	}
	if f.Status != "" {
		fl.add("status = ?", string(f.Status))
	}
	return listDesc(ctx, ss.s.read(ctx), scansTable, s, fl, page)
}

func (ss scanStore) Transition(ctx context.Context, id string, from []domain.ScanStatus, u domain.ScanJobUpdate) (*domain.ScanJob, error) {
	if !domain.ValidID(id) {
		return nil, notFound("scan")
	}
	if len(from) == 0 || (u.Status != "" && !domain.ValidScanStatus(u.Status)) || len(u.Error) > 4000 || !textOK(u.Error) {
		return nil, domain.Invalidf("a scan transition needs known statuses and a bounded error")
	}
	set := []string{"partial = max(partial, ?)"}
	args := []any{boolInt(u.Partial)}
	add := func(col string, v any) { set = append(set, col+" = ?"); args = append(args, v) }
	if u.Status != "" {
		add("status", string(u.Status))
	}
	if u.Phase != "" {
		add("phase", string(u.Phase))
	}
	if u.Scanned > 0 {
		set = append(set, "scanned = max(scanned, ?)")
		args = append(args, u.Scanned)
	}
	if u.Error != "" {
		add("error", u.Error)
	}
	if u.StartedAt != nil {
		add("started_at", micros(*u.StartedAt))
	}
	if u.FinishedAt != nil {
		add("finished_at", micros(*u.FinishedAt))
	}
	args = append(args, id)
	where := "id = ? AND status IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(from)), ", ") + ")"
	for _, s := range from {
		args = append(args, string(s))
	}
	if u.OnlyInPhase != "" {
		where += " AND phase = ?"
		args = append(args, string(u.OnlyInPhase))
	}
	var out *domain.ScanJob
	err := ss.s.write(ctx, func(q queryer) error {
		var err error
		out, err = scanScanJob(q.QueryRowContext(ctx, "UPDATE discovery_scans SET "+strings.Join(set, ", ")+
			" WHERE "+where+" RETURNING "+scanCols, args...))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return failure{op: "transition scan job"}.wrap(err)
	})
	if err != nil {
		return nil, err
	}
	if out != nil {
		return out, nil
	}
	cur, err := ss.GetSystem(ctx, id)
	if err != nil {
		return nil, err
	}
	return cur, domain.Conflictf("scan is %s (%s), not in %v", cur.Status, cur.Phase, from)
}

func (ss scanStore) AddCommand(ctx context.Context, c domain.ScanCommand) error {
	if !domain.ValidID(c.JobID) || !domain.ValidID(c.CommandID) || !domain.ValidID(c.DeviceID) {
		return notFound("scan or command")
	}
	if (c.Phase != domain.PhaseSweep && c.Phase != domain.PhaseProbe) || c.Plugin == "" || len(c.Plugin) > 64 || !textOK(c.Plugin) {
		return domain.Invalidf("scan command phase or plugin out of bounds")
	}
	return ss.s.write(ctx, func(q queryer) error {
		_, err := q.ExecContext(ctx, `INSERT INTO discovery_scan_commands (command_id, job_id, device_id, phase, plugin)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (command_id) DO NOTHING`, c.CommandID, c.JobID, c.DeviceID, string(c.Phase), c.Plugin)
		return failure{op: "add scan command", missing: "scan not found"}.wrap(err)
	})
}

func (ss scanStore) CommandFor(ctx context.Context, deviceID, commandID string) (*domain.ScanCommand, error) {
	if !domain.ValidID(deviceID) || !domain.ValidID(commandID) {
		return nil, notFound("scan command")
	}
	c, err := scanScanCommand(ss.s.read(ctx).QueryRowContext(ctx, "SELECT "+scanCommandCols+" FROM discovery_scan_commands sc"+
		" JOIN commands c ON c.id = sc.command_id WHERE sc.command_id = ? AND sc.device_id = ? AND c.device_id = ?",
		commandID, deviceID, deviceID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("scan command")
	}
	if err != nil {
		return nil, failure{op: "find scan command"}.wrap(err)
	}
	return &c, nil
}

func (ss scanStore) RecordPage(ctx context.Context, p domain.ScanPage) (domain.ScanPageOutcome, error) {
	var out domain.ScanPageOutcome
	if !domain.ValidID(p.CommandID) {
		return out, notFound("scan command")
	}
	if p.Seq < 1 || p.Assets < 0 || p.Scanned < 0 || len(p.LiveIPs) > 4096 {
		return out, domain.Invalidf("scan page seq, counts or hosts out of bounds")
	}
	err := ss.s.write(ctx, func(q queryer) error {
		out = domain.ScanPageOutcome{}
		var jobID string
		var lastSeq, oldScanned int
		err := q.QueryRowContext(ctx, "SELECT job_id, last_seq, scanned FROM discovery_scan_commands WHERE command_id = ?",
			p.CommandID).Scan(&jobID, &lastSeq, &oldScanned)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("scan command")
		}
		if err != nil {
			return failure{op: "read scan command"}.wrap(err)
		}
		if p.Seq <= lastSeq {
			out.Duplicate = true
			return nil
		}
		out.Gap = p.Seq != lastSeq+1
		scanned := max(oldScanned, p.Scanned)
		if _, err := q.ExecContext(ctx, `UPDATE discovery_scan_commands SET pages = pages + 1, last_seq = ?, assets = assets + ?,
			scanned = ? WHERE command_id = ?`, p.Seq, p.Assets, scanned, p.CommandID); err != nil {
			return failure{op: "count scan page"}.wrap(err)
		}
		var added int64
		for _, ip := range p.LiveIPs {
			a, err := netip.ParseAddr(ip)
			if err != nil {
				continue
			}
			res, err := q.ExecContext(ctx, "INSERT INTO discovery_scan_hosts (job_id, ip) VALUES (?, ?) ON CONFLICT DO NOTHING",
				jobID, a.Unmap().String())
			if err != nil {
				return failure{op: "record live hosts"}.wrap(err)
			}
			n, _ := res.RowsAffected()
			added += n
		}
		grow := 0
		if p.CountScanned {
			grow = scanned - oldScanned
		}
		_, err = q.ExecContext(ctx, `UPDATE discovery_scans SET assets_found = assets_found + ?,
			scanned = min(scanned + ?, max(addresses, scanned)), partial = max(partial, ?) WHERE id = ?`,
			added, grow, boolInt(out.Gap), jobID)
		return failure{op: "advance scan job"}.wrap(err)
	})
	return out, err
}

func (ss scanStore) LiveHosts(ctx context.Context, jobID string, limit int) ([]string, error) {
	if !domain.ValidID(jobID) {
		return nil, notFound("scan")
	}
	if limit <= 0 || limit > ports.MaxScanLiveHosts {
		limit = ports.MaxScanLiveHosts
	}
	out, err := queryList(ctx, ss.s.read(ctx), "SELECT ip FROM discovery_scan_hosts WHERE job_id = ? ORDER BY ip LIMIT ?",
		[]any{jobID, limit}, func(r rowScanner) (string, error) {
			var s string
			return s, r.Scan(&s)
		})
	if err != nil {
		return nil, failure{op: "list live hosts"}.wrap(err)
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}
