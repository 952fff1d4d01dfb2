package sqlite

import (
	"context"
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
)

// listDesc is table.list newest first: descending id, the cursor naming
// the last id of the previous page (ids are UUIDv7, so id order is
// creation order).
func listDesc[T any](ctx context.Context, q queryer, t *table[T], s domain.Scope, f filter, page domain.PageRequest) (domain.Page[T], error) {
	page = page.Normalize()
	before, err := domain.DecodeCursor(page.Cursor)
	if err != nil {
		return domain.Page[T]{}, err
	}
	prefix := ""
	if f.byTenant {
		prefix = "+"
	}
	args := f.args
	conds := append(f.conds, t.read.where(s, prefix, &args))
	if before != "" {
		conds = append(conds, "id < ?")
		args = append(args, before)
	}
	args = append(args, page.Limit+1)
	rows, err := q.QueryContext(ctx, "SELECT "+t.cols+" FROM "+t.name+
		" WHERE "+strings.Join(conds, " AND ")+" ORDER BY id DESC LIMIT ?", args...)
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
