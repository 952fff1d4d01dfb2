package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/gin-gonic/gin"
)

// auditRecorder is an AuditSink that keeps rows and can be told to fail.
type auditRecorder struct {
	mu   sync.Mutex
	rows []domain.AuditEntry
	fail error
	errs []error // each call's ctx.Err() when it was made
	dead []bool  // whether each call's ctx had a deadline
}

func (r *auditRecorder) sink(ctx context.Context, e *domain.AuditEntry) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, hasDeadline := ctx.Deadline()
	r.errs, r.dead = append(r.errs, ctx.Err()), append(r.dead, hasDeadline)
	if r.fail != nil {
		return r.fail
	}
	r.rows = append(r.rows, *e)
	return nil
}

func (r *auditRecorder) take() []domain.AuditEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.rows
	r.rows = nil
	return out
}

const (
	validID = "01890a5d-ac96-774b-bcce-b302099a8057"
	userID  = "01890a5d-ac96-774b-bcce-b302099a8058"
)

// newAuditServer has an authenticator that knows "Bearer alice" (who holds
// orgs:write only) and routes whose handlers behave as the path says.
func newAuditServer(t *testing.T) (*testServer, *auditRecorder) {
	rec := &auditRecorder{}
	auth := AuthenticatorFunc(func(c *gin.Context, rule Rule) error {
		if c.GetHeader("Authorization") != "Bearer alice" {
			return domain.Unauthenticatedf("no")
		}
		audit.SetActor(c, "user", userID)
		if rule.Permission != "" && rule.Permission != "orgs:write" {
			return domain.Forbiddenf("missing %s", rule.Permission)
		}
		return nil
	})
	ts := newTestServer(t, func(d *Deps) { d.Auth = auth; d.Audit = rec.sink })
	ts.HandleRoute(Route{Method: http.MethodPost, Path: "/orgs", Rule: User("orgs:write"), Name: "orgs.create", Resource: "organization"},
		func(c *gin.Context) {
			audit.SetResource(c, "", validID, "p1", "o1")
			c.JSON(http.StatusCreated, gin.H{"id": validID})
		})
	ts.HandleRoute(Route{Method: http.MethodDelete, Path: "/orgs/:id", Rule: User("orgs:write"), Resource: "organization"},
		func(c *gin.Context) {
			switch c.GetHeader("X-Behave") {
			case "missing":
				WriteError(c, domain.NotFoundf("organization not found"))
			case "conflict":
				WriteError(c, domain.Conflictf("busy"))
			case "panic":
				panic("boom")
			case "claims-success-then-fails":
				audit.SetOutcome(c, domain.OutcomeSuccess, "")
				WriteError(c, errors.New("disk on fire"))
			default:
				c.Status(http.StatusNoContent)
			}
		})
	ts.Handle(http.MethodPost, "/users", User("users:write"), ok)
	ts.Handle(http.MethodPost, "/login", Public(), func(c *gin.Context) {
		audit.SetOutcome(c, domain.OutcomeFailure, `{"reason":"wrong_password"}`)
		WriteError(c, domain.Unauthenticatedf("bad password"))
	})
	ts.Handle(http.MethodGet, "/orgs", User("orgs:write"), ok)
	return ts, rec
}

func one(t *testing.T, rec *auditRecorder) domain.AuditEntry {
	t.Helper()
	rows := rec.take()
	if len(rows) != 1 {
		t.Fatalf("got %d audit rows, want exactly 1: %+v", len(rows), rows)
	}
	return rows[0]
}

