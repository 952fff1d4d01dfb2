package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// Parsing SQL costs more than running it for the short statements of this
// adapter (most of an Upsert's CPU), so statements are prepared once and
// reused. The SQL text varies only with the shape of a scope (how many ids
// of each level), so a bounded cache keyed by the text holds them.
const maxCachedStmts = 512

// stmtCache holds statements prepared on one pool.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: make(map[string]*sql.Stmt)}
}

func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[query]
}

// prepare returns the cached statement for query, preparing it on the pool
// when missing; nil when it cannot (the caller then runs the SQL directly,
// which reports the error). The mutex is not held while preparing: that
// waits for a connection, and on the writer the connection may belong to a
// transaction that needs the cache to finish.
func (c *stmtCache) prepare(ctx context.Context, query string) *sql.Stmt {
	if st := c.lookup(query); st != nil {
		return st
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[query]; ok {
		_ = st.Close()
		return old
	}
	if len(c.m) >= maxCachedStmts {
		_ = st.Close()
		return nil
	}
	c.m[query] = st
	return st
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		_ = st.Close()
		delete(c.m, q)
	}
}

// poolQ runs statements on a pool through its cache (the read pool).
type poolQ struct{ c *stmtCache }

// Exec and Query mark an unusable database (disk full, I/O error, busy)
// as domain.ErrUnavailable, so it surfaces as such even on paths that
// return the driver error unwrapped.
func (p poolQ) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := p.c.prepare(ctx, query); st != nil {
		res, err := st.ExecContext(ctx, args...)
		return res, markUnavailable("exec", err)
	}
	res, err := p.c.db.ExecContext(ctx, query, args...)
	return res, markUnavailable("exec", err)
}

func (p poolQ) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := p.c.prepare(ctx, query); st != nil {
		rows, err := st.QueryContext(ctx, args...)
		return rows, markUnavailable("query", err)
	}
	rows, err := p.c.db.QueryContext(ctx, query, args...)
	return rows, markUnavailable("query", err)
}

func (p poolQ) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := p.c.prepare(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.c.db.QueryRowContext(ctx, query, args...)
}

// txQ runs statements in a transaction. A statement the writer cache holds
// is reused on the transaction's connection; one it lacks is prepared on the
// transaction (the writer's only connection is busy with it), kept for the
// rest of the transaction, and added to the cache once the transaction ends.
type txQ struct {
	ts *txState
	c  *stmtCache
}

func (t txQ) stmt(ctx context.Context, query string) *sql.Stmt {
	t.ts.mu.Lock()
	defer t.ts.mu.Unlock()
	if st, ok := t.ts.stmts[query]; ok {
		return st
	}
	var st *sql.Stmt
	if shared := t.c.lookup(query); shared != nil {
		st = t.ts.tx.StmtContext(ctx, shared)
	} else {
		var err error
		if st, err = t.ts.tx.PrepareContext(ctx, query); err != nil {
			return nil
		}
		t.ts.missed = append(t.ts.missed, query)
	}
	if t.ts.stmts == nil {
		t.ts.stmts = make(map[string]*sql.Stmt)
	}
	t.ts.stmts[query] = st
	return st
}

func (t txQ) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, query); st != nil {
		res, err := st.ExecContext(ctx, args...)
		return res, markUnavailable("exec", err)
	}
	res, err := t.ts.tx.ExecContext(ctx, query, args...)
	return res, markUnavailable("exec", err)
}

func (t txQ) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, query); st != nil {
		rows, err := st.QueryContext(ctx, args...)
		return rows, markUnavailable("query", err)
	}
	rows, err := t.ts.tx.QueryContext(ctx, query, args...)
	return rows, markUnavailable("query", err)
}

func (t txQ) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.ts.tx.QueryRowContext(ctx, query, args...)
}
