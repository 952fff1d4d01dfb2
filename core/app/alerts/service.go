// Package alerts is monitoring: alert rules (an org's own or partner-wide,
// applied to a scope with exclusions), the alert lifecycle (open →
// acknowledged → resolved, every transition kept with its actor) and the
// evaluation: compiled rules judge each heartbeat with per-device windows
// in memory (Evaluator), the reports event conditions hear (inventory,
// plugin states, finished commands) arrive through the Intake and are
// judged by the evaluation job, and a sweep judges device_offline and the
// auto-resolve periods. Transitions go through the store's
// insert-if-no-unresolved-alert, so several nodes never open the same
// alert twice. New orgs get the default rules (Templates).
package alerts

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/breeze-rmm/breeze/core/app/events"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// Event types on the live stream.
const (
	TypeAlertOpened       = "alert.opened"
	TypeAlertAcknowledged = "alert.acknowledged"
	TypeAlertResolved     = "alert.resolved"
	TypeAlertSnoozed      = "alert.snoozed"
	TypeAlertUnsnoozed    = "alert.unsnoozed"
)

// Publisher publishes browser events (events.Publisher).
type Publisher interface {
	PublishData(ctx context.Context, e events.Event, v any)
}

type nopPublisher struct{}

func (nopPublisher) PublishData(context.Context, events.Event, any) {}

// Defaults.
const (
	DefaultReloadEvery = 30 * time.Second
	DefaultSweepEvery  = 30 * time.Second
	DefaultQueue       = 10_000
)

// Deps are the service's collaborators.
type Deps struct {
	Store  ports.Store
	Events Publisher
	Clock  ports.Clock
	Logger ports.Logger
	// Bus, when set, carries rule changes to the other nodes at once
	// (RulesTopic) and device moves from the live events (events.Topic),
	// whose windows are then forgotten; nil: one node, the periodic reload.
	Bus ports.Bus
	// ReloadEvery recompiles the rules (the safety net behind the bus) and
	// reconciles the open-alert state with the store; SweepEvery
	// runs the offline sweep. QueueSize bounds pending transitions and
	// warm-ups.
	ReloadEvery, SweepEvery time.Duration
	QueueSize               int
	// Notify hears every stored transition (core/app/notify); nil: none.
	Notify interface {
		AlertTransitioned(ctx context.Context, a *domain.Alert)
	}
	// Intake receives the reports event conditions judge; nil: one is
	// made (Service.Intake), sized QueueSize.
	Intake *Intake
	// Maintenance fills the alerts' MaintenanceUntil when they are read
	// (core/app/maintenance); nil: never in maintenance.
	Maintenance Maintenance
}

// Service implements the alert use cases and runs the evaluation.
type Service struct {
	d   Deps
	ev  *Evaluator
	gen atomic.Uint64
	// sweepMu serialises sweeps; backAt holds the offline alerts whose
	// device was back at the last sweep.
	sweepMu sync.Mutex
	backAt  map[string]bool
	// rem runs rules' remediations (EnableRemediation); nil: none run.
	rem *Remediation
}

// New checks deps and fills defaults.
func New(d Deps) (*Service, error) {
	if d.Store == nil {
		return nil, errors.New("alerts: Store is required")
	}
	if d.Clock == nil {
		d.Clock = ports.ClockFunc(time.Now)
	}
	if d.Logger == nil {
		d.Logger = ports.NopLogger{}
	}
	if d.Events == nil {
		d.Events = nopPublisher{}
	}
	if d.ReloadEvery <= 0 {
		d.ReloadEvery = DefaultReloadEvery
	}
	if d.SweepEvery <= 0 {
		d.SweepEvery = DefaultSweepEvery
	}
	if d.QueueSize <= 0 {
		d.QueueSize = DefaultQueue
	}
	if d.Intake == nil {
		d.Intake = NewIntake(d.QueueSize)
	}
	return &Service{d: d, ev: newEvaluator(d.QueueSize)}, nil
}

// Intake is the report hook (agents.Deps.Reports, commands.Deps.Monitor).
func (s *Service) Intake() *Intake { return s.d.Intake }

// Evaluator is the heartbeat hook (agents.Deps.Monitor).
func (s *Service) Evaluator() *Evaluator { return s.ev }