func TestAuditOneRowPerMutatingRequest(t *testing.T) {
	ts, rec := newAuditServer(t)
	alice := http.Header{"Authorization": {"Bearer alice"}, HeaderRequestID: {"req-42"}, "User-Agent": {"curl/8"}}

	r := ts.do(t, http.MethodPost, "/orgs", nil, alice)
	if r.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Code, r.Body.String())
	}
	e := one(t, rec)
	want := domain.AuditEntry{
		ActorType: "user", ActorID: userID, Action: "orgs.create", ResourceType: "organization",
		ResourceID: validID, PartnerID: "p1", OrgID: "o1", Outcome: domain.OutcomeSuccess,
		IP: "192.0.2.1", UserAgent: "curl/8", RequestID: "req-42",
	}
	if e != want {
		t.Fatalf("row\n got %+v\nwant %+v", e, want)
	}

	// Reads are not audited.
	ts.do(t, http.MethodGet, "/orgs", nil, alice)
	if rows := rec.take(); len(rows) != 0 {
		t.Fatalf("a GET was audited: %+v", rows)
	}
	// Nor are paths and methods that match no route.
	ts.do(t, http.MethodPost, "/nope", nil, alice)
	ts.do(t, http.MethodPut, "/orgs", nil, alice)
	if rows := rec.take(); len(rows) != 0 {
		t.Fatalf("an unmatched request was audited: %+v", rows)
	}
}

func TestAuditOutcomes(t *testing.T) {
	ts, rec := newAuditServer(t)
	alice := http.Header{"Authorization": {"Bearer alice"}}
	with := func(behave string) http.Header {
		h := alice.Clone()
		h.Set("X-Behave", behave)
		return h
	}
	for _, tc := range []struct {
		name, method, path string
		header             http.Header
		status             int
		outcome            domain.AuditOutcome
		actor, resourceID  string
		details            string
		action             string
	}{
		{"no credential", http.MethodPost, "/orgs", nil, 401, domain.OutcomeDenied, "anonymous", "", "", "orgs.create"},
		{"missing permission", http.MethodPost, "/users", alice, 403, domain.OutcomeDenied, "user", "", "", "users.create"},
		{"not found is denied", http.MethodDelete, "/orgs/" + validID, with("missing"), 404, domain.OutcomeDenied, "user", validID, "", "orgs.delete"},
		{"conflict is a failure", http.MethodDelete, "/orgs/" + validID, with("conflict"), 409, domain.OutcomeFailure, "user", validID, "", "orgs.delete"},
		{"panic is a failure", http.MethodDelete, "/orgs/" + validID, with("panic"), 500, domain.OutcomeFailure, "user", validID, "", "orgs.delete"},
		{"success contradicted", http.MethodDelete, "/orgs/" + validID, with("claims-success-then-fails"), 500, domain.OutcomeFailure, "user", validID, "", "orgs.delete"},
		{"deleted", http.MethodDelete, "/orgs/" + validID, alice, 204, domain.OutcomeSuccess, "user", validID, "", "orgs.delete"},
		{"malformed id not recorded", http.MethodDelete, "/orgs/x%0Ay", alice, 204, domain.OutcomeSuccess, "user", "", "", "orgs.delete"},
		{"use case outcome kept", http.MethodPost, "/login", nil, 401, domain.OutcomeFailure, "anonymous", "", `{"reason":"wrong_password"}`, "login.create"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, tc.method, tc.path, nil, tc.header)
			if r.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Code, tc.status, r.Body.String())
			}
			e := one(t, rec)
			if e.Outcome != tc.outcome || e.ActorType != tc.actor || e.ResourceID != tc.resourceID ||
				e.Details != tc.details || e.Action != tc.action {
				t.Fatalf("row %+v: want outcome %s actor %s resource %q details %q action %s",
					e, tc.outcome, tc.actor, tc.resourceID, tc.details, tc.action)
			}
		})
	}
}

