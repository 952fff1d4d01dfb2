package commands

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/breeze-rmm/breeze/core/app/relay"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// RunObserver hears about finished commands of a batch (the scripts
// service updates its run's counts).
type RunObserver interface {
	CommandFinished(ctx context.Context, c *domain.Command)
}

// FromAgent decodes a command_ack or command_result frame.
func (s *Service) FromAgent(ctx context.Context, deviceID, typ string, raw []byte) error {
	switch typ {
	case protocol.TypeCommandAck:
		var a protocol.CommandAck
		if err := json.Unmarshal(raw, &a); err != nil {
			return domain.Invalidf("malformed command_ack: %v", err)
		}
		return s.Ack(ctx, deviceID, a)
	case protocol.TypeCommandResult:
		var r protocol.CommandResult
		if err := json.Unmarshal(raw, &r); err != nil {
			return domain.Invalidf("malformed command_result: %v", err)
		}
		return s.Result(ctx, deviceID, r)
	}
	return domain.Invalidf("not a command frame: %q", clip(typ))
}

// isNotDelivered reports a full send queue (worth retrying).
func isNotDelivered(err error) bool { return errors.Is(err, relay.ErrNotDelivered) }
