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
	Enabled     bool
}

// CreateRoute adds a route; it needs alerts:write over its owner and an
// installed alert-channel plugin.
func (s *Service) CreateRoute(ctx context.Context, p *domain.Principal, in RouteInput) (*domain.NotificationRoute, error) {
	audit.SetResource(ctx, ResourceRoute, "", in.PartnerID, in.OrgID)
	if len(in.Severities) == 0 || len(in.Severities) > 3 {
		return nil, domain.Invalidf("severities lists one to three of info, warning, critical")
	}
	seen := map[domain.Severity]bool{}
	for _, sev := range in.Severities {
		if !domain.ValidSeverity(sev) || seen[sev] {
			return nil, domain.Invalidf("severities lists one to three of info, warning, critical, each once")
		}
		seen[sev] = true
	}
	if in.RatePerHour < 0 || in.RatePerHour > MaxRatePerHour {
		return nil, domain.Invalidf("ratePerHour must be within 0..%d (0: no limit)", MaxRatePerHour)
	}
	if in.ChannelID == "" {
		return nil, domain.Invalidf("channelId names an installed alert-channel plugin")
	}
	pl, err := s.d.Store.Plugins().Get(ctx, in.ChannelID)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && pl.Kind != "alert_channel") {
		return nil, domain.Invalidf("channelId %q is not an installed alert-channel plugin", in.ChannelID)
	}
	if err != nil {
		return nil, err
	}
	r := &domain.NotificationRoute{PartnerID: in.PartnerID, OrgID: in.OrgID, Name: in.Name, ChannelID: in.ChannelID,
		Severities: in.Severities, RatePerHour: in.RatePerHour, Enabled: in.Enabled, CreatedBy: actor(p)}
	if err := s.d.Store.NotificationRoutes().Create(ctx, p.ScopeFor(domain.PermAlertsWrite), r); err != nil {
		return nil, err
	}
	audit.SetResource(ctx, ResourceRoute, r.ID, r.PartnerID, r.OrgID)
	return r, nil
}

// ListRoutes lists the routes the caller may read.
func (s *Service) ListRoutes(ctx context.Context, p *domain.Principal, f ports.NotificationRouteFilter, page domain.PageRequest) (domain.Page[*domain.NotificationRoute], error) {
	return s.d.Store.NotificationRoutes().List(ctx, p.ScopeFor(domain.PermAlertsRead), f, page)
}

// GetRoute returns one route.
func (s *Service) GetRoute(ctx context.Context, p *domain.Principal, id string) (*domain.NotificationRoute, error) {
	return s.d.Store.NotificationRoutes().Get(ctx, p.ScopeFor(domain.PermAlertsRead), id)
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
