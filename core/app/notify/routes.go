package notify

import (
	"context"
	"errors"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Audit resource type.
const ResourceRoute = "notification_route"

// MaxRatePerHour bounds a route's rate limit.
const MaxRatePerHour = 100_000

// RouteInput is a new route.
type RouteInput struct {
	PartnerID   string // a partner default when OrgID is empty
	OrgID       string
	Name        string
	ChannelID   string
	Severities  []domain.Severity
	RatePerHour int
	// Storm grouping (group.go); nil: domain.DefaultGroupAfter and
	// domain.DefaultGroupIntervalSeconds; either 0: no grouping.
	GroupAfter           *int
	GroupIntervalSeconds *int
	Enabled              bool
}

// RoutePatch changes a route; nil fields stay as they are.
type RoutePatch struct {
	Name                 *string
	ChannelID            *string
	Severities           *[]domain.Severity
	RatePerHour          *int
	GroupAfter           *int
	GroupIntervalSeconds *int
	Enabled              *bool
}

func checkSeverities(sevs []domain.Severity) error {
	if len(sevs) == 0 || len(sevs) > 3 {
		return domain.Invalidf("severities lists one to three of info, warning, critical")
	}
	seen := map[domain.Severity]bool{}
	for _, sev := range sevs {
		if !domain.ValidSeverity(sev) || seen[sev] {
			return domain.Invalidf("severities lists one to three of info, warning, critical, each once")
		}
		seen[sev] = true
	}
	return nil
}

func checkRate(n int) error {
	if n < 0 || n > MaxRatePerHour {
		return domain.Invalidf("ratePerHour must be within 0..%d (0: no limit)", MaxRatePerHour)
	}
	return nil
}

func checkGrouping(after, interval int) error {
	if after < 0 || after > domain.MaxGroupAfter {
		return domain.Invalidf("groupAfter must be within 0..%d (0: no grouping)", domain.MaxGroupAfter)
	}
	if interval < 0 || interval > domain.MaxGroupIntervalSeconds {
		return domain.Invalidf("groupIntervalSeconds must be within 0..%d (0: no grouping)", domain.MaxGroupIntervalSeconds)
	}
	return nil
}

func orDefault(v *int, def int) int {
	if v == nil {
		return def
	}
	return *v
}

// CreateRoute adds a route; it needs alerts:write over its owner and an
// installed alert-channel plugin.
func (s *Service) CreateRoute(ctx context.Context, p *domain.Principal, in RouteInput) (*domain.NotificationRoute, error) {
	audit.SetResource(ctx, ResourceRoute, "", in.PartnerID, in.OrgID)
	if err := checkSeverities(in.Severities); err != nil {
		return nil, err
	}
	if err := checkRate(in.RatePerHour); err != nil {
		return nil, err
	}
	after := orDefault(in.GroupAfter, domain.DefaultGroupAfter)
	interval := orDefault(in.GroupIntervalSeconds, domain.DefaultGroupIntervalSeconds)
	if err := checkGrouping(after, interval); err != nil {
		return nil, err
	}
	if err := s.checkChannel(ctx, in.ChannelID); err != nil {
		return nil, err
	}
	r := &domain.NotificationRoute{PartnerID: in.PartnerID, OrgID: in.OrgID, Name: in.Name, ChannelID: in.ChannelID,
		Severities: in.Severities, RatePerHour: in.RatePerHour, GroupAfter: after, GroupIntervalSeconds: interval,
		Enabled: in.Enabled, CreatedBy: actor(p)}
	if err := s.d.Store.NotificationRoutes().Create(ctx, p.ScopeFor(domain.PermAlertsWrite), r); err != nil {
		return nil, err
	}
	audit.SetResource(ctx, ResourceRoute, r.ID, r.PartnerID, r.OrgID)
	return r, nil
}

// checkChannel requires an installed alert-channel plugin.
func (s *Service) checkChannel(ctx context.Context, id string) error {
	if id == "" {
		return domain.Invalidf("channelId names an installed alert-channel plugin")
	}
	pl, err := s.d.Store.Plugins().Get(ctx, id)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && pl.Kind != "alert_channel") {
		return domain.Invalidf("channelId %q is not an installed alert-channel plugin", domain.Abbrev(id, 100))
	}
	return err
}

