package commands

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/breeze-rmm/breeze/core/app/commands/actions"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// taskRef is the payload of the expiry and deadline tasks.
type taskRef struct {
	ID string `json:"id"`
}

// frameOf is the command frame the agent gets: secret values opened.
func (s *Service) frameOf(c *domain.Command) (protocol.Command, error) {
	payload := c.Payload
	if actions.SecretParams(c.Action) {
		var err error
		if payload, err = OpenActionSecrets(s.d.Sealer, c.Action, c.ID, c.Payload); err != nil {
			return protocol.Command{}, err
		}
	}
	return protocol.Command{
		Header: protocol.Header{Type: protocol.TypeCommand, ID: c.ID}, Action: c.Action,
		Payload: payload, TimeoutSeconds: c.TimeoutSeconds, OutputCap: c.OutputCap,
	}, nil
}

// claim moves a queued command to sent. ok is
// false when someone else claimed it first (the current state is returned).
func (s *Service) claim(ctx context.Context, c *domain.Command) (*domain.Command, bool) {
	now := s.d.Clock.Now().UTC()
	upd, err := s.d.Store.Commands().Transition(ctx, c.ID, []domain.CommandStatus{domain.CommandQueued},
		domain.CommandUpdate{Status: domain.CommandSent, SentAt: &now, CountAttempt: true})
	if err != nil {
		if errors.Is(err, domain.ErrConflict) && upd != nil {
			return upd, false
		}
		s.d.Logger.Warn("command not claimed for sending", "command_id", c.ID, "error", err)
		return c, false
	}
	s.publish(ctx, upd)
	return upd, true
}

// schedule queues a task for the command at at; a duplicate (the same
// task already waiting) is fine.
func (s *Service) schedule(ctx context.Context, kind, id string, at time.Time) {
	raw, _ := json.Marshal(taskRef{ID: id})
	_, err := s.d.Queue.Enqueue(ctx, kind, raw, ports.EnqueueOptions{ProcessAt: at, UniqueKey: id, MaxRetries: 10})
	if err != nil && !errors.Is(err, ports.ErrDuplicateTask) {
		s.d.Logger.Error("command task not queued", "kind", kind, "command_id", id, "error", err)
	}
}

// DeliverPending sends a device's pending commands when its agent links:
// queued ones for the first time, and sent or running ones again (the
// agent answers a repeat from its memory instead of running it twice).
// Queued commands past their expiry are expired instead.
func (s *Service) DeliverPending(ctx context.Context, deviceID string) {
	linkedAt := s.d.Clock.Now()
	pending, err := s.d.Store.Commands().Pending(ctx, deviceID, MaxPendingDelivered)
	if err != nil {
		s.d.Logger.Error("pending commands not loaded", "device_id", deviceID, "error", err)
		return
	}
	for _, c := range pending {
		if ctx.Err() != nil {
			return
		}
		switch {
		case c.Status == domain.CommandQueued && !linkedAt.Before(c.ExpiresAt):
			_ = s.expire(ctx, c.ID)
			continue
		case c.Status == domain.CommandQueued:
			claimed, ok := s.claim(ctx, c)
			if !ok {
				continue // dispatched meanwhile over this link
			}
			c = claimed
		default:
			// Sent before, maybe over an earlier link: send again (a
			// command dispatched just now may go twice; the agent answers
			// the repeat from its memory).
			if upd, err := s.d.Store.Commands().Transition(ctx, c.ID, []domain.CommandStatus{c.Status},
				domain.CommandUpdate{Status: c.Status, CountAttempt: true}); err == nil {
				c = upd
			}
		}
		if err := s.sendPatiently(ctx, c); err != nil {
			s.d.Logger.Debug("pending command not delivered", "command_id", c.ID, "error", err)
			return // the link went away: the next hello tries again
		}
	}
}

