package api

import (
	"encoding/json"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Command is one action asked of one device, with its result once final.
type Command struct {
	ID             string          `json:"id"`
	DeviceID       string          `json:"deviceId"`
	PartnerID      string          `json:"partnerId"`
	OrgID          string          `json:"orgId"`
	SiteID         string          `json:"siteId"`
	Action         string          `json:"action"`
	Payload        json.RawMessage `json:"payload" doc:"Secret script parameters are redacted once the command ends."`
	Status         string          `json:"status" enum:"queued,sent,running,succeeded,failed,timed_out,expired,cancelled"`
	ExitCode       *int            `json:"exitCode,omitempty"`
	Stdout         string          `json:"stdout"`
	Stderr         string          `json:"stderr"`
	Truncated      bool            `json:"truncated" doc:"stdout or stderr was cut at the output cap."`
	Error          string          `json:"error,omitempty"`
	Data           json.RawMessage `json:"data,omitempty" doc:"An action's structured answer (list_processes, list_services, uptime, ...)."`
	IdempotencyKey string          `json:"idempotencyKey,omitempty"`
	BatchID        string          `json:"batchId,omitempty" doc:"The script run this command belongs to."`
	ScriptID       string          `json:"scriptId,omitempty"`
	RequestedBy    string          `json:"requestedBy,omitempty"`
	Attempts       int             `json:"attempts" doc:"Deliveries to the agent (at least once; it runs at most once)."`
	TimeoutSeconds int             `json:"timeoutSeconds"`
	CreatedAt      time.Time       `json:"createdAt"`
	ExpiresAt      time.Time       `json:"expiresAt"`
	SentAt         *time.Time      `json:"sentAt,omitempty"`
	StartedAt      *time.Time      `json:"startedAt,omitempty"`
	FinishedAt     *time.Time      `json:"finishedAt,omitempty"`
}

// CreateCommandRequest is the body of POST /devices/:id/commands.
type CreateCommandRequest struct {
	Action           string          `json:"action" enumFrom:"actions"`
	Payload          json.RawMessage `json:"payload,omitempty" docFrom:"actionPayloads"`
	IdempotencyKey   string          `json:"idempotencyKey,omitempty" doc:"A repeat with the same key for the device answers the first command (200) instead of creating another."`
	TimeoutSeconds   int             `json:"timeoutSeconds,omitempty" doc:"Run time limit on the agent; default 300, at most 86400."`
	ExpiresInSeconds int             `json:"expiresInSeconds,omitempty" doc:"How long it may wait for an offline device; default 86400."`
}

func commandOut(c *domain.Command) Command {
	out := Command{
		ID: c.ID, DeviceID: c.DeviceID, PartnerID: c.PartnerID, OrgID: c.OrgID, SiteID: c.SiteID, Action: c.Action,
		Payload: c.Payload, Status: string(c.Status), ExitCode: c.ExitCode, Stdout: c.Stdout, Stderr: c.Stderr,
		Truncated: c.Truncated, Error: c.Error, Data: c.Data, IdempotencyKey: c.IdempotencyKey, BatchID: c.BatchID,
		ScriptID: c.ScriptID, RequestedBy: c.RequestedBy, Attempts: c.Attempts, TimeoutSeconds: c.TimeoutSeconds,
		CreatedAt: c.CreatedAt.UTC(), ExpiresAt: c.ExpiresAt.UTC(),
		SentAt: utcPtr(c.SentAt), StartedAt: utcPtr(c.StartedAt), FinishedAt: utcPtr(c.FinishedAt),
	}
	if len(out.Payload) == 0 {
		out.Payload = json.RawMessage("null")
	}
	return out
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
