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

// agentFrames are the command frames an agent sends, by type.
var agentFrames = map[string]func(s *Service, ctx context.Context, deviceID string, raw []byte) error{
	protocol.TypeCommandAck:    decoded((*Service).Ack),
	protocol.TypeCommandResult: decoded((*Service).Result),
}

// FromAgent decodes a command_ack or command_result frame.
func (s *Service) FromAgent(ctx context.Context, deviceID, typ string, raw []byte) error {
	handle, ok := agentFrames[typ]
	if !ok {
		return domain.Invalidf("not a command frame: %q", domain.Abbrev(typ, 64))
	}
	err := handle(s, ctx, deviceID, raw)
	var de decodeError
	if errors.As(err, &de) {
		return domain.Invalidf("malformed %s: %v", typ, de.err)
	}
	return err
}

// decoded decodes a frame into F before handing it to fn.
func decoded[F any](fn func(s *Service, ctx context.Context, deviceID string, f F) error) func(*Service, context.Context, string, []byte) error {
	return func(s *Service, ctx context.Context, deviceID string, raw []byte) error {
		var f F
		if err := json.Unmarshal(raw, &f); err != nil {
			return decodeError{err}
		}
		return fn(s, ctx, deviceID, f)
	}
}

// decodeError is a frame that does not decode; FromAgent names its type.
type decodeError struct{ err error }

func (e decodeError) Error() string { return e.err.Error() }

// isNotDelivered reports a full send queue (worth retrying).
func isNotDelivered(err error) bool { return errors.Is(err, relay.ErrNotDelivered) }
