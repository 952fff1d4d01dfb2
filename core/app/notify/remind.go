package notify

import (
	"context"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// sweepLimit bounds the open alerts one sweep reads.
const sweepLimit = 100_000

// groupRetention is how long storm-group places are kept after their
// window ends (a delivery retried later than that may go out alone).
const groupRetention = 24 * time.Hour

// Run sweeps every SweepEvery until ctx ends: it queues due reminders, the
// digests of windows whose digest task was lost, and (every repairEvery)
// the deliveries whose task was lost (repair.go). Every node runs it;
// the queue's unique keys and the delivery log keep each reminder and
// digest to one send.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.d.SweepEvery)
	defer t.Stop()
	for {
		s.Sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep is one pass of Run (tests call it directly).
func (s *Service) Sweep(ctx context.Context) {
	now := s.d.Clock.Now()
	if err := s.remind(ctx, now); err != nil {
		s.d.Logger.Warn("notification reminders not queued", "error", err)
	}
	due, err := s.d.Store.NotificationGroups().Due(ctx, now, domain.MaxPageSize)
	if err != nil {
		s.d.Logger.Warn("notification digests not checked", "error", err)
	}
	for _, w := range due {
		if err := s.enqueueDigest(ctx, w, now, ""); err != nil {
			s.d.Logger.Warn("notification digest not queued", "route_id", w.RouteID, "error", err)
		}
	}
	s.mu.Lock()
	repair := now.Sub(s.repaired) >= repairEvery
	s.mu.Unlock()
	if repair {
		if n, err := s.repair(ctx, now); err != nil {
			s.d.Logger.Warn("lost notifications not repaired", "error", err)
		} else {
			if n > 0 {
				s.d.Logger.Warn("notifications whose task was lost queued again", "count", n)
			}
			s.mu.Lock()
			s.repaired = now
			s.mu.Unlock()
		}
	}
	s.mu.Lock()
	prune := now.Sub(s.pruned) >= time.Hour
	s.mu.Unlock()
	if prune {
		if _, err := s.d.Store.NotificationGroups().Prune(ctx, now.Add(-groupRetention)); err != nil {
			s.d.Logger.Warn("notification groups not pruned", "error", err)
		} else {
			s.mu.Lock()
			s.pruned = now
			s.mu.Unlock()
		}
	}
}

// remind queues reminder n of every open alert whose rule re-notifies,
// n = whole intervals since the opening: reminder n is due at
// OpenedAt + n × RenotifySeconds. Only the latest due one is queued (a
// node down for a while does not catch up with a burst). An acknowledged
// or resolved alert gets none. Its unique key is (alert, n, route), and a
// reminder already delivered is not sent again, so neither two nodes nor
// a restart send reminder n twice.
func (s *Service) remind(ctx context.Context, now time.Time) error {
	rules, err := s.d.Store.AlertRules().Enabled(ctx)
	if err != nil {
		return err
	}
	every := map[string]time.Duration{}
	for _, r := range rules {
		if r.RenotifySeconds > 0 {
			every[r.ID] = time.Duration(r.RenotifySeconds) * time.Second
		}
	}
	seen := map[string]bool{}
	if len(every) > 0 {
		open, err := s.d.Store.Alerts().Unresolved(ctx, "", "", sweepLimit)
		if err != nil {
			return err
		}
		for _, a := range open {
			iv, ok := every[a.RuleID]
			if !ok || a.State != domain.AlertOpen || a.OpenedAt.IsZero() {
				continue
			}
			seen[a.ID] = true
			n := int(now.Sub(a.OpenedAt) / iv)
			s.mu.Lock()
			queued := s.reminded[a.ID] >= n
			s.mu.Unlock()
			if n < 1 || queued {
				continue
			}
			if s.fanOut(ctx, a, n) {
				s.mu.Lock()
				s.reminded[a.ID] = n
				s.mu.Unlock()
			}
		}
	}
	s.mu.Lock()
	for id := range s.reminded {
		if !seen[id] {
			delete(s.reminded, id)
		}
	}
	s.mu.Unlock()
	return nil
}
