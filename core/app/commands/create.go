package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/app/commands/actions"
	"github.com/breeze-rmm/breeze/core/domain"
)

// CreateInput is a command request from the API.
type CreateInput struct {
	Action         string
	Payload        json.RawMessage
	IdempotencyKey string
	// Timeout bounds the run on the agent (0: DefaultTimeout).
	Timeout time.Duration
	// ExpiresIn bounds the wait for an offline device (0: DefaultExpiry).
	ExpiresIn time.Duration
}

// Create stores a command for a device within the caller's devices:execute
// scope and dispatches it. created is false when IdempotencyKey named an
// existing command, which is returned as it is (nothing new is sent).
func (s *Service) Create(ctx context.Context, p *domain.Principal, deviceID string, in CreateInput) (c *domain.Command, created bool, err error) {
	spec, payload, err := validatePayload(in.Action, in.Payload)
	if err != nil {
		return nil, false, err
	}
	if len(in.IdempotencyKey) > maxIdempotencyKey {
		return nil, false, domain.Invalidf("idempotencyKey longer than %d bytes", maxIdempotencyKey)
	}
	timeout, outputCap := s.limits(spec, in.Timeout)
	timeout, expiry, err := bounds(timeout, in.ExpiresIn)
	if err != nil {
		return nil, false, err
	}
	scope := p.ScopeFor(spec.Permission)
	// The store's insert is itself the device check (within scope, with an
	// agent), so the device is read first only when a rule needs it: a
	// script when the caller's scripts:read does not plainly cover every
	// device it may run commands on. A refused insert is explained below.
	if spec.RunsScriptCode && !scope.Within(p.ScopeFor(domain.PermScriptsRead)) {
		d, err := s.d.Store.Devices().Get(ctx, scope, deviceID)
		if err != nil {
			return nil, false, err
		}
		if d.IsNetwork() {
			return nil, false, domain.NetworkDeviceError(d)
		}
		if err := MayRunScript(p, d); err != nil {
			return nil, false, err
		}
	}
	if in.IdempotencyKey != "" {
		old, err := s.d.Store.Commands().ByIdempotencyKey(ctx, scope, deviceID, in.IdempotencyKey)
		if err == nil {
			audit.SetResource(ctx, "command", old.ID, old.PartnerID, old.OrgID)
			return Redacted(old), false, nil
		}
		if !errors.Is(err, domain.ErrNotFound) {
			return nil, false, fmt.Errorf("look up idempotency key: %w", err)
		}
	}
	now := s.d.Clock.Now().UTC()
	c = &domain.Command{
		DeviceID: deviceID, Action: in.Action, Payload: payload, IdempotencyKey: in.IdempotencyKey,
		RequestedBy: p.UserID, Status: domain.CommandQueued, TimeoutSeconds: int(timeout / time.Second),
		OutputCap: outputCap, CreatedAt: now, ExpiresAt: now.Add(expiry),
	}
	if err := s.insertAndSend(ctx, scope, c); err != nil {
		if errors.Is(err, domain.ErrConflict) && in.IdempotencyKey != "" {
			// A concurrent request with the same key won the race.
			old, gerr := s.d.Store.Commands().ByIdempotencyKey(ctx, scope, deviceID, in.IdempotencyKey)
			if gerr == nil {
				return Redacted(old), false, nil
			}
		}
		return nil, false, s.explainRefusal(ctx, scope, deviceID, err)
	}
	audit.SetResource(ctx, "command", c.ID, c.PartnerID, c.OrgID)
	return Redacted(c), true, nil
}

// explainRefusal turns the store's not-found for a device it would not
// give a command into the reason: a network device has no agent; anything
// else stays not found.
func (s *Service) explainRefusal(ctx context.Context, scope domain.Scope, deviceID string, err error) error {
	if !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	d, gerr := s.d.Store.Devices().Get(ctx, scope, deviceID)
	if gerr != nil {
		return gerr
	}
	if d.IsNetwork() {
		return domain.NetworkDeviceError(d)
	}
	return err
}

// insertAndSend stores a new command and, when its device is linked, sends
// it at once. The hot path is one write: a command for a linked device is
// stored already sent (a hello delivering pending commands at the same
// moment may send it twice; the agent answers the repeat from memory).
// The browser event follows the send, off the latency the agent sees; the
// deadline costs nothing here (SweepOverdue finds overdue commands).
func (s *Service) insertAndSend(ctx context.Context, scope domain.Scope, c *domain.Command) error {
	if c.ID == "" {
		c.ID = domain.NewID() // secrets are sealed for this id
	}
	if actions.SecretParams(c.Action) {
		sealed, err := SealActionSecrets(s.d.Sealer, c.Action, c.ID, c.Payload)
		if err != nil {
			return err
		}
		c.Payload = sealed
	}
	route := s.d.Sender.Locate(ctx, c.DeviceID)
	// Sent only along a route the registry gave: with the registry away the
	// command stays queued (and says so), and the node holding the link
	// delivers it once its claims are back (relay.Reclaimed), or the next
	// hello does.
	online := route.Found()
	if online {
		now := s.d.Clock.Now().UTC()
		c.Status, c.SentAt, c.Attempts = domain.CommandSent, &now, 1
	}
	if err := s.d.Store.Commands().Create(ctx, scope, c); err != nil {
		return err
	}
	if !online {
		s.schedule(ctx, TaskExpire, c.ID, c.ExpiresAt)
		s.publish(ctx, c)
		return nil
	}
	frame, err := s.frameOf(c)
	if err != nil {
		return err
	}
	if route.Local() {
		s.late.sentTo(c.ID, c.DeviceID) // before the send: its acknowledgement may come at once
	}
	if err := s.d.Sender.SendTo(ctx, route, frame); err != nil {
		s.d.Logger.Debug("command not delivered; queued for the next delivery", "command_id", c.ID, "error", err)
		// Not handed over (the link went away, or the bus failed): queued
		// again, as the API then says, and delivered at the next hello or
		// when the holding node's claims are back.
		s.late.cancel(c.ID, c.DeviceID)
		if back, terr := s.d.Store.Commands().Transition(ctx, c.ID, []domain.CommandStatus{domain.CommandSent},
			domain.CommandUpdate{Status: domain.CommandQueued}); terr == nil {
			*c = *back
			s.schedule(ctx, TaskExpire, c.ID, c.ExpiresAt)
		}
	}
	s.publish(ctx, c)
	return nil
}

// bounds applies the defaults and limits of a command's timeout and expiry.
func bounds(timeout, expiry time.Duration) (time.Duration, time.Duration, error) {
	if timeout < 0 || expiry < 0 {
		return 0, 0, domain.Invalidf("timeout and expiry must be positive")
	}
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if expiry == 0 {
		expiry = DefaultExpiry
	}
	if timeout < time.Second || timeout > MaxTimeout {
		return 0, 0, domain.Invalidf("timeoutSeconds must be within 1..%d", int(MaxTimeout/time.Second))
	}
	if expiry > MaxExpiry {
		return 0, 0, domain.Invalidf("expiresInSeconds must be at most %d", int(MaxExpiry/time.Second))
	}
	return timeout, expiry, nil
}
