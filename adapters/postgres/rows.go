package postgres

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Helpers shared by the entity stores.

// newID returns id, or a fresh UUIDv7 when id is empty. A caller-chosen id
// must be canonical.
func newID(id string) (string, error) {
	if id == "" {
		return domain.NewID(), nil
	}
	if !domain.ValidID(id) {
		return "", domain.Invalidf("id %q is not a canonical lower-case UUID", id)
	}
	return id, nil
}

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, q querier, sql string, a args, scan func(pgx.Row) (T, error)) ([]T, error) {
	rows, err := q.Query(ctx, sql, a...)
	if err != nil {
		return nil, translate("query", err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, translate("query", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, translate("query", err)
	}
	return out, nil
}

// missedUpdate explains why a versioned UPDATE touched no row: the row is
// not visible (ErrNotFound) or its version moved on (ErrConflict).
func missedUpdate(ctx context.Context, q querier, table string, cols scopeCols, s domain.Scope, id string, have int64, what string) error {
	a := args{id}
	var stored int64
	err := q.QueryRow(ctx, "SELECT version FROM "+table+" WHERE id = $1 AND "+cols.where(s, &a, ""), a...).Scan(&stored)
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound(what)
	}
	if err != nil {
		return translate("update "+what, err)
	}
	return staleVersion(what, have, stored)
}

// deleteRow deletes one row in scope: ErrNotFound when none is visible,
// ErrConflict while children still reference it.
func deleteRow(ctx context.Context, q querier, table string, cols scopeCols, s domain.Scope, id, what string) error {
	if !domain.ValidID(id) {
		return notFound(what)
	}
	a := args{id}
	tag, err := q.Exec(ctx, "DELETE FROM "+table+" WHERE id = $1 AND "+cols.where(s, &a, ""), a...)
	if err != nil {
		return translateDelete("delete "+what, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(what)
	}
	return nil
}

// atomically runs fn in a transaction of its own, or in a savepoint when q
// is already a transaction (pgx.Tx.Begin), so a failure undoes fn's writes
// and nothing else, and leaves the caller's transaction usable.
func atomically(ctx context.Context, q querier, fn func(q querier) error) error {
	tx, err := q.Begin(ctx)
	if err != nil {
		return translate("begin transaction", err)
	}
	// Roll back even when ctx is already cancelled.
	rollback := func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }
	defer func() {
		if p := recover(); p != nil {
			rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		rollback()
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return translate("commit", err)
	}
	return nil
}

// stamp is a caller's time as stored: UTC at microsecond precision.
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// optStamp stores a zero time ("never", "not yet") as NULL.
func optStamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return stamp(t)
}

// fromOpt reads a nullable timestamptz back: NULL is the zero time.
func fromOpt(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// bytea passes a string to a bytea column byte for byte. Header values and
// text cut at a byte length need not be UTF-8, which a text column refuses.
// It is never nil: pgx sends a nil slice as NULL.
func bytea(s string) []byte {
	if s == "" {
		return []byte{}
	}
	return []byte(s)
}

// byteaString scans a bytea column into a string.
type byteaString struct{ s *string }

func (b byteaString) ScanBytes(v []byte) error {
	*b.s = string(v)
	return nil
}

// perms passes a permission list to a text[] column; never NULL.
func perms(p []domain.Permission) []string {
	if p == nil {
		return []string{}
	}
	return p
}

// storable reports whether s can be compared with a text column: PostgreSQL
// refuses invalid UTF-8 and NUL bytes (22021), and a lookup by such a value
// can only find nothing.
func storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// cut bounds client-supplied text at n bytes.
func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// scanString reads a one-column text row.
func scanString(row pgx.Row) (string, error) {
	var s string
	err := row.Scan(&s)
	return s, err
}

// uuidBytes decodes a canonical UUID (checked by domain.ValidID) for binary
// parameters and COPY.
func uuidBytes(id string) [16]byte {
	var b [16]byte
	var h [32]byte
	n := 0
	for i := 0; i < len(id) && n < len(h); i++ {
		if id[i] != '-' {
			h[n] = id[i]
			n++
		}
	}
	_, _ = hex.Decode(b[:], h[:n])
	return b
}