// ListRoutes lists the routes the caller may read.
func (s *Service) ListRoutes(ctx context.Context, p *domain.Principal, f ports.NotificationRouteFilter, page domain.PageRequest) (domain.Page[*domain.NotificationRoute], error) {
	return s.d.Store.NotificationRoutes().List(ctx, p.ScopeFor(domain.PermAlertsRead), f, page)
}

// GetRoute returns one route.
func (s *Service) GetRoute(ctx context.Context, p *domain.Principal, id string) (*domain.NotificationRoute, error) {
	return s.d.Store.NotificationRoutes().Get(ctx, p.ScopeFor(domain.PermAlertsRead), id)
}

// UpdateRoute changes a route's name, channel (an installed alert-channel
// plugin), severities, rate limit, grouping or enabled flag; it needs alerts:write over its owner (a route the caller
// may not write is ErrNotFound). Queued deliveries follow the new
// settings when they run; a disabled route sends nothing more.
func (s *Service) UpdateRoute(ctx context.Context, p *domain.Principal, id string, in RoutePatch) (*domain.NotificationRoute, error) {
	scope := p.ScopeFor(domain.PermAlertsWrite)
	r, err := s.d.Store.NotificationRoutes().Get(ctx, scope, id)
	if err != nil {
		return nil, err
	}
	audit.SetResource(ctx, ResourceRoute, r.ID, r.PartnerID, r.OrgID)
	if in.Name != nil {
		r.Name = *in.Name
	}
	if in.ChannelID != nil && *in.ChannelID != r.ChannelID {
		if err := s.checkChannel(ctx, *in.ChannelID); err != nil {
			return nil, err
		}
		r.ChannelID = *in.ChannelID
	}
	if in.Severities != nil {
		if err := checkSeverities(*in.Severities); err != nil {
			return nil, err
		}
		r.Severities = *in.Severities
	}
	if in.RatePerHour != nil {
		if err := checkRate(*in.RatePerHour); err != nil {
			return nil, err
		}
		r.RatePerHour = *in.RatePerHour
	}
	r.GroupAfter = orDefault(in.GroupAfter, r.GroupAfter)
	r.GroupIntervalSeconds = orDefault(in.GroupIntervalSeconds, r.GroupIntervalSeconds)
	if err := checkGrouping(r.GroupAfter, r.GroupIntervalSeconds); err != nil {
		return nil, err
	}
	if in.Enabled != nil {
		r.Enabled = *in.Enabled
	}
	return s.d.Store.NotificationRoutes().Update(ctx, scope, r)
}

// DeleteRoute removes a route (queued deliveries through it are dropped).
func (s *Service) DeleteRoute(ctx context.Context, p *domain.Principal, id string) error {
	scope := p.ScopeFor(domain.PermAlertsWrite)
	r, err := s.d.Store.NotificationRoutes().Get(ctx, scope, id)
	if err != nil {
		return err
	}
	audit.SetResource(ctx, ResourceRoute, r.ID, r.PartnerID, r.OrgID)
	return s.d.Store.NotificationRoutes().Delete(ctx, scope, id)
}

// ListDeliveries lists the delivery log of alerts the caller may read
// (Outcome "dead": the dead-letter list).
func (s *Service) ListDeliveries(ctx context.Context, p *domain.Principal, f ports.DeliveryFilter, page domain.PageRequest) (domain.Page[*domain.NotificationDelivery], error) {
	return s.d.Store.NotificationDeliveries().List(ctx, p.ScopeFor(domain.PermAlertsRead), f, page)
}

func actor(p *domain.Principal) string {
	if p.Kind == domain.PrincipalAPIKey {
		return "api_key:" + p.APIKeyID
	}
	return "user:" + p.UserID
}

// AlertDeliveries is one alert's delivery log; an alert the caller may not
// read is ErrNotFound.
func (s *Service) AlertDeliveries(ctx context.Context, p *domain.Principal, alertID string, page domain.PageRequest) (domain.Page[*domain.NotificationDelivery], error) {
	scope := p.ScopeFor(domain.PermAlertsRead)
	if _, err := s.d.Store.Alerts().Get(ctx, scope, alertID); err != nil {
		return domain.Page[*domain.NotificationDelivery]{}, err
	}
	return s.d.Store.NotificationDeliveries().List(ctx, scope, ports.DeliveryFilter{AlertID: alertID}, page)
}
