package server

import (
	"context"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/core/app/schedules"
	"github.com/breeze-rmm/breeze/ports"
)

// Schedules is scheduled scripts and actions: their use cases, the fire
// task on rw's queue and the scheduler loop every node runs (the queue's
// unique key and the store's unique fire row make each fire once).
type Schedules struct {
	Service *schedules.Service
	done    chan struct{}
}

// BuildSchedules wires schedules on st and rw's scripts, commands and
// queue, and discovery's scans (nil: no discovery schedules); it registers
// the fire task, so call it before rw.Start.
func BuildSchedules(st ports.Store, rw *Remote, scans schedules.Scans, log hclog.Logger) (*Schedules, error) {
	svc, err := schedules.New(schedules.Deps{Store: st, Scripts: rw.Scripts, Commands: rw.Commands, Queue: rw.Queue, Sealer: rw.Secrets,
		Scans: scans, Logger: log.Named("schedules")})
	if err != nil {
		return nil, err
	}
	svc.RegisterTasks(rw.Queue)
	return &Schedules{Service: svc}, nil
}

// Start runs the scheduler loop until ctx ends.
func (s *Schedules) Start(ctx context.Context) {
	s.done = make(chan struct{})
	go func() { defer close(s.done); s.Service.Run(ctx) }()
}

// Stop waits for the loop to end (after its ctx is cancelled).
func (s *Schedules) Stop() {
	if s.done != nil {
		<-s.done
	}
}
