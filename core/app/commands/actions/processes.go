package actions

import (
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

func init() {
	Register(Spec{Name: protocol.ActionListProcesses, Permission: domain.PermDevicesExecute})
	Register(Spec{
		Name: protocol.ActionKillProcess, Permission: domain.PermDevicesExecute,
		Validate: Payload(func(p protocol.KillProcessPayload) error {
			if p.PID <= 1 {
				return domain.Invalidf("kill_process needs a pid above 1")
			}
			if p.Signal != "" && p.Signal != "TERM" && p.Signal != "KILL" {
				return domain.Invalidf("kill_process signal must be TERM or KILL")
			}
			return nil
		}),
		PayloadDoc: "{pid, signal?}",
	})
}
