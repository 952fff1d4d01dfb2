// Package commands is the command pipeline (docs/remote-work.md): a command is stored
// as queued, sent straight to the node holding the device's link (the
// relay, over the bus), acknowledged and answered by the agent, and its
// progress published to browsers. A command for an offline device waits in
// the store and is delivered when the agent says hello, unless it expired:
// the queue holds each waiting command's expiry. A sweep times out sent
// commands whose agent never answered, so nothing stays pending forever
// when a device never returns.
package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/breeze-rmm/breeze/core/app/events"
	"github.com/breeze-rmm/breeze/core/app/relay"
	"github.com/breeze-rmm/breeze/ports"
)

// Sender delivers a frame to a device's live link wherever it is
// (relay.Relay implements it).
type Sender interface {
	ToAgent(ctx context.Context, deviceID string, frame any) error
	// Locate finds the node holding the device's link; SendTo sends along
	// what it found (one look-up on the dispatch path, not two).
	Locate(ctx context.Context, deviceID string) relay.Route
	SendTo(ctx context.Context, rt relay.Route, frame any) error
}

// Publisher publishes browser events (events.Publisher implements it).
type Publisher interface {
	PublishData(ctx context.Context, e events.Event, v any)
}

type nopPublisher struct{}

func (nopPublisher) PublishData(context.Context, events.Event, any) {}

// Defaults and bounds.
const (
	DefaultTimeout = 5 * time.Minute
	MaxTimeout     = 24 * time.Hour
	DefaultExpiry  = 24 * time.Hour
	MaxExpiry      = 30 * 24 * time.Hour
	// DeadlineGrace is how long past its timeout a sent command may stay
	// without a result before the server calls it timed out (the agent
	// reports its own timeouts; this covers an agent that never returns).
	DeadlineGrace = 2 * time.Minute
	// MaxPendingDelivered bounds the commands redelivered at one hello.
	MaxPendingDelivered = 200
)

// Queue task kinds. TaskDeadline is no longer queued (SweepOverdue replaced
// it); its handler stays for tasks an older version queued.
const (
	TaskExpire   = "command.expire"
	TaskDeadline = "command.deadline"
)

// Deps are the service's collaborators and settings.
type Deps struct {
	Store  ports.Store
	Sender Sender
	Queue  ports.Queue
	Events Publisher // nil: none
	Clock  ports.Clock
	Logger ports.Logger
	// Runs hears about finished batch commands (scripts.Progress, built
	// before both services); nil: nobody.
	Runs RunObserver
	// Monitor hears every command that reaches a final status (alerting's
	// command_failed); it must not block. nil: nobody.
	Monitor RunObserver
	// Sealer seals secret parameter values in stored payloads (and the
	// script fan-out's queued task); nil: they are stored as given until
	// the command ends.
	Sealer Sealer
	// OutputCap is the default cap on stdout and on stderr (0: 1 MiB).
	OutputCap int
	// RunningDelay is how long the acknowledgement of a command this node
	// sent waits for its result before "running" is written (running.go;
	// 0: DefaultRunningDelay).
	RunningDelay time.Duration
}

// Service implements the command use cases.
type Service struct {
	d    Deps
	late *lateRunning
}

// New checks deps and fills defaults. Register the queue handlers with
// RegisterTasks before the queue starts.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Sender == nil || d.Queue == nil {
		return nil, errors.New("commands: Store, Sender and Queue are required")
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
	if d.OutputCap < 0 {
		return nil, fmt.Errorf("commands: negative OutputCap")
	}
	if d.OutputCap == 0 {
		d.OutputCap = defaultOutputCap
	}
	if d.RunningDelay < 0 {
		return nil, fmt.Errorf("commands: negative RunningDelay")
	}
	if d.RunningDelay == 0 {
		d.RunningDelay = DefaultRunningDelay
	}
	return &Service{d: d, late: newLateRunning()}, nil
}
