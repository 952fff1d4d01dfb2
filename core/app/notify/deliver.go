package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// recordTimeout bounds writing the delivery log after an attempt whose
// ctx may have ended.
const recordTimeout = 5 * time.Second

// errRateLimited is an attempt held back by the route's rate limit.
var errRateLimited = errors.New("rate limited")

// deliver is the queue handler: one attempt of one (alert, transition or
// reminder, route). A task run again after it was delivered (a worker
// killed after sending, a restart, another node) sends nothing. Before
// sending it asks, in order: is the alert held (holds.go), was it
// resolved while its opening was held (then nothing is sent), does it
// fall in a storm (group.go)?
func (s *Service) deliver(ctx context.Context, t ports.Task) error {
	var tk task
	if err := json.Unmarshal(t.Payload, &tk); err != nil {
		return ports.SkipRetry(fmt.Errorf("notify: bad task payload: %w", err))
	}
	a, r, err := s.load(ctx, tk.AlertID, tk.RouteID)
	if err != nil || a == nil {
		return err
	}
	if !r.Matches(a.Severity) || (tk.Reminder > 0 && a.State != domain.AlertOpen) {
		return nil // the route was disabled or changed, or the alert acknowledged or resolved before its reminder
	}
	done, err := s.d.Store.NotificationDeliveries().Delivered(ctx, a.ID, tk.Transition, tk.Reminder, r.ID)
	if err != nil || done {
		return err
	}
	now := s.d.Clock.Now()
	if held, err := s.hold(ctx, tk, a, r, t.Attempt, now); err != nil || held {
		return err
	}
	if gone, err := s.suppressUnsent(ctx, tk, a, r, t.Attempt); err != nil || gone {
		return err
	}
	if grouped, err := s.group(ctx, tk, a, r, t.Attempt); err != nil || grouped {
		return err
	}
	d := &domain.NotificationDelivery{AlertID: a.ID, RouteID: r.ID, ChannelID: r.ChannelID, Transition: tk.Transition,
		Reminder: tk.Reminder, Attempt: t.Attempt}
	sendErr := s.allow(ctx, r, a.OrgID)
	if sendErr == nil {
		n := notification(a, tk.Transition, tk.Reminder)
		if dev, err := s.d.Store.Devices().Get(ctx, domain.GlobalScope(), a.DeviceID); err == nil {
			n.DeviceName = dev.Hostname
		}
		sendErr = s.send(ctx, r, n, d)
	}
	final := s.final(t.Attempt)
	d.Outcome, d.Detail = outcome(sendErr, final)
	s.record(ctx, d)
	if sendErr != nil {
		s.d.Logger.Warn("alert notification not delivered", "alert_id", a.ID, "route_id", r.ID, "channel", r.ChannelID,
			"reminder", tk.Reminder, "attempt", t.Attempt, "final", final, "error", sendErr)
		if final {
			return ports.SkipRetry(sendErr)
		}
		return sendErr
	}
	return nil
}

// load reads the task's alert and route; a deleted one is (nil, nil, nil):
// nothing to send.
func (s *Service) load(ctx context.Context, alertID, routeID string) (*domain.Alert, *domain.NotificationRoute, error) {
	g := domain.GlobalScope()
	a, err := s.d.Store.Alerts().Get(ctx, g, alertID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil, nil // the alert (or its rule) was deleted
	}
	if err != nil {
		return nil, nil, err
	}
	r, err := s.d.Store.NotificationRoutes().Get(ctx, g, routeID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil, nil // the route was deleted meanwhile
	}
	if err != nil {
		return nil, nil, err
	}
	return a, r, nil
}

// final reports whether attempt is the last one.
func (s *Service) final(attempt int) bool { return s.d.MaxRetries < 0 || attempt > s.d.MaxRetries }

// outcome is the log's outcome and detail of an attempt that ended in err.
func outcome(err error, final bool) (string, string) {
	switch {
	case err == nil:
		return domain.DeliveryDelivered, ""
	case final:
		return domain.DeliveryDead, err.Error()
	case errors.Is(err, errRateLimited):
		return domain.DeliveryRateLimited, err.Error()
	default:
		return domain.DeliveryFailed, err.Error()
	}
}

// record appends d to the delivery log, even when the attempt's ctx ended;
// a log that cannot be written is logged, never fatal to the delivery.
func (s *Service) record(ctx context.Context, d *domain.NotificationDelivery) {
	if len(d.Detail) > 1000 {
		d.Detail = d.Detail[:1000]
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := s.d.Store.NotificationDeliveries().Record(rctx, d); err != nil {
		s.d.Logger.Warn("notification delivery not logged", "alert_id", d.AlertID, "route_id", d.RouteID, "outcome", d.Outcome, "error", err)
	}
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
func (s *Service) send(ctx context.Context, r *domain.NotificationRoute, n ports.Notification, d *domain.NotificationDelivery) error {
	cctx, cancel := context.WithTimeout(ctx, s.d.AttemptTimeout)
	defer cancel()
	start := s.d.Clock.Now()
	res, err := s.d.Channels.Send(cctx, r.ChannelID, n)
	d.LatencyMS = s.d.Clock.Now().Sub(start).Milliseconds()
	// A deadline inside the call (the plugin's own, the host egress's it
	// calls back through) may fire a moment before cctx's, and the plugin
	// may answer it as an error or as "not delivered"; cctx's timer itself
	// may not have fired yet on a busy machine when that answer is back. So
	// a call that did not deliver and came back within the last 2 % of the
	// attempt's time, or later, is a timeout too.
	dl, _ := cctx.Deadline()
	nearDeadline := (err != nil || !res.Delivered) && time.Until(dl) < s.d.AttemptTimeout/50
	switch {
	case ctx.Err() == nil && (cctx.Err() != nil || nearDeadline):
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

// statusOf is the channel status of a transition: triggered,
// acknowledged or resolved.
func statusOf(tr domain.AlertState) string {
	switch tr {
	case domain.AlertResolved:
		return "resolved"
	case domain.AlertAcknowledged:
		return "acknowledged"
	}
	return "triggered"
}

// notification is what a channel gets for a's transition to tr, or its
// reminder n. Its ID is stable per (alert, transition, reminder): channels
// use it as a dedup key; a reminder carries the label "reminder" and the
// opening's status, so a paging channel re-triggers its incident.
func notification(a *domain.Alert, tr domain.AlertState, reminder int) ports.Notification {
	at := a.OpenedAt
	switch tr {
	case domain.AlertResolved:
		at = a.ResolvedAt
	case domain.AlertAcknowledged:
		at = a.AcknowledgedAt
	}
	n := ports.Notification{
		ID: a.ID + ":" + string(tr), OrgID: a.OrgID, DeviceID: a.DeviceID, Severity: string(a.Severity), Status: statusOf(tr),
		Title: fmt.Sprintf("[%s] %s", a.Severity, a.Message), Message: a.Message, Source: "breeze", OccurredAt: at,
		Labels: map[string]string{"alertId": a.ID, "ruleId": a.RuleID, "kind": a.Kind},
	}
	if reminder > 0 {
		n.ID += ":reminder:" + strconv.Itoa(reminder)
		n.Title = fmt.Sprintf("[%s] still open (reminder %d): %s", a.Severity, reminder, a.Message)
		n.Labels["reminder"] = strconv.Itoa(reminder)
	}
	return n
}
