package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// NotificationRoutes keeps notification routes (see ports.NotificationRouteStore).
func (s *Store) NotificationRoutes() ports.NotificationRouteStore { return routeStore{s} }

// NotificationDeliveries is the delivery log (see ports.NotificationDeliveryStore).
func (s *Store) NotificationDeliveries() ports.NotificationDeliveryStore { return deliveryStore{s} }

type routeStore struct{ s *Store }
type deliveryStore struct{ s *Store }

var (
	_ ports.NotificationRouteStore    = routeStore{}
	_ ports.NotificationDeliveryStore = deliveryStore{}
)

const routeCols = "id, partner_id, org_id, name, channel_id, severities, rate_per_hour, enabled, created_by, created_at," +
	" group_after, group_interval_seconds"

// Routes are owned like alert rules: written by the owner's coverage,
// partner defaults read by the partner's orgs and sites too.
var routesTable = &table[*domain.NotificationRoute]{
	name: "notification_routes", what: "notification route", cols: routeCols,
	read: scriptReadScope{}, write: scriptWriteScope, scan: scanRoute,
	idOf: func(r *domain.NotificationRoute) string { return r.ID },
}

func scanRoute(r rowScanner) (*domain.NotificationRoute, error) {
	var out domain.NotificationRoute
	var org sql.NullString
	var sev string
	var enabled int
	var created int64
	if err := r.Scan(&out.ID, &out.PartnerID, &org, &out.Name, &out.ChannelID, &sev, &out.RatePerHour, &enabled,
		&out.CreatedBy, &created, &out.GroupAfter, &out.GroupIntervalSeconds); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(sev), &out.Severities); err != nil {
		return nil, fmt.Errorf("decode route severities: %w", err)
	}
	out.OrgID, out.Enabled, out.CreatedAt = org.String, enabled == 1, fromMicros(created)
	return &out, nil
}

func (rs routeStore) Create(ctx context.Context, s domain.Scope, r *domain.NotificationRoute) error {
	if r == nil {
		return domain.Invalidf("notification route is required")
	}
	if err := domain.ValidateName("notification route", r.Name); err != nil {
		return err
	}
	if r.ChannelID == "" || len(r.ChannelID) > 200 || r.RatePerHour < 0 || !utf8.ValidString(r.ChannelID) {
		return domain.Invalidf("notification route channel or rate out of bounds")
	}
	if err := checkGrouping(r); err != nil {
		return err
	}
	id, err := newID("notification route", r.ID)
	if err != nil {
		return err
	}
	var out *domain.NotificationRoute
	err = rs.s.write(ctx, func(q queryer) error {
		partnerID, err := scriptOwner(ctx, q, s, r.PartnerID, r.OrgID)
		if err != nil {
			return err
		}
		out, err = scanRoute(q.QueryRowContext(ctx, "INSERT INTO notification_routes ("+routeCols+")"+
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING "+routeCols,
			id, partnerID, nullString(r.OrgID), r.Name, r.ChannelID, encodeList(r.Severities), r.RatePerHour,
			boolInt(r.Enabled), r.CreatedBy, micros(now()), r.GroupAfter, r.GroupIntervalSeconds))
		return failure{op: "create notification route", unique: "a notification route with that name already exists here",
			dup: "notification route id already exists", missing: "organization or partner not found"}.wrap(err)
	})
	if err != nil {
		return err
	}
	*r = *out
	return nil
}

// checkGrouping bounds a route's storm grouping (the migration's checks).
func checkGrouping(r *domain.NotificationRoute) error {
	if r.GroupAfter < 0 || r.GroupAfter > domain.MaxGroupAfter || r.GroupIntervalSeconds < 0 ||
		r.GroupIntervalSeconds > domain.MaxGroupIntervalSeconds {
		return domain.Invalidf("notification route grouping out of bounds")
	}
	return nil
}

func (rs routeStore) Update(ctx context.Context, s domain.Scope, r *domain.NotificationRoute) (*domain.NotificationRoute, error) {
	if r == nil {
		return nil, domain.Invalidf("notification route is required")
	}
	if err := domain.ValidateName("notification route", r.Name); err != nil {
		return nil, err
	}
	if r.ChannelID == "" || len(r.ChannelID) > 200 || r.RatePerHour < 0 || !utf8.ValidString(r.ChannelID) {
		return nil, domain.Invalidf("notification route channel or rate out of bounds")
	}
	if err := checkGrouping(r); err != nil {
		return nil, err
	}
	if !domain.ValidID(r.ID) {
		return nil, notFound("notification route")
	}
	var out *domain.NotificationRoute
	err := rs.s.write(ctx, func(q queryer) (err error) {
		args := []any{r.Name, r.ChannelID, encodeList(r.Severities), r.RatePerHour, r.GroupAfter, r.GroupIntervalSeconds,
			boolInt(r.Enabled), r.ID}
		where := scriptWriteScope.where(s, "", &args)
		out, err = scanRoute(q.QueryRowContext(ctx, "UPDATE notification_routes SET name = ?, channel_id = ?, severities = ?,"+
			" rate_per_hour = ?, group_after = ?, group_interval_seconds = ?, enabled = ? WHERE id = ? AND "+where+
			" RETURNING "+routeCols, args...))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("notification route")
		}
		return failure{op: "update notification route", unique: "a notification route with that name already exists here"}.wrap(err)
	})
	return out, err
}

