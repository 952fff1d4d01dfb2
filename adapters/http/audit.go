package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/gin-gonic/gin"
)

// AuditSink stores one audit row (the server passes the store's
// Audit().Append). It is called once per mutating request, after the answer
// is decided.
type AuditSink func(ctx context.Context, e *domain.AuditEntry) error

// ActorAnonymous is the actor of a request nobody was identified for.
const ActorAnonymous = "anonymous"

// auditTimeout bounds an append; it runs detached from the request, so a
// client hanging up cannot cancel the row of what it did.
const auditTimeout = 5 * time.Second

// mutating reports the methods that change state and so are audited.
func mutating(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// auditMiddleware writes exactly one audit row per mutating request on a
// registered route (unmatched paths and methods are not actions and are not
// audited). It opens an audit.Note before the route's guard runs, so the
// authenticator records the actor and refusals are audited too (as
// "anonymous" when nobody was identified); use cases fill in the resource
// and, when they know it, the outcome. Otherwise the outcome follows the
// status: 2xx success; 401, 403, 429 and 404 denied (a 404 on a write is what
// a cross-tenant attempt looks like); anything else failure. An outcome a use
// case set is kept unless the answer contradicts it (success with an error
// status). The answer is held until the row is stored: when the append
// fails the client gets 503 (store down) or 500 instead, never a success
// whose row is missing; the failure is logged at Error.
func (s *Server) auditMiddleware(sink AuditSink) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !mutating(c.Request.Method) {
			c.Next()
			return
		}
		route, ok := s.routeFor(c.Request.Method, c.FullPath())
		if !ok {
			c.Next()
			return
		}
		base := domain.AuditEntry{
			ActorType:    ActorAnonymous,
			Action:       route.Name,
			ResourceType: route.Resource,
			IP:           c.ClientIP(),
			UserAgent:    c.Request.UserAgent(),
			RequestID:    RequestID(c),
		}
		// The id the caller aimed at, so a refused attempt still says what
		// it targeted; only a well-formed id, never attacker-chosen text.
		if id := c.Param("id"); domain.ValidID(id) {
			base.ResourceID = id
		}
		ctx, note := audit.WithNote(c.Request.Context(), base)
		c.Request = c.Request.WithContext(ctx)

		// The answer is held until the row is stored (see heldWriter).
		real := c.Writer
		before := real.Header().Clone()
		held := holdAnswer(real)
		c.Writer = held

		completed := false
		defer func() {
			// Also on a panic (on its way to recoverMiddleware): it becomes a 500.
			status := finalStatus(c, completed)
			e, decided := note.Entry()
			derived := outcomeFor(status)
			if !decided || (e.Outcome == domain.OutcomeSuccess && derived != domain.OutcomeSuccess) {
				e.Outcome = derived
			}
			e.Truncate()
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
			defer cancel()
			err := sink(actx, &e)
			c.Writer = real
			if err == nil {
				if completed {
					held.release()
				}
				return
			}
			Logger(c).Error("audit append failed: the action is not in the audit log",
				"action", e.Action, "outcome", e.Outcome, "actor_type", e.ActorType,
				"actor_id", e.ActorID, "resource_id", e.ResourceID, "status", status, "error", err)
			if !completed || held.hijacked {
				return // a panic (recoverMiddleware answers) or a hijacked connection
			}
			// Audit completeness is a promise: no answer without its row.
			held.discard(before)
			WriteError(c, auditFailed(err))
		}()
		c.Next()
		completed = true
	}
}

// auditFailed is the answer to a request whose audit row could not be
// written: 503 when the store is down (retry later), else 500.
func auditFailed(err error) error {
	if errors.Is(err, domain.ErrUnavailable) {
		return fmt.Errorf("audit append: %w", err)
	}
	return fmt.Errorf("audit append: %v", err)
}

// outcomeFor derives an audit outcome from the answer's status.
func outcomeFor(status int) domain.AuditOutcome {
	switch {
	case status >= 200 && status < 300:
		return domain.OutcomeSuccess
	case status == http.StatusUnauthorized, status == http.StatusForbidden,
		status == http.StatusTooManyRequests, status == http.StatusNotFound:
		return domain.OutcomeDenied
	}
	return domain.OutcomeFailure
}
