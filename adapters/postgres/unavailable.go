package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/breeze-rmm/breeze/core/domain"
)

// unavailableError marks a failure of the database itself (no connection,
// the server shutting down, out of disk or connections): domain.ErrUnavailable
// for the HTTP edge (503 + Retry-After), the driver error for the log.
type unavailableError struct{ cause error }

func (e *unavailableError) Error() string {
	return "postgres: database unavailable: " + e.cause.Error()
}
func (e *unavailableError) Unwrap() []error { return []error{domain.ErrUnavailable, e.cause} }

// markUnavailable wraps err when it says the database cannot serve; any
// other error (nil too) is returned as is.
func markUnavailable(err error) error {
	if err == nil || errors.Is(err, domain.ErrUnavailable) || !databaseDown(err) {
		return err
	}
	return &unavailableError{cause: err}
}

// databaseDown reports errors of the connection or the server rather than of
// the statement: refused or lost connections, admin/crash shutdown, "cannot
// connect now" (starting up, recovering), insufficient resources (disk full,
// too many connections). A cancelled request is the caller leaving, not an outage.
func databaseDown(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"), // connection exception
			strings.HasPrefix(pgErr.Code, "53"), // insufficient resources
			pgErr.Code == "57P01",               // admin_shutdown
			pgErr.Code == "57P02",               // crash_shutdown
			pgErr.Code == "57P03",               // cannot_connect_now
			pgErr.Code == "58030":               // io_error
			return true
		}
		return false
	}
	var netErr net.Error
	if errors.As(err, &netErr) && !netErr.Timeout() {
		return true
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return true
	}
	// A connection that died under a statement.
	return pgconn.SafeToRetry(err) || strings.Contains(err.Error(), "conn closed")
}

// guarded is a querier whose errors say when the database is down, so every
// statement of the entity stores maps an outage to domain.ErrUnavailable,
// including those that return the driver error unwrapped.
type guarded struct{ q querier }

func guard(q querier) querier {
	if g, ok := q.(guarded); ok {
		return g
	}
	return guarded{q: q}
}

func (g guarded) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := g.q.Exec(ctx, sql, args...)
	return tag, markUnavailable(err)
}

func (g guarded) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := g.q.Query(ctx, sql, args...)
	if err != nil {
		return rows, markUnavailable(err)
	}
	return guardedRows{rows}, nil
}

func (g guarded) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return guardedRow{g.q.QueryRow(ctx, sql, args...)}
}

func (g guarded) Begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := g.q.Begin(ctx)
	return tx, markUnavailable(err)
}

type guardedRow struct{ r pgx.Row }

func (r guardedRow) Scan(dest ...any) error { return markUnavailable(r.r.Scan(dest...)) }

type guardedRows struct{ pgx.Rows }

func (r guardedRows) Err() error { return markUnavailable(r.Rows.Err()) }
