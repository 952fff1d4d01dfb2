package files

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
)

// Audit actions.
const (
	ActionUpload   = "remote.file.upload"
	ActionDownload = "remote.file.download"
)

func (s *Service) baseRow(p *domain.Principal, deviceID string, c Client, action string) domain.AuditEntry {
	e := domain.AuditEntry{
		ActorType: string(p.Kind), ActorID: p.UserID, Action: action, ResourceType: "device", PartnerID: p.PartnerID,
		IP: c.IP, UserAgent: c.UserAgent, RequestID: c.RequestID,
	}
	if p.Kind == domain.PrincipalAPIKey {
		e.ActorID = p.APIKeyID
	}
	if domain.ValidID(deviceID) { // never attacker-chosen text
		e.ResourceID = deviceID
	}
	return e
}

// record writes the transfer's one audit row. Inside an audited request
// (the edge opened a note) the note is that row, so it is filled in rather
// than a second row appended.
func (s *Service) record(ctx context.Context, e domain.AuditEntry, res *Result, path string, err error) {
	details := map[string]any{"path": path, "outcome": "ok"}
	if res != nil {
		details["path"], details["size"], details["sha256"] = res.Path, res.Size, res.SHA256
	}
	e.Outcome = domain.OutcomeSuccess
	if err != nil {
		e.Outcome = domain.OutcomeFailure
		if errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrForbidden) {
			e.Outcome = domain.OutcomeDenied
		}
		details["outcome"] = "error"
		details["error"] = err.Error()
	}
	raw, _ := json.Marshal(details)
	e.Details = string(raw)
	if audit.From(ctx) != nil {
		audit.SetResource(ctx, e.ResourceType, e.ResourceID, e.PartnerID, e.OrgID)
		audit.SetOutcome(ctx, e.Outcome, e.Details)
		return
	}
	e.Truncate()
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	if aerr := s.d.Audit.Append(actx, &e); aerr != nil {
		s.d.Logger.Warn("files: audit append failed", "action", e.Action, "outcome", e.Outcome, "error", aerr)
	}
}

func lower(s string) string { return strings.ToLower(s) }

func equalHex(a, b string) bool { return strings.EqualFold(a, b) }
