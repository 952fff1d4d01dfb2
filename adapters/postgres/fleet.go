package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Fleet answers the fleet summary (see ports.FleetStore).
func (s *Store) Fleet() ports.FleetStore { return fleetStore{q: s.q} }

type fleetStore struct{ q querier }

var _ ports.FleetStore = fleetStore{}

// maxFleetRows bounds a top-N list whatever limit the caller asks for.
const maxFleetRows = 100

func fleetLimit(n int) int {
	if n <= 0 {
		return 10
	}
	return min(n, maxFleetRows)
}

// unresolvedAlert is written exactly as the partial indexes' predicate, so the
// planner can read the few unresolved alerts through one of them instead
// of the whole history.
const unresolvedAlert = "a.state <> 'resolved'"

// severityRank orders severities in SQL as domain.SeverityRank does.
const severityRank = "CASE a.severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END"

// fleetWhere adds the org and site filters on the columns of prefix.
func fleetWhere(where []string, a *args, prefix string, f ports.FleetFilter) []string {
	where = filterID(where, a, prefix+"org_id", f.OrgID)
	return filterID(where, a, prefix+"site_id", f.SiteID)
}

// deviceCountCols counts every status in one pass: no GROUP BY, so no sort
// or hash of the fleet's rows.
const deviceCountCols = "count(*) FILTER (WHERE status = 'online'), count(*) FILTER (WHERE status = 'offline')," +
	" count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'decommissioned')"

func (st fleetStore) DeviceCounts(ctx context.Context, s domain.Scope, f ports.FleetFilter) (domain.DeviceCounts, error) {
	ctx = tenant(ctx, s)
	var a args
	where := fleetWhere([]string{tenantScope.where(s, &a, "")}, &a, "", f)
	var c domain.DeviceCounts
	err := st.q.QueryRow(ctx, "SELECT "+deviceCountCols+" FROM devices WHERE "+joinAnd(where), a...).
		Scan(&c.Online, &c.Offline, &c.Pending, &c.Decommissioned)
	if err != nil {
		return domain.DeviceCounts{}, translate("count devices", err)
	}
	return c, nil
}

type keyCount struct {
	key string
	n   int
}

func (st fleetStore) AlertCounts(ctx context.Context, s domain.Scope, f ports.FleetFilter) (domain.SeverityCounts, error) {
	ctx = tenant(ctx, s)
	var a args
	where := fleetWhere([]string{unresolvedAlert, tenantScope.where(s, &a, "a.")}, &a, "a.", f)
	var c domain.SeverityCounts
	rows, err := queryAll(ctx, st.q, "SELECT a.severity, count(*) FROM alerts a WHERE "+joinAnd(where)+" GROUP BY a.severity", a,
		func(row pgx.Row) (keyCount, error) {
			var sc keyCount
			return sc, row.Scan(&sc.key, &sc.n)
		})
	if err != nil {
		return c, translate("count alerts", err)
	}
	for _, r := range rows {
		switch domain.Severity(r.key) {
		case domain.SeverityInfo:
			c.Info = r.n
		case domain.SeverityWarning:
			c.Warning = r.n
		case domain.SeverityCritical:
			c.Critical = r.n
		}
	}
	return c, nil
}

func (st fleetStore) NeedingAttention(ctx context.Context, as, ds domain.Scope, f ports.FleetFilter, limit int) ([]domain.AttentionDevice, error) {
	ctx = tenant(ctx, ds)
	var a args
	where := fleetWhere([]string{unresolvedAlert, tenantScope.where(as, &a, "a."), tenantScope.where(ds, &a, "d.")}, &a, "a.", f)
	// Rank the devices on the grouped alerts, keep the top N, then name them.
	q := `WITH worst AS (
		SELECT a.device_id, d.hostname, max(` + severityRank + `) AS rank, count(*) AS n, max(a.opened_at) AS latest
		FROM alerts a JOIN devices d ON d.id = a.device_id
		WHERE ` + joinAnd(where) + `
		GROUP BY a.device_id, d.hostname
		ORDER BY rank DESC, n DESC, d.hostname, a.device_id
		LIMIT ` + a.add(fleetLimit(limit)) + `)
	SELECT w.device_id, w.hostname, d.status, d.partner_id, d.org_id, o.name, d.site_id, s.name, w.rank, w.n, w.latest
	FROM worst w JOIN devices d ON d.id = w.device_id
		JOIN organizations o ON o.id = d.org_id JOIN sites s ON s.id = d.site_id
	ORDER BY w.rank DESC, w.n DESC, w.hostname, w.device_id`
	out, err := queryAll(ctx, st.q, q, a, func(row pgx.Row) (domain.AttentionDevice, error) {
		var v domain.AttentionDevice
		var rank int
		var latest time.Time
		err := row.Scan(&v.DeviceID, &v.Hostname, &v.Status, &v.PartnerID, &v.OrgID, &v.OrgName, &v.SiteID, &v.SiteName,
			&rank, &v.Alerts, &latest)
		v.Worst, v.LatestAt = domain.SeverityOfRank(rank), latest.UTC()
		return v, err
	})
	if err != nil {
		return nil, translate("list devices needing attention", err)
	}
	if out == nil {
		out = []domain.AttentionDevice{}
	}
	return out, nil
}

func (st fleetStore) RecentActivity(ctx context.Context, as, ds domain.Scope, f ports.FleetFilter, limit int) ([]domain.AlertActivity, error) {
	ctx = tenant(ctx, ds)
	var a args
	where := fleetWhere([]string{tenantScope.where(as, &a, "a."), tenantScope.where(ds, &a, "d.")}, &a, "a.", f)
	q := `SELECT t.alert_id, a.device_id, d.hostname, a.org_id, a.severity, a.kind, a.message, t.from_state, t.to_state,
			t.actor, t.at
		FROM alert_transitions t JOIN alerts a ON a.id = t.alert_id JOIN devices d ON d.id = a.device_id
		WHERE ` + joinAnd(where) + `
		ORDER BY t.id DESC LIMIT ` + a.add(fleetLimit(limit))
	out, err := queryAll(ctx, st.q, q, a, func(row pgx.Row) (domain.AlertActivity, error) {
		var v domain.AlertActivity
		err := row.Scan(&v.AlertID, &v.DeviceID, &v.Hostname, &v.OrgID, &v.Severity, &v.Kind, &v.Message, &v.From, &v.To,
			&v.Actor, &v.At)
		v.At = v.At.UTC()
		return v, err
	})
	if err != nil {
		return nil, translate("list recent alert activity", err)
	}
	if out == nil {
		out = []domain.AlertActivity{}
	}
	return out, nil
}