// Observe implements the agents' sample hook.
func (s *Service) Observe(ctx context.Context, deviceID string, at time.Time, hb *protocol.Heartbeat) {
	s.ev.Observe(ctx, deviceID, at, hb)
}

// reconcileLimit bounds the unresolved alerts one reconcile reads.
const reconcileLimit = 100_000

// Reload compiles every enabled rule into a new generation, then
// reconciles the evaluator's open-alert state with the store: a
// transition lost to a store outage or a full queue is repaired here
// (an alert the store lacks is opened again while the breach lasts; one
// it holds is resolved when the condition clears).
func (s *Service) Reload(ctx context.Context) error {
	rules, err := s.d.Store.AlertRules().Enabled(ctx)
	if err != nil {
		return err
	}
	rs, errs := compile(s.gen.Add(1), rules)
	for _, err := range errs {
		s.d.Logger.Warn("alert rule not compiled", "error", err)
	}
	s.ev.rules.Store(rs)
	return s.reconcile(ctx, rs)
}

func (s *Service) reconcile(ctx context.Context, rs *ruleSet) error {
	applied := s.ev.applied.Load()
	alerts, err := s.d.Store.Alerts().Unresolved(ctx, "", "", reconcileLimit)
	if err != nil {
		return fmt.Errorf("reconcile open alerts: %w", err)
	}
	open := map[string]map[string]bool{}
	for _, a := range alerts {
		if open[a.DeviceID] == nil {
			open[a.DeviceID] = map[string]bool{}
		}
		open[a.DeviceID][a.RuleID] = true
	}
	if n := s.ev.reconcile(rs, open, len(alerts) < reconcileLimit, applied); n > 0 {
		s.d.Logger.Warn("alert state reconciled with the store", "windows", n)
	}
	return nil
}

// Run reloads rules, warms devices, persists transitions and sweeps until
// ctx ends; with a Bus it also follows rule changes and device moves.
func (s *Service) Run(ctx context.Context) {
	w := &watch{s: s}
	w.open(ctx) // before the first load: no change is missed in between
	defer w.close()
	if err := s.Reload(ctx); err != nil {
		s.d.Logger.Warn("alert rules not loaded; retrying", "error", err)
	}
	reload, sweep := time.NewTicker(s.d.ReloadEvery), time.NewTicker(s.d.SweepEvery)
	defer reload.Stop()
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-s.ev.warm:
			s.warmUp(ctx, id)
		case t := <-s.ev.out:
			s.persist(ctx, t)
		case ev := <-s.d.Intake.c:
			s.judge(ctx, &ev)
		case _, ok := <-w.rulesC():
			if !ok {
				w.ended(&w.rules)
				continue
			}
			if err := s.Reload(ctx); err != nil {
				s.d.Logger.Warn("alert rules not reloaded after a change", "error", err)
			}
		case <-reload.C:
			w.check(ctx)
			if err := s.Reload(ctx); err != nil {
				s.d.Logger.Warn("alert rules not reloaded", "error", err)
			}
		case <-sweep.C:
			if err := s.Sweep(ctx); err != nil {
				s.d.Logger.Warn("offline sweep failed", "error", err)
			}
		}
	}
}

// Flush does the pending warm-ups and transitions in the caller's
// goroutine (tests and tools that do not Run).
func (s *Service) Flush(ctx context.Context) {
	for {
		select {
		case id := <-s.ev.warm:
			s.warmUp(ctx, id)
		case t := <-s.ev.out:
			s.persist(ctx, t)
		case ev := <-s.d.Intake.c:
			s.judge(ctx, &ev)
		default:
			return
		}
	}
}

// warmUp loads a device's placement and unresolved alerts once.
func (s *Service) warmUp(ctx context.Context, deviceID string) {
	d, err := s.d.Store.Devices().Get(ctx, domain.GlobalScope(), deviceID)
	if err != nil {
		s.ev.warming.Delete(deviceID)
		s.d.Logger.Warn("device not warmed for alerting", "device_id", deviceID, "error", err)
		return
	}
	open := map[string]bool{}
	alerts, err := s.d.Store.Alerts().Unresolved(ctx, deviceID, "", domain.MaxPageSize)
	if err != nil {
		s.ev.warming.Delete(deviceID)
		s.d.Logger.Warn("device not warmed for alerting", "device_id", deviceID, "error", err)
		return
	}
	for _, a := range alerts {
		open[a.RuleID] = true
	}
	s.ev.install(deviceID, placement{d.PartnerID, d.OrgID, d.SiteID, d.GroupID}, open)
}

