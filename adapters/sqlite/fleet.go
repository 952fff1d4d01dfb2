package sqlite

import (
	"context"
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Fleet answers the fleet summary (see ports.FleetStore).
func (s *Store) Fleet() ports.FleetStore { return fleetStore{s} }

type fleetStore struct{ s *Store }

var _ ports.FleetStore = fleetStore{}

// maxFleetRows bounds a top-N list whatever limit the caller asks for.
const maxFleetRows = 100

func fleetLimit(n int) int {
	if n <= 0 {
		return 10
	}
	return min(n, maxFleetRows)
}

// unresolvedAlert is written exactly as the partial indexes' predicate, so
// the planner may read the few unresolved alerts through one of them.
const unresolvedAlert = "a.state <> 'resolved'"

// severityRank orders severities in SQL as domain.SeverityRank does.
const severityRank = "CASE a.severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END"

// scopedOn is a scope applied to the columns of one table alias.
type scopedOn struct {
	prefix string
	s      domain.Scope
}

// fleetConds is the WHERE of a summary query: conds, then each scope, then
// the org and site filters on the columns of prefix. Placeholders are
// positional, so args follow the text's order.
func fleetConds(conds []string, f ports.FleetFilter, prefix string, scopes ...scopedOn) (string, []any) {
	var args []any
	for _, sc := range scopes {
		conds = append(conds, tenantScope.where(sc.s, sc.prefix, &args))
	}
	if f.OrgID != "" {
		conds, args = append(conds, prefix+"org_id = ?"), append(args, f.OrgID)
	}
	if f.SiteID != "" {
		conds, args = append(conds, prefix+"site_id = ?"), append(args, f.SiteID)
	}
	return strings.Join(conds, " AND "), args
}

// deviceCountCols counts every status in one pass: no GROUP BY, so no
// temporary b-tree of the fleet's rows.
const deviceCountCols = "count(*) FILTER (WHERE status = 'online'), count(*) FILTER (WHERE status = 'offline')," +
	" count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'decommissioned')"

func (fs fleetStore) DeviceCounts(ctx context.Context, s domain.Scope, f ports.FleetFilter) (domain.DeviceCounts, error) {
	// A partner's devices are most of the table: one pass over it beats an
	// index walk with a lookup per row. A narrower scope, or a filter, has
	// its index.
	scope := scopedOn{"", s}
	if wide(s) {
		scope.prefix = "+"
	}
	where, args := fleetConds(nil, f, "", scope)
	var c domain.DeviceCounts
	err := fs.s.read(ctx).QueryRowContext(ctx, "SELECT "+deviceCountCols+" FROM devices WHERE "+where, args...).
		Scan(&c.Online, &c.Offline, &c.Pending, &c.Decommissioned)
	if err != nil {
		return domain.DeviceCounts{}, failure{op: "count devices"}.wrap(err)
	}
	return c, nil
}

type keyCount struct {
	key string
	n   int
}

func scanCount(r rowScanner) (keyCount, error) {
	var kc keyCount
	return kc, r.Scan(&kc.key, &kc.n)
}

// The alert reads below disable the scope columns' indexes ("+a.") so the
// planner, which has no statistics here, reads the few unresolved alerts
// through the partial index rather than the scope's whole alert history.

func (fs fleetStore) AlertCounts(ctx context.Context, s domain.Scope, f ports.FleetFilter) (domain.SeverityCounts, error) {
	where, args := fleetConds([]string{unresolvedAlert}, f, "+a.", scopedOn{"+a.", s})
	var c domain.SeverityCounts
	rows, err := queryList(ctx, fs.s.read(ctx), "SELECT a.severity, count(*) FROM alerts a WHERE "+where+" GROUP BY a.severity",
		args, scanCount)
	if err != nil {
		return c, failure{op: "count alerts"}.wrap(err)
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

func (fs fleetStore) NeedingAttention(ctx context.Context, as, ds domain.Scope, f ports.FleetFilter, limit int) ([]domain.AttentionDevice, error) {
	where, args := fleetConds([]string{unresolvedAlert}, f, "+a.", scopedOn{"+a.", as}, scopedOn{"+d.", ds})
	// Rank the devices on the grouped alerts, keep the top N, then name
	// them. CROSS JOIN keeps alerts the outer loop, and grouping on d.id
	// keeps the planner off alerts_device_idx (every alert ever), so it
	// reads the unresolved ones only (see AlertCounts).
	q := `WITH worst AS (
		SELECT d.id AS device_id, d.hostname, max(` + severityRank + `) AS rank, count(*) AS n, max(a.opened_at) AS latest
		FROM alerts a CROSS JOIN devices d
		WHERE d.id = a.device_id AND ` + where + `
		GROUP BY d.id, d.hostname
		ORDER BY rank DESC, n DESC, d.hostname, d.id
		LIMIT ?)
	SELECT w.device_id, w.hostname, d.status, d.partner_id, d.org_id, o.name, d.site_id, s.name, w.rank, w.n, w.latest
	FROM worst w JOIN devices d ON d.id = w.device_id
		JOIN organizations o ON o.id = d.org_id JOIN sites s ON s.id = d.site_id
	ORDER BY w.rank DESC, w.n DESC, w.hostname, w.device_id`
	out, err := queryList(ctx, fs.s.read(ctx), q, append(args, fleetLimit(limit)), func(r rowScanner) (domain.AttentionDevice, error) {
		var v domain.AttentionDevice
		var rank int
		var latest int64
		err := r.Scan(&v.DeviceID, &v.Hostname, &v.Status, &v.PartnerID, &v.OrgID, &v.OrgName, &v.SiteID, &v.SiteName,
			&rank, &v.Alerts, &latest)
		v.Worst, v.LatestAt = domain.SeverityOfRank(rank), fromMicros(latest)
		return v, err
	})
	if err != nil {
		return nil, failure{op: "list devices needing attention"}.wrap(err)
	}
	if out == nil {
		out = []domain.AttentionDevice{}
	}
	return out, nil
}

func (fs fleetStore) RecentActivity(ctx context.Context, as, ds domain.Scope, f ports.FleetFilter, limit int) ([]domain.AlertActivity, error) {
	where, args := fleetConds(nil, f, "a.", scopedOn{"a.", as}, scopedOn{"d.", ds})
	// A global or partner-wide caller sees most of the log: walk it from
	// the newest entry and stop at the limit. A narrower one may own few of
	// its entries: start from its alerts (an org or site index) instead.
	from := "alert_transitions t JOIN alerts a ON a.id = t.alert_id JOIN devices d ON d.id = a.device_id"
	if wide(as) {
		from = "alert_transitions t CROSS JOIN alerts a ON a.id = t.alert_id CROSS JOIN devices d ON d.id = a.device_id"
	}
	q := `SELECT t.alert_id, a.device_id, d.hostname, a.org_id, a.severity, a.kind, a.message, t.from_state, t.to_state,
			t.actor, t.at
		FROM ` + from + `
		WHERE ` + where + `
		ORDER BY t.id DESC LIMIT ?`
	out, err := queryList(ctx, fs.s.read(ctx), q, append(args, fleetLimit(limit)), func(r rowScanner) (domain.AlertActivity, error) {
		var v domain.AlertActivity
		var at int64
		err := r.Scan(&v.AlertID, &v.DeviceID, &v.Hostname, &v.OrgID, &v.Severity, &v.Kind, &v.Message, &v.From, &v.To,
			&v.Actor, &at)
		v.At = fromMicros(at)
		return v, err
	})
	if err != nil {
		return nil, failure{op: "list recent alert activity"}.wrap(err)
	}
	if out == nil {
		out = []domain.AlertActivity{}
	}
	return out, nil
}

// wide reports whether s reaches a whole partner (or everything).
func wide(s domain.Scope) bool { return s.Global || len(validIDs(s.PartnerIDs)) > 0 }
