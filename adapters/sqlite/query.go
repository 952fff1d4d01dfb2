package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
)

// table describes one entity table for the shared statements below.
type table[T any] struct {
	name   string // SQL table name
	what   string // noun for messages: "partner"
	cols   string // selected columns, in scan order
	read   scoper
	write  scoper
	scan   func(rowScanner) (T, error)
	idOf   func(T) string
	failOn failure // constraint messages for update and delete
}

// get reads one row by id within scope.
func (t *table[T]) get(ctx context.Context, q queryer, s domain.Scope, id string) (T, error) {
	var zero T
	if !domain.ValidID(id) {
		return zero, notFound(t.what)
	}
	args := []any{id}
	where := t.read.where(s, "", &args)
	v, err := t.scan(q.QueryRowContext(ctx, "SELECT "+t.cols+" FROM "+t.name+" WHERE id = ? AND "+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return zero, notFound(t.what)
	}
	if err != nil {
		return zero, failure{op: "get " + t.what}.wrap(err)
	}
	return v, nil
}

// filter accumulates the conditions of a list query.
type filter struct {
	conds []string
	args  []any
	// byTenant: the list is pinned to one org, site or group, which is
	// never wider than the scope (rows must match both).
	byTenant bool
}

func (f *filter) add(cond string, args ...any) {
	f.conds = append(f.conds, cond)
	f.args = append(f.args, args...)
}

// tenant filters on an org, site or group id column (each has an index).
func (f *filter) tenant(col, id string) {
	f.add(col+" = ?", id)
	f.byTenant = true
}

// contains matches col against a case-insensitive substring; % and _ in
// the text are literal. (LIKE folds ASCII case only, as NOCASE does.)
func (f *filter) contains(col, text string) { f.containsAny(text, col) }

// containsAny matches when any of cols contains text (see contains).
func (f *filter) containsAny(text string, cols ...string) {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	pattern := "%" + r.Replace(text) + "%"
	terms := make([]string, len(cols))
	for i, col := range cols {
		terms[i] = col + ` LIKE ? ESCAPE '\'`
		f.args = append(f.args, pattern)
	}
	f.conds = append(f.conds, "("+strings.Join(terms, " OR ")+")")
}

// list reads one page of the rows f and scope s select, in id order.
func (t *table[T]) list(ctx context.Context, q queryer, s domain.Scope, f filter, page domain.PageRequest) (domain.Page[T], error) {
	page = page.Normalize()
	after, err := domain.DecodeCursor(page.Cursor)
	if err != nil {
		return domain.Page[T]{}, err
	}
	// Without statistics SQLite may walk the scope's index (a whole partner)
	// rather than the filter's (one site). Under a tenant filter the scope
	// columns get a unary + so the planner does not pick their index.
	prefix := ""
	if f.byTenant {
		prefix = "+"
	}
	args := f.args
	conds := append(f.conds, t.read.where(s, prefix, &args), "id > ?")
	args = append(args, after, page.Limit+1)
	rows, err := q.QueryContext(ctx, "SELECT "+t.cols+" FROM "+t.name+
		" WHERE "+strings.Join(conds, " AND ")+" ORDER BY id LIMIT ?", args...)
	if err != nil {
		return domain.Page[T]{}, failure{op: "list " + t.what}.wrap(err)
	}
	defer rows.Close()
	out := domain.Page[T]{Items: make([]T, 0, min(page.Limit, 64))}
	for rows.Next() {
		v, err := t.scan(rows)
		if err != nil {
			return domain.Page[T]{}, failure{op: "list " + t.what}.wrap(err)
		}
		out.Items = append(out.Items, v)
	}
	if err := rows.Err(); err != nil {
		return domain.Page[T]{}, failure{op: "list " + t.what}.wrap(err)
	}
	if len(out.Items) > page.Limit {
		out.Items = out.Items[:page.Limit]
		out.NextCursor = domain.EncodeCursor(t.idOf(out.Items[page.Limit-1]))
	}
	return out, nil
}

// update sets the columns of set (e.g. "name = ?") on the row id at version
// within the write scope, bumps version and updated_at, and returns the
// stored row. A miss is told apart in the same transaction: a row the scope
// cannot see is ErrNotFound, a visible one at another version ErrConflict.
func (t *table[T]) update(ctx context.Context, q queryer, s domain.Scope, id string, version int64, set string, setArgs ...any) (T, error) {
	var zero T
	if !domain.ValidID(id) {
		return zero, notFound(t.what)
	}
	args := append(setArgs, micros(now()), id, version)
	where := t.write.where(s, "", &args)
	v, err := t.scan(q.QueryRowContext(ctx, "UPDATE "+t.name+" SET "+set+", version = version + 1, updated_at = ?"+
		" WHERE id = ? AND version = ? AND "+where+" RETURNING "+t.cols, args...))
	if errors.Is(err, sql.ErrNoRows) {
		visible, err := t.exists(ctx, q, s, id)
		if err != nil {
			return zero, err
		}
		if visible {
			return zero, domain.Conflictf("%s was changed by someone else: version %d is stale, reload it", t.what, version)
		}
		return zero, notFound(t.what)
	}
	if err != nil {
		f := t.failOn
		f.op = "update " + t.what
		return zero, f.wrap(err)
	}
	return v, nil
}

// exists reports whether the write scope covers the row id.
func (t *table[T]) exists(ctx context.Context, q queryer, s domain.Scope, id string) (bool, error) {
	args := []any{id}
	where := t.write.where(s, "", &args)
	var one int
	err := q.QueryRowContext(ctx, "SELECT 1 FROM "+t.name+" WHERE id = ? AND "+where, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, failure{op: "check " + t.what}.wrap(err)
	}
	return true, nil
}

// delete removes the row id within the write scope. A row still referenced
// by children fails with ErrConflict (ON DELETE RESTRICT).
func (t *table[T]) delete(ctx context.Context, q queryer, s domain.Scope, id string) error {
	if !domain.ValidID(id) {
		return notFound(t.what)
	}
	args := []any{id}
	where := t.write.where(s, "", &args)
	res, err := q.ExecContext(ctx, "DELETE FROM "+t.name+" WHERE id = ? AND "+where, args...)
	if err != nil {
		f := t.failOn
		f.op = "delete " + t.what
		return f.wrap(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return failure{op: "delete " + t.what}.wrap(err)
	}
	if n == 0 {
		return notFound(t.what)
	}
	return nil
}

// newID returns the id a Create stores: the caller's, which must be well
// formed, or a fresh UUIDv7.
func newID(what, id string) (string, error) {
	if id == "" {
		return domain.NewID(), nil
	}
	if !domain.ValidID(id) {
		return "", domain.Invalidf("%s id %q is not a canonical lower-case UUID", what, id)
	}
	return id, nil
}
