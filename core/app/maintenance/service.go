// Package maintenance is planned work: maintenance windows over a scope
// of devices (an org's own or partner-wide, named like an alert rule's
// scope), one-off or weekly in a named time zone (schedule.go). While a
// window covers a device its alerts still open, show "in maintenance",
// and have their notifications held (HeldUntil, with alert snoozes). The
// enabled windows are kept compiled in memory per partner, reloaded on
// every change here, on a change announced by another node (Topic) and
// periodically, so the hold check reads no store on the hot path.
package maintenance

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Topic carries "the maintenance windows changed" between nodes (no
// payload): each reloads at once; the periodic reload is the safety net.
const Topic = "maintenance.windows.changed"

// Defaults.
const (
	DefaultReloadEvery = 30 * time.Second
	// DefaultMaxEnabledPerPartner bounds a partner's enabled windows:
	// every hold check of its alerts looks at each of them.
	DefaultMaxEnabledPerPartner = 1000
)

// Hold reasons.
const (
	ReasonMaintenance = "maintenance"
	ReasonSnoozed     = "snoozed"
)

// Deps are the service's collaborators.
type Deps struct {
	Store  ports.Store
	Clock  ports.Clock
	Logger ports.Logger
	// Bus, when set, carries window changes to the other nodes at once;
	// nil: one node, the periodic reload.
	Bus                  ports.Bus
	ReloadEvery          time.Duration
	MaxEnabledPerPartner int
}

// Service implements the window use cases and answers "is this device in
// maintenance".
type Service struct {
	d     Deps
	set   atomic.Pointer[windowSet]
	load  sync.Mutex // one reload at a time
	ready atomic.Bool
}

// compiled is an enabled window ready to match devices.
type compiled struct {
	w     *domain.MaintenanceWindow
	sched *Schedule
	scope map[string]bool
}

// windowSet is every enabled window, compiled, by partner.
type windowSet struct {
	byPartner map[string][]*compiled
}

// New checks deps and fills defaults.
func New(d Deps) (*Service, error) {
	if d.Store == nil {
		return nil, errors.New("maintenance: Store is required")
	}
	if d.Clock == nil {
		d.Clock = ports.ClockFunc(time.Now)
	}
	if d.Logger == nil {
		d.Logger = ports.NopLogger{}
	}
	if d.ReloadEvery <= 0 {
		d.ReloadEvery = DefaultReloadEvery
	}
	if d.MaxEnabledPerPartner <= 0 {
		d.MaxEnabledPerPartner = DefaultMaxEnabledPerPartner
	}
	s := &Service{d: d}
	s.set.Store(&windowSet{byPartner: map[string][]*compiled{}})
	return s, nil
}

// Reload reads and compiles every enabled window.
func (s *Service) Reload(ctx context.Context) error {
	s.load.Lock()
	defer s.load.Unlock()
	ws, err := s.d.Store.MaintenanceWindows().Enabled(ctx)
	if err != nil {
		return err
	}
	set := &windowSet{byPartner: map[string][]*compiled{}}
	for _, w := range ws {
		sched, err := Compile(w)
		if err != nil {
			s.d.Logger.Warn("maintenance window not compiled", "window_id", w.ID, "error", err)
			continue
		}
		set.byPartner[w.PartnerID] = append(set.byPartner[w.PartnerID], &compiled{w: w, sched: sched, scope: toSet(w.ScopeIDs)})
	}
	s.set.Store(set)
	s.ready.Store(true)
	return nil
}

func toSet(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// windows returns the compiled windows, loading them once if no reload
// has succeeded yet (a service used before Run).
func (s *Service) windows(ctx context.Context) *windowSet {
	if !s.ready.Load() {
		if err := s.Reload(ctx); err != nil {
			s.d.Logger.Warn("maintenance windows not loaded", "error", err)
		}
	}
	return s.set.Load()
}

// Run follows changes announced by other nodes and reloads periodically
// until ctx ends.
func (s *Service) Run(ctx context.Context) {
	var sub ports.Subscription
	subscribe := func() {
		if s.d.Bus == nil || sub != nil {
			return
		}
		var err error
		if sub, err = s.d.Bus.Subscribe(ctx, Topic); err != nil {
			s.d.Logger.Warn("maintenance window changes of other nodes will be seen at the periodic reload", "error", err)
			sub = nil
		}
	}
	subscribe() // before the first load: no change is missed in between
	defer func() {
		if sub != nil {
			_ = sub.Close()
		}
	}()
	if err := s.Reload(ctx); err != nil {
		s.d.Logger.Warn("maintenance windows not loaded; retrying", "error", err)
	}
	tick := time.NewTicker(s.d.ReloadEvery)
	defer tick.Stop()
	for {
		var changed <-chan ports.Message
		if sub != nil {
			changed = sub.C()
		}
		select {
		case <-ctx.Done():
			return
		case _, ok := <-changed:
			if !ok {
				_ = sub.Close()
				sub = nil
				continue
			}
			if err := s.Reload(ctx); err != nil {
				s.d.Logger.Warn("maintenance windows not reloaded after a change", "error", err)
			}
		case <-tick.C:
			subscribe()
			if err := s.Reload(ctx); err != nil {
				s.d.Logger.Warn("maintenance windows not reloaded", "error", err)
			}
		}
	}
}

// changed reloads after a write here and tells the other nodes.
func (s *Service) changed(ctx context.Context) {
	if err := s.Reload(ctx); err != nil {
		s.d.Logger.Warn("maintenance windows not reloaded; the periodic reload will", "error", err)
	}
	if s.d.Bus == nil {
		return
	}
	if err := s.d.Bus.Publish(ctx, Topic, nil); err != nil {
		s.d.Logger.Warn("maintenance window change not announced; other nodes see it at their next reload", "error", err)
	}
}
