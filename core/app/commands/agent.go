package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/breeze-rmm/breeze/core/app/commands/actions"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// lateResultNote marks a result stored after the server timed the command out.
const lateResultNote = "the result arrived after the server had timed the command out"

// maxClockSkew: agent times further in the future are replaced by ours.
const maxClockSkew = time.Minute

// Ack records the agent's acknowledgement. The command must belong to the
// authenticated device (ErrNotFound otherwise: a frame for a command never
// sent to this agent is refused). "running" of a command this node sent
// over the link is written a moment later unless its result comes first
// (running.go).
func (s *Service) Ack(ctx context.Context, deviceID string, a protocol.CommandAck) error {
	if a.State != "running" {
		// "done": the stored result follows; only the ownership check.
		_, err := s.d.Store.Commands().GetForDevice(ctx, deviceID, a.ID)
		return err
	}
	now := s.d.Clock.Now().UTC()
	if s.late.take(a.ID, deviceID) {
		s.writeRunningLater(deviceID, a.ID, now)
		return nil
	}
	// The ownership check is part of the one conditional write.
	return s.writeRunning(ctx, deviceID, a.ID, now)
}

// Result records the agent's result. A result for a finished command (a
// redelivery answered again) changes nothing, except a command the server
// timed out without a result: the late result is stored.
//
// The usual result is one conditional write: a pending command of this
// device whose cap holds the output as sent and whose payload has no
// sealed secret to redact. Anything else (output to clip, a secret, a
// late result, a repeat) is read first and handled as it needs.
func (s *Service) Result(ctx context.Context, deviceID string, r protocol.CommandResult) error {
	s.late.cancel(r.ID, deviceID)
	status, err := resultStatus(r.Status)
	if err != nil {
		return err
	}
	now := s.d.Clock.Now().UTC()
	var c *domain.Command
	if longest := max(len(r.Stdout), len(r.Stderr)); longest <= s.d.OutputCap {
		u := resultUpdate(r, status, s.d.OutputCap, now)
		u.OutputCapAtLeast, u.PayloadLacks = max(longest, 1), `"`+sealedPrefix
		upd, err := s.d.Store.Commands().TransitionForDevice(ctx, deviceID, r.ID, domain.PendingStatuses, u)
		switch {
		case err == nil:
			s.stored(ctx, deviceID, upd.ID)
			s.finished(ctx, upd)
			return nil
		case errors.Is(err, domain.ErrConflict) && upd != nil:
			c = upd // what is stored: the careful way below
		case errors.Is(err, domain.ErrNotFound):
			return err
		default:
			// No acknowledgement: the agent keeps the result and sends it again.
			return fmt.Errorf("store command result: %w", err)
		}
	} else if c, err = s.d.Store.Commands().GetForDevice(ctx, deviceID, r.ID); err != nil {
		return err
	}
	capN := c.OutputCap
	if capN <= 0 {
		capN = s.d.OutputCap
	}
	u := resultUpdate(r, status, capN, now)
	u.Payload = redact(c)
	from := domain.PendingStatuses
	if c.Status == domain.CommandTimedOut && c.Error == errNoResult {
		// Timed out by the server (the agent was away, or its result was
		// refused during an outage), yet the device ran it: what it
		// produced is kept, and the note says it came late.
		from = []domain.CommandStatus{domain.CommandTimedOut}
		if u.Error == "" {
			u.Error = lateResultNote
		}
	}
	upd, err := s.d.Store.Commands().Transition(ctx, c.ID, from, u)
	if errors.Is(err, domain.ErrConflict) {
		s.stored(ctx, deviceID, c.ID) // final already: stored before
		return nil
	}
	if err != nil {
		// No acknowledgement: the agent keeps the result and sends it again.
		return fmt.Errorf("store command result: %w", err)
	}
	s.stored(ctx, deviceID, c.ID)
	s.finished(ctx, upd)
	return nil
}

// resultUpdate is the update a result makes, its output clipped to capN
// bytes each.
func resultUpdate(r protocol.CommandResult, status domain.CommandStatus, capN int, now time.Time) domain.CommandUpdate {
	started, finished := agentTime(r.StartedAt, now), agentTime(r.FinishedAt, now)
	stdout, cut1 := domain.ClipUTF8(r.Stdout, capN)
	stderr, cut2 := domain.ClipUTF8(r.Stderr, capN)
	errText, _ := domain.ClipUTF8(r.Error, 4096)
	data := r.Data
	if len(data) > maxPayload || (len(data) > 0 && !json.Valid(data)) {
		data = nil
	}
	return domain.CommandUpdate{
		Status: status, StartedAt: &started, FinishedAt: &finished, ExitCode: r.ExitCode,
		Stdout: stdout, Stderr: stderr, Truncated: r.Truncated || cut1 || cut2, Error: errText, Data: data,
	}
}

// stored tells the agent its result is kept, so it may forget it; a lost
// acknowledgement costs a repeat, which is acknowledged again.
func (s *Service) stored(ctx context.Context, deviceID, id string) {
	if err := s.d.Sender.ToAgent(ctx, deviceID, protocol.CommandStored{
		Header: protocol.Header{Type: protocol.TypeCommandStored, ID: id}}); err != nil {
		s.d.Logger.Debug("result acknowledgement not sent; the agent sends the result again", "command_id", id, "error", err)
	}
}

func resultStatus(s string) (domain.CommandStatus, error) {
	switch s {
	case protocol.ResultSucceeded:
		return domain.CommandSucceeded, nil
	case protocol.ResultFailed:
		return domain.CommandFailed, nil
	case protocol.ResultTimedOut:
		return domain.CommandTimedOut, nil
	case protocol.ResultCancelled:
		return domain.CommandCancelled, nil
	}
	return "", domain.Invalidf("unknown result status %q", domain.Abbrev(s, 64))
}

func agentTime(t, now time.Time) time.Time {
	if t.IsZero() || t.After(now.Add(maxClockSkew)) {
		return now
	}
	return t.UTC()
}

// redacted replaces a secret's value once a command is final.
const redacted = "********"

// redact returns the payload with secret values replaced, or nil when
// there is nothing to redact.
func redact(c *domain.Command) []byte {
	if !actions.SecretParams(c.Action) {
		return nil
	}
	raw, err := transformFor(c.Action, c.Payload, func(string, string) (string, error) { return redacted, nil })
	if err != nil {
		return nil
	}
	return raw
}
