package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// recordTimeout bounds writing the delivery log after an attempt whose
// ctx may have ended.
const recordTimeout = 5 * time.Second

// errRateLimited is an attempt held back by the route's rate limit.
var errRateLimited = errors.New("rate limited")

// deliver is the queue handler: one attempt of one (alert, transition,
// route). A task run again after it was delivered (a worker killed after
// sending) sends nothing.
func (s *Service) deliver(ctx context.Context, t ports.Task) error {
	var tk task
	if err := json.Unmarshal(t.Payload, &tk); err != nil {
		return ports.SkipRetry(fmt.Errorf("notify: bad task payload: %w", err))
	}
	g := domain.GlobalScope()
	a, err := s.d.Store.Alerts().Get(ctx, g, tk.AlertID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil // the alert (or its rule) was deleted
	}
	if err != nil {
		return err
	}
	r, err := s.d.Store.NotificationRoutes().Get(ctx, g, tk.RouteID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil // the route was deleted meanwhile
	}
	if err != nil {
		return err
	}
	done, err := s.d.Store.NotificationDeliveries().Delivered(ctx, a.ID, tk.Transition, 0, r.ID)
	if err != nil {
		return err
	}
	if done {
		return nil
	}
	d := &domain.NotificationDelivery{AlertID: a.ID, RouteID: r.ID, ChannelID: r.ChannelID, Transition: tk.Transition, Attempt: t.Attempt}
	sendErr := s.allow(ctx, r, a.OrgID)
	if sendErr == nil {
		sendErr = s.send(ctx, r, a, tk.Transition, d)
	}
	final := s.d.MaxRetries < 0 || t.Attempt > s.d.MaxRetries
	switch {
	case sendErr == nil:
		d.Outcome = domain.DeliveryDelivered
	case final:
		d.Outcome, d.Detail = domain.DeliveryDead, sendErr.Error()
	case errors.Is(sendErr, errRateLimited):
		d.Outcome, d.Detail = domain.DeliveryRateLimited, sendErr.Error()
	default:
		d.Outcome, d.Detail = domain.DeliveryFailed, sendErr.Error()
	}
	if len(d.Detail) > 1000 {
		d.Detail = d.Detail[:1000]
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := s.d.Store.NotificationDeliveries().Record(rctx, d); err != nil {
		s.d.Logger.Warn("notification delivery not logged", "alert_id", a.ID, "route_id", r.ID, "outcome", d.Outcome, "error", err)
	}
	if sendErr != nil {
		s.d.Logger.Warn("alert notification not delivered", "alert_id", a.ID, "route_id", r.ID, "channel", r.ChannelID,
			"attempt", t.Attempt, "final", final, "error", sendErr)
		if final {
			return ports.SkipRetry(sendErr)
		}
		return sendErr
	}
	return nil
}

// allow counts the attempt against the route's rate limit for the org.
// A limiter that fails lets the notification through: losing an alert is
// worse than one message too many.
func (s *Service) allow(ctx context.Context, r *domain.NotificationRoute, orgID string) error {
	if r.RatePerHour <= 0 || s.d.Limiter == nil {
		return nil
	}
	dec, err := s.d.Limiter.Allow(ctx, "notify:"+r.ID+":"+orgID, ports.Limit{N: r.RatePerHour, Window: time.Hour})
	if err != nil {
		s.d.Logger.Warn("notification rate limit not checked", "route_id", r.ID, "error", err)
		return nil
	}
	if !dec.Allowed {
		return fmt.Errorf("%w: %d per hour, next in %s", errRateLimited, r.RatePerHour, dec.RetryAfter.Round(time.Second))
	}
	return nil
}

// send makes one bounded call to the channel and times it into d.
func (s *Service) send(ctx context.Context, r *domain.NotificationRoute, a *domain.Alert, tr domain.AlertState, d *domain.NotificationDelivery) error {
	n := notification(a, tr)
	if dev, err := s.d.Store.Devices().Get(ctx, domain.GlobalScope(), a.DeviceID); err == nil {
		n.DeviceName = dev.Hostname
	}
	cctx, cancel := context.WithTimeout(ctx, s.d.AttemptTimeout)
	defer cancel()
	start := s.d.Clock.Now()
	res, err := s.d.Channels.Send(cctx, r.ChannelID, n)
	d.LatencyMS = s.d.Clock.Now().Sub(start).Milliseconds()
	switch {
	case cctx.Err() != nil && ctx.Err() == nil:
		return fmt.Errorf("channel %s did not answer within %s", r.ChannelID, s.d.AttemptTimeout)
	case err != nil:
		return fmt.Errorf("channel %s: %w", r.ChannelID, err)
	case !res.Delivered:
		if res.Detail == "" {
			res.Detail = "not delivered"
		}
		return fmt.Errorf("channel %s: %s", r.ChannelID, res.Detail)
	}
	return nil
}

// notification is what a channel gets for a's transition to tr. Its ID is
// stable per (alert, transition): channels use it as a dedup key.
func notification(a *domain.Alert, tr domain.AlertState) ports.Notification {
	status, at := "triggered", a.OpenedAt
	switch tr {
	case domain.AlertResolved:
		status, at = "resolved", a.ResolvedAt
	case domain.AlertAcknowledged:
		status, at = "acknowledged", a.AcknowledgedAt
	}
	return ports.Notification{
		ID: a.ID + ":" + string(tr), OrgID: a.OrgID, DeviceID: a.DeviceID, Severity: string(a.Severity), Status: status,
		Title: fmt.Sprintf("[%s] %s", a.Severity, a.Message), Message: a.Message, Source: "breeze", OccurredAt: at,
		Labels: map[string]string{"alertId": a.ID, "ruleId": a.RuleID, "kind": a.Kind},
	}
}
