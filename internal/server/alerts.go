package server

import (
	"context"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/core/app/alerts"
	"github.com/breeze-rmm/breeze/ports"
)

// Alerts is monitoring: the rule and alert use cases and the evaluation
// job (rule reloads, warm-ups, transitions, the offline sweep).
type Alerts struct {
	Service *alerts.Service
	done    chan struct{}
}

// BuildAlerts wires monitoring on st, publishing on the live events and
// handing every transition to nt's notifications and showing mt's
// maintenance on the alerts read; rule changes and device moves reach
// every node through rw's bus; intake (built before remote work, which
// reports finished commands to it) carries the reports event conditions
// judge.
func BuildAlerts(st ports.Store, rw *Remote, nt *Notify, mt *Maintenance, intake *alerts.Intake, log hclog.Logger) (*Alerts, error) {
	svc, err := alerts.New(alerts.Deps{Store: st, Events: rw.Events, Bus: rw.Bus, Logger: log.Named("alerts"), Notify: nt.Service,
		Maintenance: mt.Service, Intake: intake})
	if err != nil {
		return nil, err
	}
	// Rules' remediations run as queue tasks (registered before rw starts
	// the queue) through remote work's scripts and commands.
	if err := svc.EnableRemediation(alerts.Remediation{Queue: rw.Queue, Scripts: rw.Scripts, Commands: rw.Commands}); err != nil {
		return nil, err
	}
	return &Alerts{Service: svc}, nil
}

// Start runs the evaluation job until ctx ends.
func (a *Alerts) Start(ctx context.Context) {
	a.done = make(chan struct{})
	go func() { defer close(a.done); a.Service.Run(ctx) }()
}

// Stop waits for the job to end (after its ctx is cancelled).
func (a *Alerts) Stop() {
	if a.done != nil {
		<-a.done
	}
}
