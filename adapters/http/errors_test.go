package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/gin-gonic/gin"
)

func TestWriteErrorMapping(t *testing.T) {
	cases := []struct {
		name   string
		err    error
		status int
		code   string
		msg    string // exact message the client must get
	}{
		{"not found", domain.ErrNotFound, 404, CodeNotFound, "not found"},
		{"not found, domain message", domain.NotFoundf("device %s not found", "d1"), 404, CodeNotFound, "device d1 not found"},
		{"not found, adapter-wrapped sentinel", fmt.Errorf("postgres: select devices where org=7: %w", domain.ErrNotFound), 404, CodeNotFound, "not found"},
		{"conflict", domain.ErrConflict, 409, CodeConflict, "conflict"},
		{"conflict, wrapped domain message", fmt.Errorf("app: create site: %w", domain.Conflictf("site name already used")), 409, CodeConflict, "site name already used"},
		{"invalid", domain.ErrInvalid, 400, CodeInvalid, "invalid input"},
		{"invalid, domain message", domain.Invalidf("name is required"), 400, CodeInvalid, "name is required"},
		{"invalid, twice wrapped", fmt.Errorf("a: %w", fmt.Errorf("sqlite /var/lib/breeze.db: %w", domain.Invalidf("bad status"))), 400, CodeInvalid, "bad status"},
		{"invalid in a join", errors.Join(errors.New("secret internal"), domain.Invalidf("bad cursor")), 400, CodeInvalid, "bad cursor"},
		{"unauthenticated hides detail", domain.Unauthenticatedf("token revoked at 12:00"), 401, CodeUnauthenticated, "authentication required"},
		{"forbidden", fmt.Errorf("wrap: %w", domain.Forbiddenf("missing devices:execute")), 403, CodeForbidden, "missing devices:execute"},
		{"too large", fmt.Errorf("read: %w", &http.MaxBytesError{Limit: 10}), 413, CodeTooLarge, "request body is larger than 10 bytes"},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), 504, CodeTimeout, "the request took too long"},
		{"canceled", fmt.Errorf("query: %w", context.Canceled), 499, CodeCanceled, "request canceled"},
		{"other", errors.New("pq: password authentication failed for user breeze"), 500, CodeInternal, "internal error"},
		{"nil", nil, 500, CodeInternal, "internal error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			ts.Handle(http.MethodGet, "/e", Public(), func(c *gin.Context) { WriteError(c, tc.err) })
			rec := ts.do(t, http.MethodGet, "/e", nil, http.Header{HeaderRequestID: {"err-1"}})
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			e := decodeError(t, rec)
			if e.Code != tc.code || e.Message != tc.msg {
				t.Fatalf("got %+v, want code %q message %q", e, tc.code, tc.msg)
			}
			if tc.status == 401 && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate: %v", rec.Header())
			}
			if tc.status == 500 && tc.err != nil {
				failed := ts.logs.lines(t, "request failed")
				if len(failed) != 1 || failed[0]["error"] != tc.err.Error() || failed[0]["request_id"] != "err-1" {
					t.Errorf("500 not logged with the real error and request id: %v", failed)
				}
			}
		})
	}
}

func TestWriteErrorAfterResponseStarted(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.Handle(http.MethodGet, "/half", Public(), func(c *gin.Context) {
		c.String(http.StatusOK, "partial")
		WriteError(c, errors.New("late"))
	})
	rec := ts.do(t, http.MethodGet, "/half", nil, nil)
	if rec.Code != http.StatusOK || rec.Body.String() != "partial" {
		t.Fatalf("late error corrupted the answer: %d %q", rec.Code, rec.Body.String())
	}
}

