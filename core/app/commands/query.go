package commands

import (
	"context"
	"errors"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/app/events"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// Get returns a command within the caller's devices:read scope.
// Secret parameter values are shown as ********.
func (s *Service) Get(ctx context.Context, p *domain.Principal, id string) (*domain.Command, error) {
	c, err := s.d.Store.Commands().Get(ctx, p.ScopeFor(domain.PermDevicesRead), id)
	return Redacted(c), err
}

// List returns commands within the caller's devices:read scope, newest first.
func (s *Service) List(ctx context.Context, p *domain.Principal, f ports.CommandFilter, page domain.PageRequest) (domain.Page[*domain.Command], error) {
	scope := p.ScopeFor(domain.PermDevicesRead)
	if f.DeviceID != "" {
		// A foreign device answers 404 rather than an empty list.
		if _, err := s.d.Store.Devices().Get(ctx, scope, f.DeviceID); err != nil {
			return domain.Page[*domain.Command]{}, err
		}
	}
	pg, err := s.d.Store.Commands().List(ctx, scope, f, page)
	for i, c := range pg.Items {
		pg.Items[i] = Redacted(c)
	}
	return pg, err
}

// Cancel ends a pending command (devices:execute). A command already
// running on the agent is told to stop; one already final is ErrConflict.
func (s *Service) Cancel(ctx context.Context, p *domain.Principal, id string) (*domain.Command, error) {
	c, err := s.d.Store.Commands().Get(ctx, p.ScopeFor(domain.PermDevicesExecute), id)
	if err != nil {
		return nil, err
	}
	audit.SetResource(ctx, "command", c.ID, c.PartnerID, c.OrgID)
	now := s.d.Clock.Now().UTC()
	upd, err := s.d.Store.Commands().Transition(ctx, c.ID, domain.PendingStatuses,
		domain.CommandUpdate{Status: domain.CommandCancelled, FinishedAt: &now, Error: "cancelled by " + p.Email})
	if errors.Is(err, domain.ErrConflict) {
		return nil, domain.Conflictf("the command already ended (%s)", upd.Status)
	}
	if err != nil {
		return nil, err
	}
	if c.Status == domain.CommandSent || c.Status == domain.CommandRunning {
		// Best effort: an agent not linked now never runs it (final here).
		_ = s.d.Sender.ToAgent(ctx, c.DeviceID, protocol.Header{Type: protocol.TypeCommandCancel, ID: c.ID})
	}
	s.finished(ctx, upd)
	return Redacted(upd), nil
}

// finished redacts a final command's secrets and publishes it.
func (s *Service) finished(ctx context.Context, c *domain.Command) {
	if raw := redact(c); raw != nil && string(raw) != string(c.Payload) {
		upd, err := s.d.Store.Commands().Transition(ctx, c.ID, []domain.CommandStatus{c.Status},
			domain.CommandUpdate{Status: c.Status, Payload: raw})
		if err == nil {
			c = upd
		} else {
			s.d.Logger.Warn("secrets of a finished command not redacted", "command_id", c.ID, "error", err)
		}
	}
	s.publish(ctx, c)
	if c.BatchID != "" && s.d.Runs != nil {
		s.d.Runs.CommandFinished(ctx, c)
	}
	if s.d.Monitor != nil {
		s.d.Monitor.CommandFinished(ctx, c)
	}
}

// publish tells browsers about a command's new state (without its output:
// they fetch it when it is final).
func (s *Service) publish(ctx context.Context, c *domain.Command) {
	s.d.Events.PublishData(ctx, events.Event{
		Type: events.TypeCommandUpdated, At: s.d.Clock.Now().UTC(),
		PartnerID: c.PartnerID, OrgID: c.OrgID, SiteID: c.SiteID, DeviceID: c.DeviceID,
	}, Summary(c))
}

// CommandSummary is a command without its output, for events.
type CommandSummary struct {
	ID         string               `json:"id"`
	DeviceID   string               `json:"deviceId"`
	Action     string               `json:"action"`
	Status     domain.CommandStatus `json:"status"`
	BatchID    string               `json:"batchId,omitempty"`
	ExitCode   *int                 `json:"exitCode,omitempty"`
	Truncated  bool                 `json:"truncated,omitempty"`
	Error      string               `json:"error,omitempty"`
	CreatedAt  string               `json:"createdAt"`
	FinishedAt string               `json:"finishedAt,omitempty"`
}

// Summary describes c for an event.
func Summary(c *domain.Command) CommandSummary {
	out := CommandSummary{ID: c.ID, DeviceID: c.DeviceID, Action: c.Action, Status: c.Status, BatchID: c.BatchID,
		ExitCode: c.ExitCode, Truncated: c.Truncated, Error: c.Error, CreatedAt: c.CreatedAt.UTC().Format(timeFormat)}
	if c.FinishedAt != nil {
		out.FinishedAt = c.FinishedAt.UTC().Format(timeFormat)
	}
	return out
}

const timeFormat = "2006-01-02T15:04:05.000Z07:00"
