package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/breeze-rmm/breeze/protocol"
)

func init() {
	register(protocol.ActionCollectInventory, simple(func(ctx context.Context, e *Executor) (outcome, error) {
		if e.d.Inventory == nil {
			return outcome{}, errors.New("this agent has no inventory source")
		}
		if err := e.d.Inventory(ctx); err != nil {
			return outcome{}, fmt.Errorf("send inventory: %w", err)
		}
		return outcome{note: "full inventory sent"}, nil
	}))
}
