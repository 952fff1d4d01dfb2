package notify

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// The repair finds transitions whose delivery task was lost: queued on a
// Redis that went away (and came back empty), or never queued because the
// queue refused it at the time. A transition that is at least repairGrace
// old and has no delivery-log row at all on a route that took it is
// queued again under its usual unique key: a task still waiting in the
// queue makes that a no-op, and the delivery log stops a second send. Only
// alerts changed within repairWindow are looked at.
const (
	repairGrace  = time.Minute
	repairWindow = time.Hour
	repairEvery  = time.Minute
	// repairPages bounds one pass (alerts changed in the window, in pages).
	repairPages = 20
)

// repair is one pass; it returns how many deliveries it queued again.
func (s *Service) repair(ctx context.Context, now time.Time) (int, error) {
	routes := map[string][]*domain.NotificationRoute{} // by org, for this pass
	page := domain.PageRequest{Limit: domain.MaxPageSize}
	queued := 0
	for range repairPages {
		p, err := s.d.Store.Alerts().List(ctx, domain.GlobalScope(), ports.AlertFilter{UpdatedFrom: now.Add(-repairWindow)}, page)
		if err != nil {
			return queued, err
		}
		for _, a := range p.Items {
			n, err := s.repairAlert(ctx, a, now, routes)
			if err != nil {
				return queued, err
			}
			queued += n
		}
		if p.NextCursor == "" {
			break
		}
		page.Cursor = p.NextCursor
	}
	return queued, nil
}

// passed is a transition an alert went through, and when.
type passed struct {
	state domain.AlertState
	at    time.Time
}

func transitionsOf(a *domain.Alert) []passed {
	out := []passed{{domain.AlertOpen, a.OpenedAt}}
	if !a.AcknowledgedAt.IsZero() {
		out = append(out, passed{domain.AlertAcknowledged, a.AcknowledgedAt})
	}
	if a.State == domain.AlertResolved {
		out = append(out, passed{domain.AlertResolved, a.ResolvedAt})
	}
	return out
}

func (s *Service) repairAlert(ctx context.Context, a *domain.Alert, now time.Time, routes map[string][]*domain.NotificationRoute) (int, error) {
	var due []int
	trs := transitionsOf(a)
	for i, t := range trs {
		if now.Sub(t.at) >= repairGrace && now.Sub(t.at) <= repairWindow {
			due = append(due, i)
		}
	}
	if len(due) == 0 {
		return 0, nil
	}
	rs, ok := routes[a.OrgID]
	if !ok {
		var err error
		if rs, err = s.d.Store.NotificationRoutes().ForOrg(ctx, a.OrgID); err != nil {
			return 0, err
		}
		routes[a.OrgID] = rs
	}
	if len(rs) == 0 {
		return 0, nil
	}
	logged, err := s.d.Store.NotificationDeliveries().List(ctx, domain.GlobalScope(), ports.DeliveryFilter{AlertID: a.ID},
		domain.PageRequest{Limit: domain.MaxPageSize})
	if err != nil {
		return 0, err
	}
	seen := map[string]bool{}
	for _, d := range logged.Items {
		if d.Reminder == 0 {
			seen[string(d.Transition)+" "+d.RouteID] = true
		}
	}
	queued := 0
	for _, i := range due {
		t := trs[i]
		for _, r := range rs {
			// A route made after the transition never took it.
			if !r.Matches(a.Severity) || r.CreatedAt.After(t.at) || seen[string(t.state)+" "+r.ID] {
				continue
			}
			tk := task{AlertID: a.ID, RouteID: r.ID, Transition: t.state}
			payload, _ := json.Marshal(tk)
			_, err := s.d.Queue.Enqueue(ctx, TaskKind, payload, ports.EnqueueOptions{MaxRetries: s.d.MaxRetries,
				Timeout: s.d.AttemptTimeout + 10*time.Second, UniqueKey: tk.key()})
			if errors.Is(err, ports.ErrDuplicateTask) {
				continue // still waiting in the queue: not lost
			}
			if err != nil {
				return queued, err
			}
			queued++
			s.d.Logger.Warn("alert notification queued again: its task was lost", "alert_id", a.ID, "route_id", r.ID,
				"transition", t.state)
		}
	}
	return queued, nil
}
