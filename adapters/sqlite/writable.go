package sqlite

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/breeze-rmm/breeze/core/domain"
)

// minFreeBytes is the free space below which the database counts as full:
// a write transaction, its WAL frames and a checkpoint need room, and a
// node that cannot write must leave the load balancer before it fails requests.
const minFreeBytes = 16 << 20

// Writable reports whether the database can take a write now: the writer
// takes its lock and allocates a page (a table created in a transaction that
// is rolled back, so nothing stays), and the file system has room.
// Ping only proves reads; readiness needs this.
func (s *Store) Writable(ctx context.Context) error {
	if free, ok := freeBytes(filepath.Dir(s.db.path)); ok && free < minFreeBytes {
		return fmt.Errorf("sqlite: %w: %d bytes free next to %s", domain.ErrUnavailable, free, s.db.path)
	}
	tx, err := s.db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: writable: %w", markUnavailable("begin", err))
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, "CREATE TABLE readiness_probe (x INTEGER)"); err != nil {
		return fmt.Errorf("sqlite: writable: %w", markUnavailable("probe write", err))
	}
	return nil
}
