package actions

import (
	"regexp"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

var serviceName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9@._:-]{0,254}$`)

func init() {
	Register(Spec{Name: protocol.ActionListServices, Permission: domain.PermDevicesExecute})
	Register(Spec{
		Name: protocol.ActionRestartService, Permission: domain.PermDevicesExecute,
		Validate: Payload(func(p protocol.ServicePayload) error {
			if !serviceName.MatchString(p.Name) {
				return domain.Invalidf("restart_service needs a service name of letters, digits and @._:-")
			}
			return nil
		}),
		PayloadDoc: "{name}",
	})
}
