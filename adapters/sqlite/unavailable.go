package sqlite

import (
	"errors"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/breeze-rmm/breeze/core/domain"
)

// unavailableError marks a failure of the database file rather than of the
// statement (disk full, I/O error, locked beyond the busy timeout, cannot
// open): domain.ErrUnavailable for the HTTP edge (503 + Retry-After), the
// driver error for the log.
type unavailableError struct {
	op    string
	cause error
}

func (e *unavailableError) Error() string {
	return "sqlite: " + e.op + ": database unavailable: " + e.cause.Error()
}
func (e *unavailableError) Unwrap() []error { return []error{domain.ErrUnavailable, e.cause} }

// markUnavailable wraps err when the database cannot serve; any other error
// (nil too) is returned as is.
func markUnavailable(op string, err error) error {
	if err == nil || errors.Is(err, domain.ErrUnavailable) || !databaseDown(err) {
		return err
	}
	return &unavailableError{op: op, cause: err}
}

// databaseDown reports the SQLite result codes of an unusable database.
func databaseDown(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff { // the primary code of an extended one
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL,
		sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_NOMEM:
		return true
	}
	return false
}
