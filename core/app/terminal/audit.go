package terminal

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Audit actions.
const (
	ActionOpen  = "remote.terminal.open"
	ActionClose = "remote.terminal.close"
)

func (b *Broker) baseRow(p *domain.Principal, deviceID string, c Client, action string) domain.AuditEntry {
	e := domain.AuditEntry{
		ActorType: string(domain.PrincipalUser), ActorID: p.UserID, Action: action,
		ResourceType: "device", PartnerID: p.PartnerID,
		IP: c.IP, UserAgent: c.UserAgent, RequestID: c.RequestID,
	}
	if domain.ValidID(deviceID) { // never attacker-chosen text
		e.ResourceID = deviceID
	}
	return e
}

// appendRow writes one row, detached from ctx (a browser leaving must not
// cancel the row of what it did); a failure is logged.
func (b *Broker) appendRow(ctx context.Context, e domain.AuditEntry, o domain.AuditOutcome, details map[string]any) {
	e.Outcome = o
	if raw, err := json.Marshal(details); err == nil {
		e.Details = string(raw)
	}
	e.Truncate()
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	if err := b.d.Audit.Append(actx, &e); err != nil {
		b.d.Logger.Warn("terminal: audit append failed", "action", e.Action, "outcome", e.Outcome, "error", err)
	}
}

func outcomeOf(err error) domain.AuditOutcome {
	if errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrForbidden) || errors.Is(err, domain.ErrUnauthenticated) {
		return domain.OutcomeDenied
	}
	return domain.OutcomeFailure
}

func reasonOf(err error) string {
	switch {
	case errors.Is(err, ErrOffline):
		return "device_offline"
	case errors.Is(err, domain.ErrNotFound):
		return "device_not_found"
	case errors.Is(err, domain.ErrInvalid):
		return "invalid"
	}
	return "error"
}
