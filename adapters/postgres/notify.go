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

// NotificationRoutes keeps notification routes (see ports.NotificationRouteStore).
func (s *Store) NotificationRoutes() ports.NotificationRouteStore { return routeStore{q: s.q} }

// NotificationDeliveries is the delivery log (see ports.NotificationDeliveryStore).
func (s *Store) NotificationDeliveries() ports.NotificationDeliveryStore {
	return deliveryStore{q: s.q}
}

type routeStore struct{ q querier }
type deliveryStore struct{ q querier }

var (
	_ ports.NotificationRouteStore    = routeStore{}
	_ ports.NotificationDeliveryStore = deliveryStore{}
)

const routeCols = "id, partner_id, coalesce(org_id::text, ''), name, channel_id, severities::text, rate_per_hour, enabled," +
	" created_by, created_at, group_after, group_interval_seconds"

func scanRoute(row pgx.Row) (*domain.NotificationRoute, error) {
	var r domain.NotificationRoute
	var sev string
	if err := row.Scan(&r.ID, &r.PartnerID, &r.OrgID, &r.Name, &r.ChannelID, &sev, &r.RatePerHour, &r.Enabled,
		&r.CreatedBy, &r.CreatedAt, &r.GroupAfter, &r.GroupIntervalSeconds); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(sev), &r.Severities); err != nil {
		return nil, fmt.Errorf("decode route severities: %w", err)
	}
	r.CreatedAt = r.CreatedAt.UTC()
	return &r, nil
}

func (st routeStore) Create(ctx context.Context, s domain.Scope, r *domain.NotificationRoute) error {
	ctx = tenant(ctx, s)
	if r == nil {
		return domain.Invalidf("notification route is required")
	}
	if err := domain.ValidateName("notification route", r.Name); err != nil {
		return err
	}
	if r.ChannelID == "" || len(r.ChannelID) > 200 || r.RatePerHour < 0 || !storable(r.ChannelID) || !storable(r.CreatedBy) {
		return domain.Invalidf("notification route channel or rate out of bounds")
	}
	if err := checkGrouping(r); err != nil {
		return err
	}
	id, err := newID(r.ID)
	if err != nil {
		return err
	}
	partnerID, err := scriptStore{q: st.q}.owner(ctx, s, r.PartnerID, r.OrgID)
	if err != nil {
		return err
	}
	out, err := scanRoute(st.q.QueryRow(ctx, `INSERT INTO notification_routes (id, partner_id, org_id, name, channel_id,
			severities, rate_per_hour, enabled, created_by, created_at, group_after, group_interval_seconds)
		VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12) RETURNING `+routeCols,
		id, partnerID, nullID(r.OrgID), r.Name, r.ChannelID, encodeList(r.Severities), r.RatePerHour, r.Enabled, r.CreatedBy, now(),
		r.GroupAfter, r.GroupIntervalSeconds))
	if err != nil {
		return routeError("create notification route", err)
	}
	*r = *out
	return nil
}

func routeError(op string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.ConstraintName == "notification_routes_name_key" {
		return &dbError{domain: domain.Conflictf("a notification route with that name already exists here"), cause: err}
	}
	return translateJSON(op, err)
}

// checkGrouping bounds a route's storm grouping (the migration's checks).
func checkGrouping(r *domain.NotificationRoute) error {
	if r.GroupAfter < 0 || r.GroupAfter > domain.MaxGroupAfter || r.GroupIntervalSeconds < 0 ||
		r.GroupIntervalSeconds > domain.MaxGroupIntervalSeconds {
		return domain.Invalidf("notification route grouping out of bounds")
	}
	return nil
}

