package server

import (
	"context"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/core/app/discovery"
	"github.com/breeze-rmm/breeze/core/app/discovery/scans"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// Discovery is network discovery: profiles and assets (their use cases and
// the plan/merge seam), and the scans that run profiles on the agents,
// their queue steps and the intake of the agents' result pages.
type Discovery struct {
	Service *discovery.Service
	Scans   *scans.Service
	done    chan struct{}
}

// BuildDiscovery wires discovery on st: deploy mints keys through ag's
// enrollment keys, SNMP credentials are sealed with rw's key, asset events
// go on rw's bus, scans run on rw's queue and commands, and the agents'
// discover_page frames reach the scans' intake through rw's router. Call
// it before rw.Start (it registers queue tasks). Asset events reach the
// alerting through alertsIn (asset_new, asset_gone).
func BuildDiscovery(st ports.Store, rw *Remote, ag *Agents, alertsIn discovery.AssetObserver, log hclog.Logger) (*Discovery, error) {
	svc, err := discovery.New(discovery.Deps{Store: st, Keys: ag.Service, Sealer: rw.Secrets, Bus: rw.Bus,
		Alerts: alertsIn, Agents: rw.Relay, Logger: log.Named("discovery")})
	if err != nil {
		return nil, err
	}
	sc, err := scans.New(scans.Deps{Store: st, Queue: rw.Queue, Commands: rw.Commands, Plans: svc, Assets: svc,
		Sealer: rw.Secrets, Logger: log.Named("discovery.scans")})
	if err != nil {
		return nil, err
	}
	sc.RegisterTasks(rw.Queue)
	rw.Router.Handle(protocol.TypeDiscoverPage, sc.FromAgent)
	// Tracked hosts: watchers get their list when they link and report here.
	rw.Router.Handle(protocol.TypeWatchReport, svc.WatchReport)
	rw.Router.OnLinkUp(svc.SendWatchList)
	return &Discovery{Service: svc, Scans: sc}, nil
}

// Start runs the page intake until ctx ends.
func (d *Discovery) Start(ctx context.Context) {
	d.done = make(chan struct{})
	go func() { defer close(d.done); d.Scans.Run(ctx) }()
}

// Stop waits for the intake to end (after its ctx is cancelled).
func (d *Discovery) Stop() {
	if d.done != nil {
		<-d.done
	}
}

// ScheduleScans lets discovery schedules start scans (schedules.Scans).
func (d *Discovery) ScheduleScans() ScheduleScans { return ScheduleScans{d} }

// ScheduleScans adapts discovery to the schedules' Scans port.
type ScheduleScans struct{ d *Discovery }

// ProfileSite resolves the profile as a scan would (discovery:manage).
func (s ScheduleScans) ProfileSite(ctx context.Context, p *domain.Principal, profileID string) (string, string, error) {
	plan, err := s.d.Service.Plan(ctx, p, profileID)
	if err != nil {
		return "", "", err
	}
	return plan.Ref.OrgID, plan.Ref.SiteID, nil
}

// StartScan starts the profile's scan with the fire's scan id.
func (s ScheduleScans) StartScan(ctx context.Context, p *domain.Principal, profileID, scanID string) error {
	_, err := s.d.Scans.StartWithID(ctx, p, profileID, scanID)
	return err
}
