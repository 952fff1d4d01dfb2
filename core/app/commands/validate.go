package commands

import (
	"encoding/json"
	"time"

	"github.com/breeze-rmm/breeze/core/app/commands/actions"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

const (
	defaultOutputCap  = protocol.DefaultOutputCap
	maxPayload        = 512 << 10 // a command's payload (a script body is most of it)
	maxIdempotencyKey = 200
)

// validatePayload looks the action up and checks its payload; it returns
// the action's Spec and the payload to store (normalised: "null" for
// actions without one).
func validatePayload(action string, payload json.RawMessage) (actions.Spec, json.RawMessage, error) {
	spec, ok := actions.Lookup(action)
	if !ok {
		return actions.Spec{}, nil, domain.Invalidf("unknown action %q", domain.Abbrev(action, 64))
	}
	if len(payload) > maxPayload {
		return actions.Spec{}, nil, domain.Invalidf("payload of %d bytes, max %d", len(payload), maxPayload)
	}
	if len(payload) == 0 {
		payload = json.RawMessage("null")
	}
	if err := spec.Check(payload); err != nil {
		return actions.Spec{}, nil, err
	}
	return spec, payload, nil
}

// limits are a command's timeout and output cap: the request's, else the
// action's defaults, else the service's.
func (s *Service) limits(spec actions.Spec, timeout time.Duration) (time.Duration, int) {
	if timeout == 0 {
		timeout = spec.Timeout
	}
	outputCap := spec.OutputCap
	if outputCap <= 0 {
		outputCap = s.d.OutputCap
	}
	return timeout, outputCap
}
