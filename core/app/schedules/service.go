// Package schedules runs scripts and built-in agent actions on a target
// (devices, a group, a site or an org, resolved at fire time) on a cron
// expression or once, in a named time zone (cron.go: the fire rules and
// DST). A scheduler loop on every node finds due schedules and enqueues
// one queue task per (schedule, fire time) with that pair as its unique
// key; the task's handler records one Fire row per pair (unique in the
// store), so a fire happens once across nodes, retries and restarts. The
// fire starts a script run through the scripts service, or the action's
// commands through the commands service, as the schedule's creator, whose
// permission is checked again then.
package schedules

import (
	"context"
	"errors"
	"time"

	"github.com/breeze-rmm/breeze/core/app/commands"
	"github.com/breeze-rmm/breeze/core/app/scripts"
	"github.com/breeze-rmm/breeze/ports"
)

// TaskFire is the queue task of one fire.
const TaskFire = "schedule.fire"

// Defaults.
const (
	DefaultTick = time.Second
	// OnTime is how late a fire may start and still count as on time when
	// the schedule has no grace (a node restarting, a slow tick).
	OnTime = time.Minute
	// dueBatch bounds one read of due schedules.
	dueBatch = 500
	// maxMissedScan bounds the walk over fires missed while every node was
	// down (a minutely schedule down for ~70 days).
	maxMissedScan = 100_000
)

// Deps are the service's collaborators.
type Deps struct {
	Store    ports.Store
	Scripts  *scripts.Service
	Commands *commands.Service
	Queue    ports.Queue
	Clock    ports.Clock
	Logger   ports.Logger
	// Sealer seals secret parameter values at rest (the commands'); nil:
	// stored as given.
	Sealer commands.Sealer
	// Scans starts the scans of discovery schedules (nil: that task kind
	// is refused).
	Scans Scans
	// Tick is how often the loop looks for due schedules (DefaultTick).
	Tick time.Duration
}

// Service implements the schedule use cases and fires schedules.
type Service struct{ d Deps }

// New checks deps and fills defaults. Register the fire task with
// RegisterTasks and run the loop with Run.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Scripts == nil || d.Commands == nil || d.Queue == nil {
		return nil, errors.New("schedules: Store, Scripts, Commands and Queue are required")
	}
	if d.Clock == nil {
		d.Clock = ports.ClockFunc(time.Now)
	}
	if d.Logger == nil {
		d.Logger = ports.NopLogger{}
	}
	if d.Tick <= 0 {
		d.Tick = DefaultTick
	}
	return &Service{d: d}, nil
}

// RegisterTasks installs the fire handler on q. Fires wait on the database
// and the queue more than they compute: 12 workers a node.
func (s *Service) RegisterTasks(q ports.Queue) { q.Handle(TaskFire, 12, s.onFire) }

// Run looks for due schedules every Tick until ctx ends. The ticks are
// aligned to whole multiples of Tick (plus a few milliseconds): fire times
// are whole seconds, so an aligned tick finds a fire as soon as it is due
// instead of up to a Tick later.
func (s *Service) Run(ctx context.Context) {
	for {
		if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.d.Logger.Warn("schedules: due fires not queued; the next tick retries", "error", err)
		}
		t := time.NewTimer(untilNextTick(s.d.Clock.Now(), s.d.Tick))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// tickSlack puts a tick just after the second it aligns to, so a fire due
// on that second is already due by the tick's clock.
const tickSlack = 3 * time.Millisecond

// untilNextTick is the wait from now to the next aligned tick.
func untilNextTick(now time.Time, every time.Duration) time.Duration {
	next := now.Truncate(every).Add(every + tickSlack)
	if d := next.Sub(now); d > every {
		return d - every // still within this period's slack
	}
	return next.Sub(now)
}
