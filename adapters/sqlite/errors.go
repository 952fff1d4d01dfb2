package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/breeze-rmm/breeze/core/domain"
)

// dbError is a domain error that keeps the driver error in its chain, so
// errors.Is(err, domain.ErrConflict) and errors.As(err, **sqlite.Error) both
// hold while the message stays fit for an API caller.
type dbError struct {
	kind  error
	msg   string
	cause error
}

func (e *dbError) Error() string   { return e.msg }
func (e *dbError) Unwrap() []error { return []error{e.kind, e.cause} }

// failure says how to report the constraint failures one statement can hit.
type failure struct {
	op       string // "create partner": prefixes unexpected errors
	unique   string // a unique rule clashed (the name is taken)
	dup      string // the primary key clashed (the id is taken)
	restrict string // a child row still references the row (delete)
	missing  string // a referenced parent row is gone (insert)
}

// wrap translates err; nil stays nil and domain errors pass unchanged.
func (f failure) wrap(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrConflict) || errors.Is(err, domain.ErrInvalid) ||
		errors.Is(err, domain.ErrUnavailable) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &dbError{kind: domain.ErrNotFound, msg: "not found", cause: err}
	}
	if databaseDown(err) {
		return markUnavailable(f.op, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			if f.unique != "" {
				return &dbError{kind: domain.ErrConflict, msg: f.unique, cause: err}
			}
			return &dbError{kind: domain.ErrConflict, msg: "already exists", cause: err}
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			if f.dup != "" {
				return &dbError{kind: domain.ErrConflict, msg: f.dup, cause: err}
			}
			return &dbError{kind: domain.ErrConflict, msg: "id already exists", cause: err}
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3.SQLITE_CONSTRAINT_TRIGGER:
			// ON DELETE RESTRICT runs as a built-in trigger, so a blocked
			// delete reports CONSTRAINT_TRIGGER; so do the audit log's own
			// append-only triggers, which are no foreign key: the message
			// tells them apart.
			if se.Code() == sqlite3.SQLITE_CONSTRAINT_TRIGGER && !strings.Contains(se.Error(), "FOREIGN KEY") {
				break
			}
			switch {
			case f.restrict != "":
				return &dbError{kind: domain.ErrConflict, msg: f.restrict, cause: err}
			case f.missing != "":
				return &dbError{kind: domain.ErrNotFound, msg: f.missing, cause: err}
			}
			return &dbError{kind: domain.ErrConflict, msg: "a related row forbids the write", cause: err}
		case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return &dbError{kind: domain.ErrInvalid, msg: "a value breaks a rule of the schema", cause: err}
		}
	}
	return fmt.Errorf("sqlite: %s: %w", f.op, err)
}

func notFound(what string) error { return domain.NotFoundf("%s not found", what) }
