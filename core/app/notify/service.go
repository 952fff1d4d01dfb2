// Package notify turns alert transitions into notifications: each
// transition that notifies becomes one queued task per matching route
// (unique per alert, transition and route, so two nodes or a restart never
// send it twice), delivered through the route's alert-channel plugin with
// a per-attempt timeout, retried with backoff, and dead-lettered after the
// last attempt. Every attempt is kept in the delivery log.
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// TaskKind is the queue kind of one delivery.
const TaskKind = "notify.deliver"

// Defaults.
const (
	DefaultAttemptTimeout = 15 * time.Second
	DefaultMaxRetries     = 5
	DefaultConcurrency    = 8
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
	Clock   ports.Clock
	Logger  ports.Logger
	// AttemptTimeout bounds one send; MaxRetries follow the first attempt;
	// Concurrency is how many sends run at once on this node.
	AttemptTimeout time.Duration
	MaxRetries     int
	Concurrency    int
}

// Service implements the routes' use cases and the delivery worker.
type Service struct{ d Deps }

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
	return &Service{d: d}, nil
}

// Register installs the delivery handler on the queue (before its Start).
func (s *Service) Register() { s.d.Queue.Handle(TaskKind, s.d.Concurrency, s.deliver) }

// task is one delivery's payload.
type task struct {
	AlertID    string            `json:"alertId"`
	RouteID    string            `json:"routeId"`
	Transition domain.AlertState `json:"transition"`
}

// notifies says which transitions are sent: an opening and a resolution.
func notifies(st domain.AlertState) bool {
	return st == domain.AlertOpen || st == domain.AlertResolved
}

// AlertTransitioned enqueues one delivery per route that takes a's
// severity, after a's transition to a.State is stored (alerts.Deps.Notify).
// It never fails the transition: a problem is logged.
func (s *Service) AlertTransitioned(ctx context.Context, a *domain.Alert) {
	if a == nil || !notifies(a.State) {
		return
	}
	routes, err := s.d.Store.NotificationRoutes().ForOrg(ctx, a.OrgID)
	if err != nil {
		s.d.Logger.Warn("alert not notified: routes not read", "alert_id", a.ID, "error", err)
		return
	}
	for _, r := range routes {
		if !r.Matches(a.Severity) {
			continue
		}
		payload, _ := json.Marshal(task{AlertID: a.ID, RouteID: r.ID, Transition: a.State})
		_, err := s.d.Queue.Enqueue(ctx, TaskKind, payload, ports.EnqueueOptions{
			MaxRetries: s.d.MaxRetries,
			// The queue's bound is a backstop; deliver has its own.
			Timeout:   s.d.AttemptTimeout + 10*time.Second,
			UniqueKey: a.ID + ":" + string(a.State) + ":" + r.ID,
		})
		if err != nil && !errors.Is(err, ports.ErrDuplicateTask) {
			s.d.Logger.Warn("alert notification not queued", "alert_id", a.ID, "route_id", r.ID, "error", err)
		}
	}
}
