package server

import (
	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/core/app/discovery"
	"github.com/breeze-rmm/breeze/ports"
)

// Discovery is network discovery's profiles and assets: their use cases
// (REST) and the plan/merge seam scans use.
type Discovery struct {
	Service *discovery.Service
}

// BuildDiscovery wires discovery on st: deploy mints keys through ag's
// enrollment keys, SNMP credentials are sealed with rw's key and asset
// events go on rw's bus.
func BuildDiscovery(st ports.Store, rw *Remote, ag *Agents, log hclog.Logger) (*Discovery, error) {
	svc, err := discovery.New(discovery.Deps{Store: st, Keys: ag.Service, Sealer: rw.Secrets, Bus: rw.Bus,
		Logger: log.Named("discovery")})
	if err != nil {
		return nil, err
	}
	return &Discovery{Service: svc}, nil
}
