package domain

import (
	"errors"
	"fmt"
	"time"
)

// ErrRateLimited: the caller exceeded a rate limit. The concrete error is a
// *RateLimitedError telling when to retry (HTTP 429 with Retry-After).
var ErrRateLimited = errors.New("rate limited")

// RateLimitedError carries how long the caller should wait.
type RateLimitedError struct {
	What       string // "login", "enrollment", ...
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("too many %s attempts; retry in %s", e.What, e.RetryAfter.Round(time.Second))
}

// Unwrap makes errors.Is(err, ErrRateLimited) hold.
func (e *RateLimitedError) Unwrap() error { return ErrRateLimited }

// PublicMessage marks the message as safe for callers.
func (e *RateLimitedError) PublicMessage() string { return e.Error() }
