package api

import (
	"encoding/json"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// AuditLogEntry is one row of the hash-chained audit log.
type AuditLogEntry struct {
	ID           string          `json:"id"`
	Seq          int64           `json:"seq"`
	At           time.Time       `json:"at"`
	ActorType    string          `json:"actorType" enum:"user,api_key,agent,system,anonymous"`
	ActorID      string          `json:"actorId,omitempty"`
	Action       string          `json:"action" doc:"The route's operation name, e.g. orgs.create or auth.login."`
	ResourceType string          `json:"resourceType,omitempty"`
	ResourceID   string          `json:"resourceId,omitempty"`
	PartnerID    string          `json:"partnerId,omitempty"`
	OrgID        string          `json:"orgId,omitempty"`
	Outcome      string          `json:"outcome" enum:"success,denied,failure"`
	IP           string          `json:"ip,omitempty"`
	UserAgent    string          `json:"userAgent,omitempty"`
	RequestID    string          `json:"requestId,omitempty"`
	Details      json.RawMessage `json:"details,omitempty" doc:"A small JSON object, e.g. {\"reason\":\"wrong_password\"}."`
	PrevHash     string          `json:"prevHash"`
	Hash         string          `json:"hash"`
}

func auditOut(e *domain.AuditEntry) AuditLogEntry {
	out := AuditLogEntry{
		ID: e.ID, Seq: e.Seq, At: e.At.UTC(), ActorType: e.ActorType, ActorID: e.ActorID, Action: e.Action,
		ResourceType: e.ResourceType, ResourceID: e.ResourceID, PartnerID: e.PartnerID, OrgID: e.OrgID,
		Outcome: string(e.Outcome), IP: e.IP, UserAgent: e.UserAgent, RequestID: e.RequestID,
		PrevHash: e.PrevHash, Hash: e.Hash,
	}
	if e.Details != "" {
		if json.Valid([]byte(e.Details)) {
			out.Details = json.RawMessage(e.Details)
		} else { // never break the answer on an odd row: carry it as a string
			b, _ := json.Marshal(e.Details)
			out.Details = b
		}
	}
	return out
}
