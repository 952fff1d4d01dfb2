package server

import (
	"context"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/core/app/maintenance"
	"github.com/breeze-rmm/breeze/ports"
)

// Maintenance is maintenance windows: their use cases, the "in
// maintenance" of alerts and the notification holds (with snoozes), over
// windows cached in memory and reloaded on changes (rw's bus) and
// periodically.
type Maintenance struct {
	Service *maintenance.Service
	done    chan struct{}
}

// BuildMaintenance wires maintenance windows on st; window changes reach
// every node through rw's bus.
func BuildMaintenance(st ports.Store, rw *Remote, log hclog.Logger) (*Maintenance, error) {
	svc, err := maintenance.New(maintenance.Deps{Store: st, Bus: rw.Bus, Logger: log.Named("maintenance")})
	if err != nil {
		return nil, err
	}
	return &Maintenance{Service: svc}, nil
}

// Start runs the reload job until ctx ends.
func (m *Maintenance) Start(ctx context.Context) {
	m.done = make(chan struct{})
	go func() { defer close(m.done); m.Service.Run(ctx) }()
}

// Stop waits for the job to end (after its ctx is cancelled).
func (m *Maintenance) Stop() {
	if m.done != nil {
		<-m.done
	}
}
