package httpapi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/gin-gonic/gin"
	"github.com/hashicorp/go-hclog"
)

// Error codes of the JSON error body. Clients switch on these, not on text.
const (
	CodeInvalid              = "invalid"
	CodeUnauthenticated      = "unauthenticated"
	CodeForbidden            = "forbidden"
	CodeNotFound             = "not_found"
	CodeMethodNotAllowed     = "method_not_allowed"
	CodeConflict             = "conflict"
	CodeTooLarge             = "too_large"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeCanceled             = "canceled"
	CodeInternal             = "internal"
	CodeNotReady             = "not_ready"
	CodeTimeout              = "timeout"
	CodeRateLimited          = "rate_limited"
	CodeUnavailable          = "unavailable"
)

const msgInternal = "internal error"

// unavailableRetryAfter is the Retry-After of a 503 for a dependency outage:
// short, since most outages are a restart or a failover.
const unavailableRetryAfter = "5"

// StatusClientClosedRequest (nginx's 499) records a request whose client went
// away; nobody reads the answer, but logs and metrics tell it from a 5xx.
const StatusClientClosedRequest = 499

// errorBody is {"error":{"code":"...","message":"..."}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ErrShuttingDown is the cause of a request context cancelled at the drain
// point of a shutdown: the request answers 503 with Retry-After (another
// node, or this one restarted, takes the retry).
var ErrShuttingDown = fmt.Errorf("%w: the server is shutting down", domain.ErrUnavailable)

// errUnsupportedMediaType marks a body that is not declared as JSON.
var errUnsupportedMediaType = errors.New("unsupported media type")

// WithCode gives err's answer its own error code (and, when message is not
// empty, its own message) while the status still follows err's kind:
// WithCode(auth.ErrTOTPRequired, "totp_required", "...") is a 401 whose code
// tells the dashboard to ask for the second factor.
func WithCode(err error, code, message string) error {
	return &codedError{err: err, code: code, msg: message}
}

type codedError struct {
	err       error
	code, msg string
}

func (e *codedError) Error() string { return e.code + ": " + e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

// WriteError answers err as JSON and aborts the chain. This is the only
// place where errors become status codes:
//
//	domain.ErrInvalid         400 invalid
//	domain.ErrUnauthenticated 401 unauthenticated (never says which check failed)
//	domain.ErrForbidden       403 forbidden
//	domain.ErrNotFound        404 not_found
//	domain.ErrConflict        409 conflict
//	domain.ErrUnavailable     503 unavailable, with Retry-After (a dependency is down)
//	*http.MaxBytesError       413 too_large
//	non-JSON body             415 unsupported_media_type
//	context.Canceled          499 canceled (the client left)
//	context.DeadlineExceeded  504 timeout
//	anything else             500 internal, logged with the request id
//
// Only messages built by core/domain (Invalidf, NotFoundf, ...) reach the
// client; wrapping added by adapters or use cases stays in the logs. WithCode
// overrides the code (and message) but never the status.
func WriteError(c *gin.Context, err error) {
	if c.Request != nil && errors.Is(context.Cause(c.Request.Context()), ErrShuttingDown) {
		err = fmt.Errorf("%w (%v)", ErrShuttingDown, err)
	}
	status, code, msg := classify(err)
	var coded *codedError
	if errors.As(err, &coded) && status != http.StatusInternalServerError {
		code = coded.code
		if coded.msg != "" {
			msg = coded.msg
		}
	}
	log := Logger(c).With("method", c.Request.Method, "route", routeLabel(c), "status", status, "error", err)
	switch {
	case status >= 500 && status != http.StatusGatewayTimeout:
		log.Error("request failed")
	case status == http.StatusGatewayTimeout:
		log.Warn("request timed out")
	default:
		log.Debug("request refused")
	}
	var limited *domain.RateLimitedError
	if errors.As(err, &limited) {
		secs := int64(math.Ceil(limited.RetryAfter.Seconds()))
		if secs < 1 {
			secs = 1
		}
		c.Header("Retry-After", strconv.FormatInt(secs, 10))
	}
	if code == CodeUnavailable {
		c.Header("Retry-After", unavailableRetryAfter)
	}
	if status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="breeze"`)
	}
	writeErrorJSON(c, status, code, msg)
}

func classify(err error) (status int, code, msg string) {
	var tooLarge *http.MaxBytesError
	var limited *domain.RateLimitedError
	switch {
	case err == nil:
		return http.StatusInternalServerError, CodeInternal, msgInternal
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, CodeTooLarge,
			fmt.Sprintf("request body is larger than %d bytes", tooLarge.Limit)
	case errors.Is(err, errUnsupportedMediaType):
		return http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "request body must be application/json"
	case errors.As(err, &limited):
		return http.StatusTooManyRequests, CodeRateLimited, limited.Error()
	case errors.Is(err, domain.ErrUnauthenticated):
		// Its detail is for logs: telling a caller which check failed helps guessing.
		return http.StatusUnauthorized, CodeUnauthenticated, "authentication required"
	case errors.Is(err, domain.ErrForbidden):
		return http.StatusForbidden, CodeForbidden, publicMessage(err, domain.ErrForbidden)
	case errors.Is(err, domain.ErrNotFound):
		return http.StatusNotFound, CodeNotFound, publicMessage(err, domain.ErrNotFound)
	case errors.Is(err, domain.ErrConflict):
		return http.StatusConflict, CodeConflict, publicMessage(err, domain.ErrConflict)
	case errors.Is(err, domain.ErrInvalid):
		return http.StatusBadRequest, CodeInvalid, publicMessage(err, domain.ErrInvalid)
	case errors.Is(err, ErrShuttingDown):
		return http.StatusServiceUnavailable, CodeUnavailable, "the server is shutting down; retry"
	case errors.Is(err, context.Canceled):
		return StatusClientClosedRequest, CodeCanceled, "request canceled"
	case errors.Is(err, domain.ErrUnavailable):
		return http.StatusServiceUnavailable, CodeUnavailable, "a service this request needs is temporarily unavailable; retry later"
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, CodeTimeout, "the request took too long"
	default:
		return http.StatusInternalServerError, CodeInternal, msgInternal
	}
}

// publicMessager is implemented by errors whose text is written for callers
// (core/domain's Invalidf, NotFoundf, ...).
type publicMessager interface{ PublicMessage() string }

// publicMessage is the caller-facing text of the first error in err's tree
// that carries one for kind, else kind's own text ("not found", ...).
func publicMessage(err, kind error) string {
	var found string
	walkErrors(err, func(e error) bool {
		if pm, ok := e.(publicMessager); ok && errors.Is(e, kind) {
			found = pm.PublicMessage()
			return true
		}
		return false
	})
	if found == "" {
		return kind.Error()
	}
	return found
}

// walkErrors visits err's tree depth first, like errors.Is, until visit says stop.
func walkErrors(err error, visit func(error) bool) bool {
	for err != nil {
		if visit(err) {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if walkErrors(e, visit) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}

// writeErrorJSON writes the error body unless an answer has already started.
func writeErrorJSON(c *gin.Context, status int, code, msg string) {
	if c.Writer.Written() {
		Logger(c).Log(hclog.Warn, "error after the response started", "code", code)
		c.Abort()
		return
	}
	c.AbortWithStatusJSON(status, errorBody{Error: errorDetail{Code: code, Message: msg}})
}
