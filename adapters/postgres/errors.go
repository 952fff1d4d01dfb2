package postgres

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/breeze-rmm/breeze/core/domain"
)

// PostgreSQL error codes the adapter translates.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeCheckViolation      = "23514"
	// invalid_byte_sequence: text that is not UTF-8, or holds a NUL byte.
	codeBadText = "22021"
	// insufficient_privilege: here a row-level security policy refused a
	// write (an upsert meeting another tenant's row, a row written into a
	// tenant outside the transaction's set).
	codeWallRefused = "42501"
)

// uniqueMessages name the clash of each unique constraint (%q is the name).
var uniqueMessages = map[string]string{
	"partners_name_key":        "a partner named %q already exists",
	"organizations_name_key":   "an organization named %q already exists in this partner",
	"sites_name_key":           "a site named %q already exists in this organization",
	"device_groups_name_key":   "a device group named %q already exists here",
	"users_email_key":          "the email %q is already in use",
	"roles_name_key":           "a role named %q already exists in this partner",
	"plugin_catalogs_name_key": "a plugin catalog named %q already exists",
	// Messages without %q need no name.
	"role_assignments_grant_key":    "the user already holds this role at this unit",
	"api_keys_secret_hash_key":      "an API key with this secret already exists",
	"refresh_tokens_token_hash_key": "a refresh token with this hash already exists",
	"audit_log_id_key":              "an audit entry with this id already exists",
	"enrollment_keys_key_hash_key":  "an enrollment key with this hash already exists",
	"agent_tokens_token_hash_key":   "another device already holds this agent token",
}

// restrictMessages explain which children block a delete.
var restrictMessages = map[string]string{
	"organizations_partner_fk": "partner still has organizations",
	"sites_org_fk":             "organization still has sites",
	"device_groups_org_fk":     "organization still has device groups",
	"device_groups_site_fk":    "site still has device groups",
	"devices_org_fk":           "organization still has devices",
	"devices_site_fk":          "site still has devices",
	"devices_group_fk":         "device group still has devices",
	"users_partner_fk":         "partner still has users",
	"users_org_fk":             "organization still has users",
	"role_assignments_role_fk": "role is still granted to users",
}

// dbError is a domain error that also keeps the driver error in its chain,
// so errors.Is(err, domain.ErrConflict) and errors.As(err, **pgconn.PgError)
// both work while the message stays fit for an API caller.
type dbError struct {
	domain error
	cause  error
}

func (e *dbError) Error() string   { return e.domain.Error() }
func (e *dbError) Unwrap() []error { return []error{e.domain, e.cause} }

// translate maps driver errors to domain errors; name fills the message of a
// unique violation. Domain errors keep a message fit for an API caller; any
// other error is wrapped with "postgres: op:" for the operator.
func translate(op string, err error, name ...string) error {
	if err == nil {
		return nil
	}
	var already *dbError
	if errors.As(err, &already) {
		return err
	}
	if databaseDown(err) {
		return markUnavailable(err)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return &dbError{domain: domain.NotFoundf("not found"), cause: err}
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	switch pgErr.Code {
	case codeUniqueViolation:
		msg := "already exists"
		if strings.HasSuffix(pgErr.ConstraintName, "_pkey") {
			msg = fmt.Sprintf("a row with this id already exists in %s", pgErr.TableName)
		} else if f, ok := uniqueMessages[pgErr.ConstraintName]; ok {
			switch {
			case !strings.Contains(f, "%q"):
				msg = f
			case len(name) > 0:
				msg = fmt.Sprintf(f, name[0])
			}
		}
		return &dbError{domain: domain.Conflictf("%s", msg), cause: err}
	case codeForeignKeyViolation:
		// On insert or update: the parent vanished meanwhile, so it does not exist.
		return &dbError{domain: domain.NotFoundf("parent not found"), cause: err}
	case codeCheckViolation:
		return &dbError{domain: domain.Invalidf("value breaks rule %s", pgErr.ConstraintName), cause: err}
	case codeBadText:
		return &dbError{domain: domain.Invalidf("text must be valid UTF-8 without NUL bytes"), cause: err}
	case codeWallRefused:
		// Outside the caller's tenants: the same answer as a missing row.
		return &dbError{domain: domain.NotFoundf("not found"), cause: err}
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// translateDelete is translate for DELETE, where a foreign key violation
// means children still point at the row.
func translateDelete(op string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == codeForeignKeyViolation {
		msg, ok := restrictMessages[pgErr.ConstraintName]
		if !ok {
			msg = "still has dependent rows"
		}
		return &dbError{domain: domain.Conflictf("%s", msg), cause: err}
	}
	return translate(op, err)
}

// notFound is the answer for anything missing or outside the scope.
func notFound(what string) error { return domain.NotFoundf("%s not found", what) }

// staleVersion is the answer for an update carrying an old version.
func staleVersion(what string, have, stored int64) error {
	return domain.Conflictf("%s was changed by someone else (version %d, now %d): reload and retry", what, have, stored)
}
