// Package domain holds Breeze's entities, value objects and domain errors.
//
// It imports the standard library only: adapters translate driver errors into
// the errors declared here, and only the HTTP edge maps them to status codes.
package domain
