package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/breeze-rmm/breeze/ports"
)

// queryer is what entity code needs: a pool (poolQ) or a transaction (txQ).
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

// txState is one open transaction; done turns true when InTx has finished.
type txState struct {
	tx   *sql.Tx
	done atomic.Bool

	mu     sync.Mutex
	stmts  map[string]*sql.Stmt // prepared for this transaction
	missed []string             // prepared here, to add to the writer cache
}

// txKey carries the transaction-bound *Store in the context InTx passes on.
type txKey struct{}

// bound returns the transaction this call belongs to: the store's own, or the
// one carried by ctx when fn (inside InTx) calls the root store. Joining it is
// not only read-your-writes: the writer has one connection, held by that
// transaction, so a write outside it would wait for itself forever.
func (s *Store) bound(ctx context.Context) *txState {
	if s.tx != nil {
		return s.tx
	}
	if c, ok := ctx.Value(txKey{}).(*Store); ok && c.db == s.db && !c.tx.done.Load() {
		return c.tx
	}
	return nil
}

// read returns where a read goes: the transaction, or the read pool.
func (s *Store) read(ctx context.Context) queryer {
	if ts := s.bound(ctx); ts != nil {
		return txQ{ts: ts, c: s.db.wc}
	}
	return poolQ{c: s.db.rc}
}

// write runs fn in the current transaction, or in a new one of its own, so
// that a check and the write it guards see the same snapshot.
func (s *Store) write(ctx context.Context, fn func(q queryer) error) error {
	if ts := s.bound(ctx); ts != nil {
		return fn(txQ{ts: ts, c: s.db.wc})
	}
	return s.grouped(ctx, fn)
}

// InTx runs fn in one write transaction (BEGIN IMMEDIATE on the single
// writer): commit on nil, rollback on an error or a panic, which goes on up.
// Inside a transaction it runs fn inline.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx ports.Store) error) error {
	if ts := s.bound(ctx); ts != nil {
		if s.tx != nil {
			return fn(ctx, s)
		}
		return fn(ctx, ctx.Value(txKey{}).(*Store))
	}
	sqlTx, err := s.db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin transaction: %w", markUnavailable("begin", err))
	}
	child := &Store{db: s.db, tx: &txState{tx: sqlTx}}
	committed := false
	defer func() {
		child.tx.done.Store(true)
		if !committed {
			if rbErr := sqlTx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
				s.db.log.Warn("rollback failed", "error", rbErr)
			}
		}
		// The connection is free again: cache what this transaction had to
		// prepare for itself.
		child.tx.mu.Lock()
		missed := child.tx.missed
		child.tx.mu.Unlock()
		for _, q := range missed {
			s.db.wc.prepare(context.WithoutCancel(ctx), q)
		}
	}()
	if err := fn(context.WithValue(ctx, txKey{}, child), child); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", markUnavailable("commit", err))
	}
	committed = true
	return nil
}
