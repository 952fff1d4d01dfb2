package commands

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// BatchInput is one device's command of a script run.
type BatchInput struct {
	Action         string
	Payload        json.RawMessage
	IdempotencyKey string // required: a retried fan-out must not duplicate
	BatchID        string
	ScriptID       string
	Timeout        time.Duration
	// ExpiresIn bounds the wait for an offline device (0: DefaultExpiry).
	ExpiresIn time.Duration
}

// CreateBatch stores and dispatches one command of a batch. When the
// device already has the command (a retried fan-out), it is returned and
// nothing is sent again.
func (s *Service) CreateBatch(ctx context.Context, p *domain.Principal, deviceID string, in BatchInput) (*domain.Command, error) {
	if in.IdempotencyKey == "" || in.BatchID == "" {
		return nil, errors.New("commands: a batch command needs an idempotency key and a batch id")
	}
	spec, payload, err := validatePayload(in.Action, in.Payload)
	if err != nil {
		return nil, err
	}
	timeout, outputCap := s.limits(spec, in.Timeout)
	timeout, expiry, err := bounds(timeout, in.ExpiresIn)
	if err != nil {
		return nil, err
	}
	scope := p.ScopeFor(spec.Permission)
	now := s.d.Clock.Now().UTC()
	c := &domain.Command{
		DeviceID: deviceID, Action: in.Action, Payload: payload, IdempotencyKey: in.IdempotencyKey,
		BatchID: in.BatchID, ScriptID: in.ScriptID, RequestedBy: p.UserID, Status: domain.CommandQueued,
		TimeoutSeconds: int(timeout / time.Second), OutputCap: outputCap, CreatedAt: now, ExpiresAt: now.Add(expiry),
	}
	if err := s.insertAndSend(ctx, scope, c); err != nil {
		if errors.Is(err, domain.ErrConflict) {
			return s.d.Store.Commands().ByIdempotencyKey(ctx, scope, deviceID, in.IdempotencyKey)
		}
		return nil, err
	}
	return c, nil
}
