package postgres

import (
	"context"
	"fmt"
)

// Writable reports whether the database can take a write now: a transaction
// that takes a transaction id (refused on a standby or a read-only server,
// and on a server out of resources), rolled back so nothing stays. Ping only
// proves the server answers; readiness needs this.
func (s *Store) Writable(ctx context.Context) error {
	tx, err := s.q.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: writable %s: %w", s.addr, markUnavailable(err))
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var xid int64
	if err := tx.QueryRow(ctx, "SELECT txid_current()").Scan(&xid); err != nil {
		return fmt.Errorf("postgres: writable %s: %w", s.addr, markUnavailable(err))
	}
	return nil
}