// sendPatiently retries while the link's send queue is full: a device
// coming back to many commands must not lose its link for it.
func (s *Service) sendPatiently(ctx context.Context, c *domain.Command) error {
	for try := 0; ; try++ {
		frame, err := s.frameOf(c)
		if err != nil {
			return err
		}
		err = s.d.Sender.ToAgent(ctx, c.DeviceID, frame)
		if err == nil || try >= 100 || !isNotDelivered(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// RegisterTasks installs the expiry and deadline handlers on q.
func (s *Service) RegisterTasks(q ports.Queue) {
	q.Handle(TaskExpire, 4, s.onExpireTask)
	q.Handle(TaskDeadline, 4, s.onDeadlineTask)
}

func (s *Service) onExpireTask(ctx context.Context, t ports.Task) error {
	var ref taskRef
	if err := json.Unmarshal(t.Payload, &ref); err != nil {
		return ports.SkipRetry(err)
	}
	return s.expire(ctx, ref.ID)
}

// expire ends a command still queued at its expiry.
func (s *Service) expire(ctx context.Context, id string) error {
	now := s.d.Clock.Now().UTC()
	c, err := s.d.Store.Commands().Transition(ctx, id, []domain.CommandStatus{domain.CommandQueued},
		domain.CommandUpdate{Status: domain.CommandExpired, FinishedAt: &now, Error: "the device did not come back before the command expired"})
	switch {
	case err == nil:
		s.finished(ctx, c)
		return nil
	case errors.Is(err, domain.ErrConflict), errors.Is(err, domain.ErrNotFound):
		return nil // delivered meanwhile, or gone
	}
	return err
}

func (s *Service) onDeadlineTask(ctx context.Context, t ports.Task) error {
	var ref taskRef
	if err := json.Unmarshal(t.Payload, &ref); err != nil {
		return ports.SkipRetry(err)
	}
	return s.timeOut(ctx, ref.ID)
}

// errNoResult is the error of a command the server timed out; a late
// result may still replace it (see Result).
const errNoResult = "no result from the agent within the timeout"

// timeOut ends a sent or running command that never got its result.
func (s *Service) timeOut(ctx context.Context, id string) error {
	now := s.d.Clock.Now().UTC()
	c, err := s.d.Store.Commands().Transition(ctx, id, []domain.CommandStatus{domain.CommandSent, domain.CommandRunning},
		domain.CommandUpdate{Status: domain.CommandTimedOut, FinishedAt: &now, Error: errNoResult})
	switch {
	case err == nil:
		s.finished(ctx, c)
		return nil
	case errors.Is(err, domain.ErrConflict), errors.Is(err, domain.ErrNotFound):
		return nil
	}
	return err
}

// SweepOverdue times out sent or running commands whose agent never
// answered within their timeout plus DeadlineGrace (it reports its own
// timeouts; this covers an agent that never comes back). Every node may
// sweep: the transition has one winner. It returns how many it ended.
//
// It also expires queued commands past their expiry: the expiry task may
// be lost with the queue (Redis restarted empty), the database holds the
// deadline.
func (s *Service) SweepOverdue(ctx context.Context) (int, error) {
	now := s.d.Clock.Now()
	overdue, err := s.d.Store.Commands().Overdue(ctx, now, DeadlineGrace, sweepBatch)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range overdue {
		if err := s.timeOut(ctx, c.ID); err != nil {
			return n, err
		}
		n++
	}
	expired, err := s.d.Store.Commands().Expired(ctx, now, sweepBatch)
	if err != nil {
		return n, err
	}
	for _, c := range expired {
		if err := s.expire(ctx, c.ID); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// sweepBatch bounds one sweep; the next takes the rest.
const sweepBatch = 500

// DefaultSweepEvery is how often RunSweeper looks for overdue commands.
const DefaultSweepEvery = 30 * time.Second

// RunSweeper sweeps every interval until ctx ends.
func (s *Service) RunSweeper(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultSweepEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.SweepOverdue(ctx); err != nil {
				s.d.Logger.Warn("overdue commands not swept", "error", err)
			} else if n > 0 {
				s.d.Logger.Info("commands timed out without a result from their agent", "count", n)
			}
		}
	}
}