func (st routeStore) Update(ctx context.Context, s domain.Scope, r *domain.NotificationRoute) (*domain.NotificationRoute, error) {
	ctx = tenant(ctx, s)
	if r == nil {
		return nil, domain.Invalidf("notification route is required")
	}
	if err := domain.ValidateName("notification route", r.Name); err != nil {
		return nil, err
	}
	if r.ChannelID == "" || len(r.ChannelID) > 200 || r.RatePerHour < 0 || !storable(r.ChannelID) {
		return nil, domain.Invalidf("notification route channel or rate out of bounds")
	}
	if err := checkGrouping(r); err != nil {
		return nil, err
	}
	if !domain.ValidID(r.ID) {
		return nil, notFound("notification route")
	}
	a := args{r.Name, encodeList(r.Severities), r.RatePerHour, r.GroupAfter, r.GroupIntervalSeconds, r.Enabled, r.ID, r.ChannelID}
	out, err := scanRoute(st.q.QueryRow(ctx, `UPDATE notification_routes SET name = $1, severities = $2::jsonb,
			rate_per_hour = $3, group_after = $4, group_interval_seconds = $5, enabled = $6, channel_id = $8
		WHERE id = $7 AND `+scriptWrite.where(s, &a, "")+" RETURNING "+routeCols, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("notification route")
	}
	if err != nil {
		return nil, routeError("update notification route", err)
	}
	return out, nil
}

func (st routeStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.NotificationRoute, error) {
	ctx = tenant(ctx, s)
	return getShared(ctx, st.q, "notification route", routeCols, "notification_routes", id, s, scanRoute)
}

func (st routeStore) List(ctx context.Context, s domain.Scope, f ports.NotificationRouteFilter, page domain.PageRequest) (domain.Page[*domain.NotificationRoute], error) {
	ctx = tenant(ctx, s)
	var a args
	where := []string{scriptRead(s, &a, "")}
	if w := seenByOrg(f.OrgID, &a); w != "" {
		where = append(where, w)
	}
	tail, page, err := pageQuery(page, &a, where)
	if err != nil {
		return domain.Page[*domain.NotificationRoute]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+routeCols+" FROM notification_routes"+tail, a, scanRoute)
	if err != nil {
		return domain.Page[*domain.NotificationRoute]{}, translate("list notification routes", err)
	}
	return finishPage(items, page.Limit, func(r *domain.NotificationRoute) string { return r.ID }), nil
}

func (st routeStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	ctx = tenant(ctx, s)
	return deleteRow(ctx, st.q, "notification_routes", scriptWrite, s, id, "notification route")
}

func (st routeStore) ForOrg(ctx context.Context, orgID string) ([]*domain.NotificationRoute, error) {
	ctx = oneOrg(ctx, orgID)
	if !domain.ValidID(orgID) {
		return nil, nil
	}
	return queryAll(ctx, st.q, "SELECT "+routeCols+" FROM notification_routes WHERE org_id = $1::uuid OR (org_id IS NULL AND"+
		" partner_id = (SELECT partner_id FROM organizations WHERE id = $1::uuid)) ORDER BY id", args{orgID}, scanRoute)
}

const deliveryCols = "id, alert_id, route_id, partner_id, org_id, site_id, channel_id, transition, attempt, outcome, detail," +
	" latency_ms, at, reminder, digest_id, held_until"

func scanDelivery(row pgx.Row) (*domain.NotificationDelivery, error) {
	var d domain.NotificationDelivery
	var until *time.Time
	if err := row.Scan(&d.ID, &d.AlertID, &d.RouteID, &d.PartnerID, &d.OrgID, &d.SiteID, &d.ChannelID, &d.Transition,
		&d.Attempt, &d.Outcome, &d.Detail, &d.LatencyMS, &d.At, &d.Reminder, &d.DigestID, &until); err != nil {
		return nil, err
	}
	d.At, d.HeldUntil = d.At.UTC(), fromOpt(until)
	return &d, nil
}

func (st deliveryStore) Record(ctx context.Context, d *domain.NotificationDelivery) error {
	ctx = system(ctx)
	if d == nil || !domain.ValidID(d.AlertID) || !domain.ValidID(d.RouteID) {
		return domain.Invalidf("a delivery names its alert and route")
	}
	if !storable(d.Detail) || len(d.Detail) > 4000 || !storable(d.ChannelID) || !storable(d.DigestID) || len(d.DigestID) > 200 ||
		d.Reminder < 0 {
		return domain.Invalidf("delivery detail out of bounds")
	}
	id, err := newID(d.ID)
	if err != nil {
		return err
	}
	at := d.At.UTC().Truncate(1000)
	if d.At.IsZero() {
		at = now()
	}
	out, err := scanDelivery(st.q.QueryRow(ctx, `INSERT INTO notification_deliveries (id, alert_id, route_id, partner_id,
			org_id, site_id, channel_id, transition, attempt, outcome, detail, latency_ms, at, reminder, digest_id, held_until)
		SELECT $1, a.id, $2, a.partner_id, a.org_id, a.site_id, $3, $4, $5, $6, $7, $8, $9, $11, $12, $13 FROM alerts a
		WHERE a.id = $10
		RETURNING `+deliveryCols,
		id, d.RouteID, d.ChannelID, string(d.Transition), d.Attempt, d.Outcome, d.Detail, d.LatencyMS, at, d.AlertID,
		d.Reminder, d.DigestID, optStamp(d.HeldUntil)))
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound("alert")
	}
	if err != nil {
		return translate("record notification delivery", err)
	}
	*d = *out
	return nil
}

func (st deliveryStore) List(ctx context.Context, s domain.Scope, f ports.DeliveryFilter, page domain.PageRequest) (domain.Page[*domain.NotificationDelivery], error) {
	ctx = tenant(ctx, s)
	var a args
	where := []string{tenantScope.where(s, &a, "")}
	if f.AlertID != "" {
		if !domain.ValidID(f.AlertID) {
			where = append(where, "FALSE")
		} else {
			where = append(where, "alert_id = "+a.add(f.AlertID)+"::uuid")
		}
	}
	if f.RouteID != "" {
		if !domain.ValidID(f.RouteID) {
			where = append(where, "FALSE")
		} else {
			where = append(where, "route_id = "+a.add(f.RouteID)+"::uuid")
		}
	}
	if f.Outcome != "" {
		where = append(where, "outcome = "+a.add(f.Outcome))
	}
	tail, page, err := pageQuery(page, &a, where)
	if err != nil {
		return domain.Page[*domain.NotificationDelivery]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+deliveryCols+" FROM notification_deliveries"+tail, a, scanDelivery)
	if err != nil {
		return domain.Page[*domain.NotificationDelivery]{}, translate("list notification deliveries", err)
	}
	return finishPage(items, page.Limit, func(d *domain.NotificationDelivery) string { return d.ID }), nil
}

func (st deliveryStore) Delivered(ctx context.Context, alertID string, transition domain.AlertState, reminder int, routeID string) (bool, error) {
	ctx = system(ctx)
	if !domain.ValidID(alertID) || !domain.ValidID(routeID) {
		return false, nil
	}
	var found bool
	err := st.q.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM notification_deliveries WHERE alert_id = $1 AND route_id = $2"+
		" AND transition = $3 AND reminder = $4 AND outcome = 'delivered')", alertID, routeID, string(transition), reminder).Scan(&found)
	if err != nil {
		return false, translate("read notification deliveries", err)
	}
	return found, nil
}
