package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// A write through the root store inside InTx's fn must join the transaction:
// the writer's one connection is held by it, so anything else would hang.
func TestRootStoreInsideInTxJoinsTheTransaction(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "j.db"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	g := domain.GlobalScope()
	p := &domain.Partner{Name: "joined"}
	rollback := errors.New("roll back")
	err := s.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		if err := s.Partners().Create(ctx, g, p); err != nil {
			return err
		}
		if _, err := tx.Partners().Get(ctx, g, p.ID); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatalf("InTx = %v, want the function's error", err)
	}
	if _, err := s.Partners().Get(ctx, g, p.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("partner written through the root store survived the rollback: %v", err)
	}
}

func TestInTxPanicRollsBackAndRepanics(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "p.db"))
	ctx := context.Background()
	g := domain.GlobalScope()
	p := &domain.Partner{Name: "panicky"}
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want the original panic", r)
			}
		}()
		_ = s.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
			if err := tx.Partners().Create(ctx, g, p); err != nil {
				t.Fatal(err)
			}
			panic("boom")
		})
	}()
	if _, err := s.Partners().Get(ctx, g, p.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("partner survived the panic: %v", err)
	}
	// The writer is usable again (the connection went back to the pool).
	if err := s.Partners().Create(ctx, g, &domain.Partner{Name: "after"}); err != nil {
		t.Fatalf("write after a panicking transaction: %v", err)
	}
}

func TestTransactionStatementsAreCached(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "s.db"))
	ctx := context.Background()
	g := domain.GlobalScope()
	if err := s.Partners().Create(ctx, g, &domain.Partner{Name: "one"}); err != nil {
		t.Fatal(err)
	}
	var insert string
	for q := range s.db.wc.m {
		if strings.HasPrefix(q, "INSERT INTO partners") {
			insert = q
		}
	}
	if insert == "" {
		t.Fatal("the partner INSERT was not added to the writer statement cache")
	}
	// Reusing the cached statement works in the next transaction.
	if err := s.Partners().Create(ctx, g, &domain.Partner{Name: "two"}); err != nil {
		t.Fatal(err)
	}
	page, err := s.Partners().List(ctx, g, domain.PageRequest{})
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("list = %d partners, %v; want 2", len(page.Items), err)
	}
}

func TestScopeFilterBindsEveryValue(t *testing.T) {
	evil := "x') OR 1=1 --"
	id := domain.NewID()
	var args []any
	sql := tenantScope.where(domain.Scope{PartnerIDs: []string{evil, id, id}, SiteIDs: []string{evil}}, "d.", &args)
	if strings.Contains(sql, "OR 1=1") || strings.Contains(sql, id) {
		t.Fatalf("scope SQL contains a value: %s", sql)
	}
	if sql != "(d.partner_id IN (?))" || len(args) != 1 || args[0] != id {
		t.Fatalf("where = %q %v; want one bound, de-duplicated, well-formed id", sql, args)
	}
	args = nil
	if got := siteScope.where(domain.Scope{OrgIDs: []string{"not-an-id"}}, "", &args); got != "0" || len(args) != 0 {
		t.Fatalf("scope of malformed ids = %q %v, want 0 (nothing)", got, args)
	}
	if got := orgReadScope.where(domain.Scope{SiteIDs: []string{id}}, "", &args); got != "(id IN (SELECT org_id FROM sites WHERE id IN (?)))" {
		t.Fatalf("org read scope for a site holder = %q", got)
	}
}
