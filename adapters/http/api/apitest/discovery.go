package apitest

import (
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/core/app/agents"
	"github.com/breeze-rmm/breeze/core/app/discovery"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// buildDiscovery wires the discovery service: deploy mints keys through
// the agents service, SNMP secrets are sealed with remote work's key,
// asset events go on its bus and to the alerting.
func buildDiscovery(t testing.TB, st ports.Store, ag *agents.Service, rw *RemoteParts, alertsIn discovery.AssetObserver, clock ports.Clock, log hclog.Logger) *discovery.Service {
	t.Helper()
	d := discovery.Deps{Store: st, Clock: clock, Logger: log.Named("discovery"), Alerts: alertsIn}
	if ag != nil {
		d.Keys = ag
	}
	if rw != nil {
		d.Sealer, d.Bus, d.Agents = rw.Sealer, rw.Bus, rw.Relay
	}
	svc, err := discovery.New(d)
	if err != nil {
		t.Fatalf("apitest: discovery service: %v", err)
	}
	if rw != nil { // tracked hosts' watchers, as internal/server wires them
		rw.Router.Handle(protocol.TypeWatchReport, svc.WatchReport)
		rw.Router.OnLinkUp(svc.SendWatchList)
	}
	return svc
}