// persist writes one queued transition of a window; a store failure is
// retried a few times, then left to the next reconcile.
func (s *Service) persist(ctx context.Context, t transition) {
	defer s.ev.applied.Store(t.seq)
	s.store(ctx, t)
}

// store writes one transition, retrying a store failure a few times.
func (s *Service) store(ctx context.Context, t transition) {
	for attempt := range 3 {
		err := s.apply(ctx, t)
		if err == nil || errors.Is(err, domain.ErrNotFound) {
			return
		}
		s.d.Logger.Warn("alert transition not stored", "rule_id", t.rule.ID, "device_id", t.deviceID, "attempt", attempt+1, "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(attempt+1) * 200 * time.Millisecond):
		}
	}
}

func (s *Service) apply(ctx context.Context, t transition) error {
	if t.open {
		a, opened, err := s.d.Store.Alerts().Open(ctx, &domain.Alert{RuleID: t.rule.ID, DeviceID: t.deviceID, Kind: t.rule.Kind,
			Severity: t.rule.Severity, Message: t.message, Value: t.value, OpenedAt: t.at})
		if err == nil && opened {
			s.publish(ctx, TypeAlertOpened, a)
		}
		return err
	}
	return s.resolveSystem(ctx, t.rule.ID, t.deviceID, t.at)
}

// resolveSystem resolves the unresolved alert of (rule, device), if any.
func (s *Service) resolveSystem(ctx context.Context, ruleID, deviceID string, at time.Time) error {
	return s.resolveNote(ctx, ruleID, deviceID, at, noteCleared)
}

// noteCleared resolves an alert whose condition cleared (NoteAutoRemediated
// when its remediation ran and nobody acknowledged it).
const noteCleared = "condition cleared"

// resolveNote is resolveSystem with the history's note.
func (s *Service) resolveNote(ctx context.Context, ruleID, deviceID string, at time.Time, note string) error {
	open, err := s.d.Store.Alerts().Unresolved(ctx, deviceID, "", domain.MaxPageSize)
	if err != nil {
		return err
	}
	for _, a := range open {
		if a.RuleID != ruleID {
			continue
		}
		n := note
		if note == noteCleared && isRemediated(a) {
			n = NoteAutoRemediated
		}
		out, err := s.d.Store.Alerts().Transition(ctx, domain.GlobalScope(), a.ID, domain.Unresolved,
			domain.AlertUpdate{To: domain.AlertResolved, Actor: domain.AlertActorSystem, Note: n, At: at})
		if errors.Is(err, domain.ErrConflict) {
			return nil // resolved meanwhile (by hand or another node)
		}
		if err != nil {
			return err
		}
		s.publish(ctx, TypeAlertResolved, out)
	}
	return nil
}

func (s *Service) publish(ctx context.Context, typ string, a *domain.Alert) {
	if s.d.Notify != nil {
		s.d.Notify.AlertTransitioned(ctx, a)
	}
	s.event(ctx, typ, a)
	if typ == TypeAlertOpened {
		s.remediateOpened(ctx, a)
	}
}

// event pushes a's change on the live events.
func (s *Service) event(ctx context.Context, typ string, a *domain.Alert) {
	s.d.Events.PublishData(ctx, events.Event{Type: typ, At: a.UpdatedAt, PartnerID: a.PartnerID, OrgID: a.OrgID,
		SiteID: a.SiteID, DeviceID: a.DeviceID}, struct {
		ID       string `json:"id"`
		RuleID   string `json:"ruleId"`
		Severity string `json:"severity"`
		State    string `json:"state"`
		Message  string `json:"message"`
		// SnoozedUntil is set while the alert is snoozed.
		SnoozedUntil *time.Time `json:"snoozedUntil,omitempty"`
	}{a.ID, a.RuleID, string(a.Severity), string(a.State), a.Message, optTime(a.SnoozedUntil)})
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}