func (rs routeStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.NotificationRoute, error) {
	return routesTable.get(ctx, rs.s.read(ctx), s, id)
}

func (rs routeStore) List(ctx context.Context, s domain.Scope, f ports.NotificationRouteFilter, page domain.PageRequest) (domain.Page[*domain.NotificationRoute], error) {
	var flt filter
	if f.OrgID != "" {
		flt.add("(org_id = ? OR (org_id IS NULL AND partner_id = (SELECT partner_id FROM organizations WHERE id = ?)))",
			f.OrgID, f.OrgID)
	}
	return routesTable.list(ctx, rs.s.read(ctx), s, flt, page)
}

func (rs routeStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	return rs.s.write(ctx, func(q queryer) error { return routesTable.delete(ctx, q, s, id) })
}

func (rs routeStore) ForOrg(ctx context.Context, orgID string) ([]*domain.NotificationRoute, error) {
	return queryList(ctx, rs.s.read(ctx), "SELECT "+routeCols+" FROM notification_routes WHERE org_id = ? OR (org_id IS NULL AND"+
		" partner_id = (SELECT partner_id FROM organizations WHERE id = ?)) ORDER BY id", []any{orgID, orgID}, scanRoute)
}

const deliveryCols = "id, alert_id, route_id, partner_id, org_id, site_id, channel_id, transition, attempt, outcome, detail," +
	" latency_ms, at, reminder, digest_id, held_until"

var deliveriesTable = &table[*domain.NotificationDelivery]{
	name: "notification_deliveries", what: "notification delivery", cols: deliveryCols,
	read: tenantScope, write: tenantScope, scan: scanDelivery,
	idOf: func(d *domain.NotificationDelivery) string { return d.ID },
}

func scanDelivery(r rowScanner) (*domain.NotificationDelivery, error) {
	var d domain.NotificationDelivery
	var at int64
	var until sql.NullInt64
	if err := r.Scan(&d.ID, &d.AlertID, &d.RouteID, &d.PartnerID, &d.OrgID, &d.SiteID, &d.ChannelID, &d.Transition,
		&d.Attempt, &d.Outcome, &d.Detail, &d.LatencyMS, &at, &d.Reminder, &d.DigestID, &until); err != nil {
		return nil, err
	}
	d.At = fromMicros(at)
	if until.Valid {
		d.HeldUntil = fromMicros(until.Int64)
	}
	return &d, nil
}

func (ds deliveryStore) Record(ctx context.Context, d *domain.NotificationDelivery) error {
	if d == nil || !domain.ValidID(d.AlertID) || !domain.ValidID(d.RouteID) {
		return domain.Invalidf("a delivery names its alert and route")
	}
	if !utf8.ValidString(d.Detail) || len(d.Detail) > 4000 || !utf8.ValidString(d.DigestID) || len(d.DigestID) > 200 ||
		d.Reminder < 0 {
		return domain.Invalidf("delivery detail out of bounds")
	}
	var until any
	if !d.HeldUntil.IsZero() {
		until = micros(d.HeldUntil)
	}
	id, err := newID("notification delivery", d.ID)
	if err != nil {
		return err
	}
	at := now()
	if !d.At.IsZero() {
		at = d.At
	}
	var out *domain.NotificationDelivery
	err = ds.s.write(ctx, func(q queryer) error {
		var err error
		out, err = scanDelivery(q.QueryRowContext(ctx, "INSERT INTO notification_deliveries ("+deliveryCols+")"+
			" SELECT ?, a.id, ?, a.partner_id, a.org_id, a.site_id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM alerts a WHERE a.id = ?"+
			" RETURNING "+deliveryCols,
			id, d.RouteID, d.ChannelID, string(d.Transition), d.Attempt, d.Outcome, d.Detail, d.LatencyMS, micros(at),
			d.Reminder, d.DigestID, until, d.AlertID))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("alert")
		}
		return failure{op: "record notification delivery"}.wrap(err)
	})
	if err != nil {
		return err
	}
	*d = *out
	return nil
}

func (ds deliveryStore) List(ctx context.Context, s domain.Scope, f ports.DeliveryFilter, page domain.PageRequest) (domain.Page[*domain.NotificationDelivery], error) {
	var flt filter
	if f.AlertID != "" {
		flt.add("alert_id = ?", f.AlertID)
	}
	if f.RouteID != "" {
		flt.add("route_id = ?", f.RouteID)
	}
	if f.Outcome != "" {
		flt.add("outcome = ?", f.Outcome)
	}
	return deliveriesTable.list(ctx, ds.s.read(ctx), s, flt, page)
}

func (ds deliveryStore) Delivered(ctx context.Context, alertID string, transition domain.AlertState, reminder int, routeID string) (bool, error) {
	var one int
	err := ds.s.read(ctx).QueryRowContext(ctx, "SELECT 1 FROM notification_deliveries WHERE alert_id = ? AND route_id = ?"+
		" AND transition = ? AND reminder = ? AND outcome = 'delivered' LIMIT 1", alertID, routeID, string(transition), reminder).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, failure{op: "read notification deliveries"}.wrap(err)
	}
	return true, nil
}
