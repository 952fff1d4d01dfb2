package postgres

import (
	"context"
	"errors"

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
