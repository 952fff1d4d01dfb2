package link

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/breeze-rmm/breeze/agent/backoff"
)

// errTokenRejected is a 401/403 at upgrade: the token is revoked or belongs
// to another device. Retrying fast would only hammer the server.
var errTokenRejected = errors.New("agent token rejected")

// refusedError is any other HTTP answer instead of an upgrade. retryAfter is
// the server's Retry-After on 429/503, or -1.
type refusedError struct {
	status     string
	retryAfter time.Duration
}

func (e *refusedError) Error() string {
	if e.retryAfter >= 0 {
		return fmt.Sprintf("server refused the link: %s (Retry-After %s)", e.status, e.retryAfter)
	}
	return "server refused the link: " + e.status
}

// classifyDial turns a failed upgrade into one of the errors above.
func classifyDial(resp *http.Response, err error, maxRetryAfter time.Duration) error {
	if resp == nil {
		return fmt.Errorf("dial: %w", err)
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("%w (%s)", errTokenRejected, resp.Status)
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		if d, ok := backoff.RetryAfter(resp.Header, time.Now(), maxRetryAfter); ok {
			return &refusedError{status: resp.Status, retryAfter: d}
		}
	}
	return &refusedError{status: resp.Status, retryAfter: -1}
}
