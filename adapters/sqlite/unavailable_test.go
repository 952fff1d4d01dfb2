package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// A full disk is an outage, not a bug: writes say domain.ErrUnavailable
// (503 + Retry-After at the HTTP edge) while reads go on.
func TestDiskFullIsUnavailable(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "breeze.db"))
	// The writer has one connection: capping its file at the current size
	// is a full disk for every later write.
	var pages int64
	if err := s.WriterDB().QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriterDB().ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages)); err != nil {
		t.Fatal(err)
	}
	g := domain.GlobalScope()
	var err error
	for i := 0; i < 2000 && err == nil; i++ {
		err = s.Partners().Create(ctx, g, &domain.Partner{ID: domain.NewID(), Name: fmt.Sprintf("p%d-%s", i, strings.Repeat("x", 180))})
	}
	if !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("write on a full disk: %v, want domain.ErrUnavailable", err)
	}
	err = s.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		return tx.Partners().Create(ctx, g, &domain.Partner{ID: domain.NewID(), Name: strings.Repeat("y", 190)})
	})
	if !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("write in a transaction on a full disk: %v, want domain.ErrUnavailable", err)
	}
	if _, err := s.Partners().List(ctx, g, domain.PageRequest{}); err != nil {
		t.Fatalf("reads must go on: %v", err)
	}
}