// A request whose audit row cannot be written fails (503 when the store is
// down, 500 otherwise) and none of its held answer leaks out; the failure
// is logged. A client that hangs up does not cancel the append.
func TestAuditSinkFailureAndDetachedContext(t *testing.T) {
	ts, rec := newAuditServer(t)
	ts.HandleRoute(Route{Method: http.MethodPost, Path: "/session", Rule: Public(), Name: "auth.login"},
		func(c *gin.Context) {
			c.SetCookie("refresh", "secret", 60, "/", "", true, true)
			c.JSON(http.StatusOK, gin.H{"accessToken": "tok"})
		})
	rec.fail = errors.Join(domain.ErrUnavailable, errors.New("database or disk is full"))
	r := ts.do(t, http.MethodPost, "/orgs", nil, http.Header{"Authorization": {"Bearer alice"}})
	if r.Code != http.StatusServiceUnavailable || strings.Contains(r.Body.String(), validID) || r.Header().Get("Retry-After") == "" {
		t.Fatalf("a request whose audit row failed answered %d %v %s", r.Code, r.Header(), r.Body.String())
	}
	lines := ts.logs.lines(t, "audit append failed: the action is not in the audit log")
	if len(lines) != 1 || lines[0]["@level"] != "error" || lines[0]["action"] != "orgs.create" {
		t.Fatalf("audit failure log: %v\n%s", lines, ts.logs.String())
	}
	r = ts.do(t, http.MethodPost, "/session", nil, nil)
	if r.Code != http.StatusServiceUnavailable || r.Header().Get("Set-Cookie") != "" || strings.Contains(r.Body.String(), "tok") {
		t.Fatalf("a sign-in whose audit row failed answered %d %v %s", r.Code, r.Header(), r.Body.String())
	}
	rec.fail = errors.New("audit bug")
	if r := ts.do(t, http.MethodPost, "/orgs", nil, http.Header{"Authorization": {"Bearer alice"}}); r.Code != http.StatusInternalServerError {
		t.Fatalf("a failed append that is no outage: %d %s", r.Code, r.Body.String())
	}
	// With the row stored, the held answer goes out whole.
	rec.fail = nil
	r = ts.do(t, http.MethodPost, "/session", nil, nil)
	if r.Code != http.StatusOK || !strings.Contains(r.Header().Get("Set-Cookie"), "refresh=secret") || !strings.Contains(r.Body.String(), "tok") {
		t.Fatalf("audited sign-in: %d %v %s", r.Code, r.Header(), r.Body.String())
	}
	rec.take()

	rec.fail = nil
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "/orgs", nil)
	req.Header.Set("Authorization", "Bearer alice")
	ts.Handler().ServeHTTP(newDiscard(), req)
	one(t, rec)
	rec.mu.Lock()
	lastErr, lastDeadline := rec.errs[len(rec.errs)-1], rec.dead[len(rec.dead)-1]
	rec.mu.Unlock()
	if lastErr != nil {
		t.Fatalf("the append ran on a cancelled context: %v", lastErr)
	}
	if !lastDeadline {
		t.Fatal("the append has no deadline")
	}
}

func TestNoAuditSinkNoMiddleware(t *testing.T) {
	ts := newTestServer(t, nil)
	var noted bool
	ts.Handle(http.MethodPost, "/x", Public(), func(c *gin.Context) { noted = audit.From(c) != nil; ok(c) })
	ts.do(t, http.MethodPost, "/x", nil, nil)
	if noted {
		t.Fatal("a note was opened without an audit sink")
	}
}

func TestOutcomeFor(t *testing.T) {
	for status, want := range map[int]domain.AuditOutcome{
		200: domain.OutcomeSuccess, 201: domain.OutcomeSuccess, 204: domain.OutcomeSuccess,
		400: domain.OutcomeFailure, 401: domain.OutcomeDenied, 403: domain.OutcomeDenied,
		404: domain.OutcomeDenied, 409: domain.OutcomeFailure, 413: domain.OutcomeFailure,
		429: domain.OutcomeDenied, 499: domain.OutcomeFailure, 500: domain.OutcomeFailure,
	} {
		if got := outcomeFor(status); got != want {
			t.Errorf("outcomeFor(%d) = %s, want %s", status, got, want)
		}
	}
}

type discardWriter struct{ h http.Header }

func newDiscard() *discardWriter                     { return &discardWriter{h: http.Header{}} }
func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(statusCode int)  {}