func TestNotFoundAndMethodNotAllowedJSON(t *testing.T) {
	ts := newTestServer(t, nil)
	rec := ts.do(t, http.MethodGet, "/no/such/route", nil, nil)
	if rec.Code != http.StatusNotFound || decodeError(t, rec).Code != CodeNotFound {
		t.Fatalf("404: %d %s", rec.Code, rec.Body.String())
	}
	// No redirect for a trailing slash: redirects would bypass the middleware.
	rec = ts.do(t, http.MethodGet, "/healthz/", nil, nil)
	if rec.Code != http.StatusNotFound || decodeError(t, rec).Code != CodeNotFound {
		t.Fatalf("/healthz/: %d %s", rec.Code, rec.Body.String())
	}
	rec = ts.do(t, http.MethodDelete, "/healthz", nil, nil)
	if rec.Code != http.StatusMethodNotAllowed || decodeError(t, rec).Code != CodeMethodNotAllowed {
		t.Fatalf("405: %d %s", rec.Code, rec.Body.String())
	}
	if allow := rec.Header().Get("Allow"); allow != http.MethodGet {
		t.Errorf("405 Allow = %q, want GET", allow)
	}
}

func TestRateLimitedAnswers429WithRetryAfter(t *testing.T) {
	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	c.Request = httptest.NewRequest(http.MethodPost, "/x", nil)
	WriteError(c, fmt.Errorf("login: %w", &domain.RateLimitedError{What: "login", RetryAfter: 1500 * time.Millisecond}))
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("status = %d", rec.Code)
	}
	if got := rec.Header().Get("Retry-After"); got != "2" {
		t.Fatalf("Retry-After = %q, want 2 (rounded up)", got)
	}
	if !strings.Contains(rec.Body.String(), `"code":"rate_limited"`) {
		t.Fatalf("body = %s", rec.Body.String())
	}
}

func TestWithCode(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.Handle(http.MethodGet, "/totp", Public(), func(c *gin.Context) {
		WriteError(c, WithCode(fmt.Errorf("login: %w", domain.Unauthenticatedf("code needed")), "totp_required", "a second-factor code is required"))
	})
	ts.Handle(http.MethodGet, "/enrol", Public(), func(c *gin.Context) {
		WriteError(c, WithCode(domain.Forbiddenf("enrol first"), "totp_enrollment_required", ""))
	})
	ts.Handle(http.MethodGet, "/internal", Public(), func(c *gin.Context) {
		WriteError(c, WithCode(errors.New("db down"), "sneaky", "db password is x"))
	})
	for _, tc := range []struct {
		path   string
		status int
		code   string
		msg    string
	}{
		{"/totp", 401, "totp_required", "a second-factor code is required"},
		{"/enrol", 403, "totp_enrollment_required", "enrol first"},
		{"/internal", 500, CodeInternal, msgInternal},
	} {
		rec := ts.do(t, http.MethodGet, tc.path, nil, nil)
		e := decodeError(t, rec)
		if rec.Code != tc.status || e.Code != tc.code || e.Message != tc.msg {
			t.Errorf("%s: %d %+v, want %d %s %q", tc.path, rec.Code, e, tc.status, tc.code, tc.msg)
		}
	}
}

// A dependency outage (the database refusing connections, a full disk) is
// not the server's bug: it answers 503 with Retry-After so clients and
// agents come back, and keeps the driver's detail in the log.
func TestUnavailableAnswers503WithRetryAfter(t *testing.T) {
	ts := newTestServer(t, nil)
	cause := fmt.Errorf("postgres: list devices: %w", errors.Join(domain.ErrUnavailable, errors.New("dial tcp 10.0.0.5:5432: connect: connection refused")))
	ts.Handle(http.MethodGet, "/down", Public(), func(c *gin.Context) { WriteError(c, cause) })
	rec := ts.do(t, http.MethodGet, "/down", nil, nil)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503", rec.Code)
	}
	if got := rec.Header().Get("Retry-After"); got != "5" {
		t.Fatalf("Retry-After = %q, want 5", got)
	}
	e := decodeError(t, rec)
	if e.Code != CodeUnavailable || strings.Contains(e.Message, "10.0.0.5") {
		t.Fatalf("body = %+v", e)
	}
}
