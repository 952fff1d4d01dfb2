package actions

import (
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

func init() {
	// A read of one counter: a short default timeout.
	Register(Spec{Name: protocol.ActionUptime, Permission: domain.PermDevicesExecute, Timeout: 30 * time.Second})
}
