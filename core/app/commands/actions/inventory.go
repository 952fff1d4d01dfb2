package actions

import (
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

func init() {
	Register(Spec{Name: protocol.ActionCollectInventory, Permission: domain.PermDevicesExecute})
}
