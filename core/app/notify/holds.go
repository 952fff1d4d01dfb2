package notify

import (
	"context"
	"strconv"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Holds says whether an alert's notifications are held at a time
// (maintenance windows, snooze: core/app/maintenance implements it). A
// zero until is not held; reason is shown in the delivery log.
type Holds interface {
	HeldUntil(ctx context.Context, a *domain.Alert, at time.Time) (until time.Time, reason string, err error)
}

// hold handles a delivery whose alert is held now. The transition's task
// is queued again for `until` under its key plus the hold's end (a
// fresh task: the hold uses up none of its retries; a hold extended
// meanwhile moves it again) and the log gets a "held" row. A reminder
// that falls in a hold is skipped ("suppressed"): the next one follows.
// Holds that cannot be read let the delivery through, as the rate limit
// does: losing an alert is worse than one message in a maintenance window.
func (s *Service) hold(ctx context.Context, tk task, a *domain.Alert, r *domain.NotificationRoute, attempt int, now time.Time) (bool, error) {
	if s.d.Holds == nil {
		return false, nil
	}
	until, reason, err := s.d.Holds.HeldUntil(ctx, a, now)
	if err != nil {
		s.d.Logger.Warn("notification holds not read: sending", "alert_id", a.ID, "error", err)
		return false, nil
	}
	if until.IsZero() || !until.After(now) {
		return false, nil
	}
	reason = domain.Abbrev(reason, 200)
	d := &domain.NotificationDelivery{AlertID: a.ID, RouteID: r.ID, ChannelID: r.ChannelID, Transition: tk.Transition,
		Reminder: tk.Reminder, Attempt: attempt, HeldUntil: until}
	if tk.Reminder > 0 {
		d.Outcome, d.Detail = domain.DeliverySuppressed, "reminder skipped: held until "+until.UTC().Format(time.RFC3339)+": "+reason
		s.record(ctx, d)
		return true, nil
	}
	if err := s.enqueue(ctx, tk, ":held:"+strconv.FormatInt(until.UnixMicro(), 10), until); err != nil {
		return true, err // retried: the hold is asked again
	}
	d.Outcome, d.Detail = domain.DeliveryHeld, reason
	s.record(ctx, d)
	return true, nil
}

// suppressUnsent decides the notifications of an alert resolved while its
// opening was held on this route: the opening was never sent, so neither
// it nor its acknowledgement or resolution is (each gets a "suppressed"
// row); a channel never hears of an alert that came and went during a
// maintenance window. An opening that was sent before the hold began is
// followed by its resolution as usual.
func (s *Service) suppressUnsent(ctx context.Context, tk task, a *domain.Alert, r *domain.NotificationRoute, attempt int) (bool, error) {
	if a.State != domain.AlertResolved || tk.Reminder > 0 {
		return false, nil
	}
	page, err := s.d.Store.NotificationDeliveries().List(ctx, domain.GlobalScope(),
		ports.DeliveryFilter{AlertID: a.ID, RouteID: r.ID}, domain.PageRequest{Limit: domain.MaxPageSize})
	if err != nil {
		return false, err
	}
	held := false
	for _, d := range page.Items {
		if d.Transition != domain.AlertOpen || d.Reminder != 0 {
			continue
		}
		switch d.Outcome {
		case domain.DeliveryDelivered:
			return false, nil
		case domain.DeliveryHeld:
			held = true
		}
	}
	if !held {
		return false, nil
	}
	detail := "the opening was held and never sent: resolved meanwhile"
	if tk.Transition == domain.AlertOpen {
		detail = "resolved while held: neither the opening nor its resolution is sent"
	}
	s.record(ctx, &domain.NotificationDelivery{AlertID: a.ID, RouteID: r.ID, ChannelID: r.ChannelID, Transition: tk.Transition,
		Attempt: attempt, Outcome: domain.DeliverySuppressed, Detail: detail})
	return true, nil
}
