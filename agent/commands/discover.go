package commands

import (
	"context"
	"errors"

	"github.com/breeze-rmm/breeze/protocol"
)

func init() {
	register(protocol.ActionDiscover, withPayload(func(ctx context.Context, e *Executor, p protocol.DiscoverPayload) (outcome, error) {
		if e.d.Discover == nil {
			return outcome{}, errors.New("this agent runs no plugins")
		}
		assets, note, err := e.d.Discover(ctx, p)
		if err != nil {
			return outcome{}, err
		}
		return outcome{data: assets, note: note}, nil
	}))
}
