// Package notify turns alert transitions into notifications: each
// transition (opening, acknowledgement, resolution) becomes one queued
// task per matching route (unique per alert, transition and route, so two
// nodes or a restart never send it twice), delivered through the route's
// alert-channel plugin with a per-attempt timeout, retried with backoff,
// and dead-lettered after the last attempt. Every attempt is kept in the
// delivery log. On top of that (one file each):
//   - holds.go: a maintenance window or snooze holds a delivery until it
//     ends, without using up its retries;
//   - remind.go: a rule's RenotifySeconds re-sends the opening of an
//     alert still open, every interval, from a periodic sweep;
//   - group.go: a storm (many alerts of one rule at once) goes out as a
//     few single notifications and one digest per route and window.
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Queue kinds: one delivery, one storm digest.
const (
	TaskKind   = "notify.deliver"
	DigestKind = "notify.digest"
)

// Defaults.
const (
	DefaultAttemptTimeout = 15 * time.Second
	DefaultMaxRetries     = 5
	DefaultConcurrency    = 8
	DefaultSweepEvery     = 30 * time.Second
)

// Channels sends through an installed alert-channel plugin with an org's
// settings (core/app/plugins.Service.Send).
type Channels interface {
	Send(ctx context.Context, pluginID string, n ports.Notification) (ports.NotifyResult, error)
}

// Deps are the service's collaborators.
type Deps struct {
	Store    ports.Store
	Queue    ports.Queue
	Channels Channels
	// Limiter enforces the routes' rate limits; nil: none.
	Limiter ports.RateLimiter
	// Holds says whether an alert's notifications are held (maintenance
	// windows, snooze); nil: nothing is ever held.
	Holds  Holds
	Clock  ports.Clock
	Logger ports.Logger
	// AttemptTimeout bounds one send; MaxRetries follow the first attempt;
	// Concurrency is how many sends run at once on this node.
	AttemptTimeout time.Duration
	MaxRetries     int
	Concurrency    int
	// SweepEvery is how often Run queues due reminders and digests.
	SweepEvery time.Duration
}

// Service implements the routes' use cases, the delivery worker and the
// reminder sweep.
type Service struct {
	d Deps
	// reminded remembers, per alert, the last reminder this node queued,
	// so a sweep queues each reminder once per node (the delivery log
	// stops a second send across nodes and restarts).
	mu       sync.Mutex
	reminded map[string]int
	pruned   time.Time
	repaired time.Time
}

// New checks deps and fills defaults.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Queue == nil || d.Channels == nil {
		return nil, errors.New("notify: Store, Queue and Channels are required")
	}
	if d.Clock == nil {
		d.Clock = ports.ClockFunc(time.Now)
	}
	if d.Logger == nil {
		d.Logger = ports.NopLogger{}
	}
	if d.AttemptTimeout <= 0 {
		d.AttemptTimeout = DefaultAttemptTimeout
	}
	if d.MaxRetries == 0 {
		d.MaxRetries = DefaultMaxRetries
	}
	if d.MaxRetries < 0 {
		d.MaxRetries = -1
	}
	if d.Concurrency <= 0 {
		d.Concurrency = DefaultConcurrency
	}
	if d.SweepEvery <= 0 {
		d.SweepEvery = DefaultSweepEvery
	}
	return &Service{d: d, reminded: map[string]int{}}, nil
}

// Register installs the delivery and digest handlers on the queue (before
// its Start).
func (s *Service) Register() {
	s.d.Queue.Handle(TaskKind, s.d.Concurrency, s.deliver)
	s.d.Queue.Handle(DigestKind, max(1, s.d.Concurrency/4), s.digest)
}

// task is one delivery's payload.
type task struct {
	AlertID    string            `json:"alertId"`
	RouteID    string            `json:"routeId"`
	Transition domain.AlertState `json:"transition"`
	// Reminder n > 0: the n-th re-notification of the opening.
	Reminder int `json:"reminder,omitempty"`
}

// key is the task's unique key: one per (alert, transition or reminder,
// route).
func (tk task) key() string {
	if tk.Reminder > 0 {
		return tk.AlertID + ":reminder:" + strconv.Itoa(tk.Reminder) + ":" + tk.RouteID
	}
	return tk.AlertID + ":" + string(tk.Transition) + ":" + tk.RouteID
}

// notifies says which transitions are sent: all three (an acknowledgement
// lets a paging channel acknowledge its incident).
func notifies(st domain.AlertState) bool {
	return st == domain.AlertOpen || st == domain.AlertAcknowledged || st == domain.AlertResolved
}

// AlertTransitioned enqueues one delivery per route that takes a's
// severity, after a's transition to a.State is stored (alerts.Deps.Notify).
// It never fails the transition: a problem is logged.
func (s *Service) AlertTransitioned(ctx context.Context, a *domain.Alert) {
	if a == nil || !notifies(a.State) {
		return
	}
	s.fanOut(ctx, a, 0)
}

// fanOut queues (a's state or reminder n) on every route that takes it;
// it reports whether every route got its task.
func (s *Service) fanOut(ctx context.Context, a *domain.Alert, reminder int) bool {
	routes, err := s.d.Store.NotificationRoutes().ForOrg(ctx, a.OrgID)
	if err != nil {
		s.d.Logger.Warn("alert not notified: routes not read", "alert_id", a.ID, "error", err)
		return false
	}
	ok := true
	for _, r := range routes {
		if !r.Matches(a.Severity) {
			continue
		}
		if err := s.enqueue(ctx, task{AlertID: a.ID, RouteID: r.ID, Transition: a.State, Reminder: reminder}, "", time.Time{}); err != nil {
			ok = false
			s.d.Logger.Warn("alert notification not queued", "alert_id", a.ID, "route_id", r.ID, "reminder", reminder, "error", err)
		}
	}
	return ok
}

// enqueue queues tk under its key plus suffix, at `at` (zero: now); a
// task already queued under that key is no error.
func (s *Service) enqueue(ctx context.Context, tk task, suffix string, at time.Time) error {
	payload, _ := json.Marshal(tk)
	_, err := s.d.Queue.Enqueue(ctx, TaskKind, payload, ports.EnqueueOptions{
		ProcessAt:  at,
		MaxRetries: s.d.MaxRetries,
		// The queue's bound is a backstop; deliver has its own.
		Timeout:   s.d.AttemptTimeout + 10*time.Second,
		UniqueKey: tk.key() + suffix,
	})
	if errors.Is(err, ports.ErrDuplicateTask) {
		return nil
	}
	return err
}
