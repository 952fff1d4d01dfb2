// Package scripts is the script library (per org, and partner-wide scripts
// shared with the partner's orgs, every version kept) and script runs: a
// run resolves its targets (devices, a group, a site or an org) within the
// caller's scope, then a queue task fans it out as one command per device,
// so a node dying mid-way loses nothing (a retried fan-out creates no
// duplicates: each device's command carries an idempotency key of the run).
package scripts

import (
	"context"
	"errors"

	"github.com/breeze-rmm/breeze/core/app/commands"
	"github.com/breeze-rmm/breeze/core/app/events"
	"github.com/breeze-rmm/breeze/ports"
)

// Publisher publishes browser events.
type Publisher interface {
	PublishData(ctx context.Context, e events.Event, v any)
}

type nopPublisher struct{}

func (nopPublisher) PublishData(context.Context, events.Event, any) {}

// Limits.
const (
	MaxBody           = 256 << 10
	MaxParams         = 32
	DefaultTimeout    = 300 // seconds
	MaxTimeoutSeconds = 86400
	// MaxRunDevices bounds one run's targets.
	MaxRunDevices = 10_000
	// TaskFanout is the queue task that creates a run's commands.
	TaskFanout = "script.fanout"
)

// Languages are the built-in runtimes (agent plugins may add more: a
// language the target agent lacks fails on that device with a clear error).
var Languages = []string{"sh", "bash", "python3", "pwsh"}

// Deps are the service's collaborators.
type Deps struct {
	Store    ports.Store
	Commands *commands.Service
	Queue    ports.Queue
	Events   Publisher
	Clock    ports.Clock
	Logger   ports.Logger
	// ExtraLanguages are accepted besides Languages (runtime plugins).
	ExtraLanguages []string
	// Progress publishes runs' counts; the same one is the commands
	// service's Runs. Nil: one of this service's own (nobody reports
	// finished commands to it).
	Progress *Progress
	// Sealer seals secret values in the queued fan-out (the commands
	// service's); nil: stored as given.
	Sealer commands.Sealer
}

// Service implements the script use cases.
type Service struct{ d Deps }

// New checks deps. Register the fan-out task with RegisterTasks.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Commands == nil || d.Queue == nil {
		return nil, errors.New("scripts: Store, Commands and Queue are required")
	}
	pd := ProgressDeps{Store: d.Store, Events: d.Events, Clock: d.Clock, Logger: d.Logger}.withDefaults()
	d.Events, d.Clock, d.Logger = pd.Events, pd.Clock, pd.Logger
	if d.Progress == nil {
		p, err := NewProgress(pd)
		if err != nil {
			return nil, err
		}
		d.Progress = p
	}
	return &Service{d: d}, nil
}
