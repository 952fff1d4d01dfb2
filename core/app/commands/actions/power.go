package actions

import (
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

func init() {
	Register(Spec{
		Name: protocol.ActionReboot, Permission: domain.PermDevicesExecute,
		Validate: Payload(func(p protocol.RebootPayload) error {
			if p.DelaySeconds < 0 || p.DelaySeconds > 86400 {
				return domain.Invalidf("reboot delaySeconds must be within 0..86400")
			}
			return nil
		}),
		PayloadDoc: "{delaySeconds?}",
	})
	Register(Spec{Name: protocol.ActionUninstallAgent, Permission: domain.PermDevicesExecute})
}
