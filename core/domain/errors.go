package domain

import "errors"

// Domain errors. Adapters wrap them with %w so callers test with errors.Is.
var (
	// ErrNotFound: the thing does not exist, or it exists outside the caller's
	// scope. The two are deliberately indistinguishable (no existence oracle).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique rule, a stale version or a dependent row forbids the write.
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the input breaks a domain rule (empty name, bad status, ...).
	ErrInvalid = errors.New("invalid input")
	// ErrUnavailable: a dependency the request needs (the database, ...) does
	// not answer or cannot take writes right now (refused connection, server
	// shutting down, disk full, busy). Nothing was decided: retrying later is
	// right, and it says nothing about the caller's input or credentials.
	ErrUnavailable = errors.New("temporarily unavailable")
)

// Invalidf returns an ErrInvalid carrying a message for the caller.
func Invalidf(format string, args ...any) error {
	return &wrapped{kind: ErrInvalid, msg: sprintf(format, args...)}
}

// Conflictf returns an ErrConflict carrying a message for the caller.
func Conflictf(format string, args ...any) error {
	return &wrapped{kind: ErrConflict, msg: sprintf(format, args...)}
}

// NotFoundf returns an ErrNotFound carrying a message for the caller.
func NotFoundf(format string, args ...any) error {
	return &wrapped{kind: ErrNotFound, msg: sprintf(format, args...)}
}

type wrapped struct {
	kind error
	msg  string
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.kind }

// PublicMessage marks the message as written for callers: the HTTP edge shows
// it, while any wrapping added by adapters stays in the logs.
func (w *wrapped) PublicMessage() string { return w.msg }
