package domain

import "errors"

// Identity errors. Like the others they are wrapped with %w and tested with
// errors.Is; only adapters/http turns them into 401 and 403.
var (
	// ErrUnauthenticated: the caller could not be identified (no credential, or
	// a bad, expired or revoked one). Deliberately carries no detail for the
	// client about which check failed.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden: the caller is known but lacks the permission. Tenant data
	// outside the caller's scope answers ErrNotFound instead (no existence oracle).
	ErrForbidden = errors.New("forbidden")
)

// Unauthenticatedf returns an ErrUnauthenticated carrying a message for the
// caller; keep it vague (which check failed belongs in logs, not here).
func Unauthenticatedf(format string, args ...any) error {
	return &wrapped{kind: ErrUnauthenticated, msg: sprintf(format, args...)}
}

// Forbiddenf returns an ErrForbidden carrying a message for the caller.
func Forbiddenf(format string, args ...any) error {
	return &wrapped{kind: ErrForbidden, msg: sprintf(format, args...)}
}
