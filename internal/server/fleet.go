package server

import (
	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/adapters/http/fleetapi"
	"github.com/breeze-rmm/breeze/core/app/fleet"
	"github.com/breeze-rmm/breeze/ports"
)

// RegisterFleet mounts the fleet summary on st.
func RegisterFleet(srv *httpapi.Server, st ports.Store) error {
	svc, err := fleet.New(fleet.Deps{Store: st})
	if err != nil {
		return err
	}
	fleetapi.Register(srv, fleetapi.Deps{Fleet: svc})
	return nil
}
