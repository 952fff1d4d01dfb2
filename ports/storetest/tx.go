package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

var errBoom = errors.New("storetest: boom")

// txRows creates partner → org → site → device inside tx and returns their ids.
func txRows(ctx context.Context, tx ports.Store) (map[kind]string, error) {
	p := &domain.Partner{Name: uniq("tx-partner")}
	if err := tx.Partners().Create(ctx, global, p); err != nil {
		return nil, fmt.Errorf("create partner: %w", err)
	}
	o := &domain.Organization{PartnerID: p.ID, Name: uniq("tx-org")}
	if err := tx.Orgs().Create(ctx, global, o); err != nil {
		return nil, fmt.Errorf("create org: %w", err)
	}
	s := &domain.Site{OrgID: o.ID, Name: uniq("tx-site")}
	if err := tx.Sites().Create(ctx, global, s); err != nil {
		return nil, fmt.Errorf("create site: %w", err)
	}
	g := &domain.DeviceGroup{OrgID: o.ID, SiteID: s.ID, Name: uniq("tx-group")}
	if err := tx.DeviceGroups().Create(ctx, global, g); err != nil {
		return nil, fmt.Errorf("create group: %w", err)
	}
	d := deviceIn(s.ID, g.ID)
	if err := tx.Devices().Create(ctx, global, d); err != nil {
		return nil, fmt.Errorf("create device: %w", err)
	}
	return map[kind]string{kindPartner: p.ID, kindOrg: o.ID, kindSite: s.ID, kindGroup: g.ID, kindDevice: d.ID}, nil
}

func wantGone(t *testing.T, st ports.Store, rows map[kind]string) {
	t.Helper()
	for k, id := range rows {
		if _, err := get(t.Context(), st, global, k, id); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("%s %s created in a rolled-back transaction: Get error = %v, want ErrNotFound", k, id, err)
		}
	}
}

func wantThere(t *testing.T, st ports.Store, rows map[kind]string) {
	t.Helper()
	for k, id := range rows {
		if _, err := get(t.Context(), st, global, k, id); err != nil {
			t.Errorf("%s %s created in a committed transaction: %v", k, id, err)
		}
	}
}

func testTransactions(t *testing.T, st ports.Store) {
	t.Run("CommitsOnNil", func(t *testing.T) {
		var rows map[kind]string
		err := st.InTx(t.Context(), func(ctx context.Context, tx ports.Store) error {
			var err error
			rows, err = txRows(ctx, tx)
			return err
		})
		must(t, "InTx", err)
		wantThere(t, st, rows)
	})

	t.Run("ReadsSeeTheTransactionsWrites", func(t *testing.T) {
		err := st.InTx(t.Context(), func(ctx context.Context, tx ports.Store) error {
			rows, err := txRows(ctx, tx)
			if err != nil {
				return err
			}
			for k, id := range rows {
				if _, err := get(ctx, tx, global, k, id); err != nil {
					return fmt.Errorf("Get %s inside the tx: %w", k, err)
				}
			}
			ids, err := listAll(ctx, tx, global, kindDevice, ref{SiteID: rows[kindSite]})
			if err != nil || len(ids) != 1 || ids[0] != rows[kindDevice] {
				return fmt.Errorf("List devices inside the tx = %v, %v; want [%s]", ids, err, rows[kindDevice])
			}
			d, err := tx.Devices().Get(ctx, global, rows[kindDevice])
			if err != nil {
				return err
			}
			d.Hostname = uniq("tx-renamed")
			upd, err := tx.Devices().Update(ctx, global, d)
			if err != nil {
				return fmt.Errorf("Update inside the tx: %w", err)
			}
			again, err := tx.Devices().Get(ctx, global, d.ID)
			if err != nil || again.Hostname != d.Hostname || again.Version != upd.Version {
				return fmt.Errorf("Get after Update inside the tx = %+v, %v", again, err)
			}
			return nil
		})
		must(t, "InTx", err)
	})

	t.Run("RollsBackOnError", func(t *testing.T) {
		p := newPartner(t, st)
		before := snapshot(t, st, kindPartner, p.ID)
		var rows map[kind]string
		err := st.InTx(t.Context(), func(ctx context.Context, tx ports.Store) error {
			var err error
			if rows, err = txRows(ctx, tx); err != nil {
				return err
			}
			in := *p
			in.Name = uniq("renamed-in-tx")
			if _, err := tx.Partners().Update(ctx, global, &in); err != nil {
				return err
			}
			return fmt.Errorf("fn failed: %w", errBoom)
		})
		wantIs(t, "InTx", err, errBoom)
		wantGone(t, st, rows)
		if after := snapshot(t, st, kindPartner, p.ID); after != before {
			t.Errorf("rolled-back Update is visible:\n before %s\n after  %s", before, after)
		}
	})

	t.Run("ReturnsStoreErrorsWrapped", func(t *testing.T) {
		p := newPartner(t, st)
		err := st.InTx(t.Context(), func(ctx context.Context, tx ports.Store) error {
			return tx.Partners().Create(ctx, global, &domain.Partner{Name: p.Name})
		})
		wantIs(t, "InTx returning a duplicate-name error", err, domain.ErrConflict)
		err = st.InTx(t.Context(), func(ctx context.Context, tx ports.Store) error {
			_, err := tx.Devices().Get(ctx, global, domain.NewID())
			return err
		})
		wantIs(t, "InTx returning a not-found error", err, domain.ErrNotFound)
	})

	t.Run("RollsBackOnPanicAndRepanics", func(t *testing.T) {
		var rows map[kind]string
		recovered := func() (v any) {
			defer func() { v = recover() }()
			_ = st.InTx(t.Context(), func(ctx context.Context, tx ports.Store) error {
				var err error
				if rows, err = txRows(ctx, tx); err != nil {
					t.Errorf("txRows: %v", err)
				}
				panic(errBoom)
			})
			return nil
		}()
		if recovered != errBoom {
			t.Errorf("recovered %v, want the fn's panic value %v", recovered, errBoom)
		}
		wantGone(t, st, rows)
		// The store is still usable (no connection or lock leaked).
		newChain(t, st)
	})

	t.Run("NestedInTxRunsInline", func(t *testing.T) {
		for _, outcome := range []error{nil, errBoom} {
			name := "OuterCommits"
			if outcome != nil {
				name = "OuterRollsBack"
			}
			t.Run(name, func(t *testing.T) {
				var p *domain.Partner
				var o *domain.Organization
				err := st.InTx(t.Context(), func(ctx context.Context, tx ports.Store) error {
					p = &domain.Partner{Name: uniq("outer")}
					if err := tx.Partners().Create(ctx, global, p); err != nil {
						return err
					}
					err := tx.InTx(ctx, func(ctx context.Context, inner ports.Store) error {
						// The partner exists only in the outer transaction:
						// seeing it proves the inner call shares it.
						o = &domain.Organization{PartnerID: p.ID, Name: uniq("inner")}
						return inner.Orgs().Create(ctx, global, o)
					})
					if err != nil {
						return fmt.Errorf("nested InTx: %w", err)
					}
					return outcome
				})
				if p == nil || o == nil {
					t.Fatalf("InTx did not run both functions: %v", err)
				}
				if outcome == nil {
					must(t, "InTx", err)
					wantThere(t, st, map[kind]string{kindPartner: p.ID, kindOrg: o.ID})
					return
				}
				wantIs(t, "InTx", err, errBoom)
				wantGone(t, st, map[kind]string{kindPartner: p.ID, kindOrg: o.ID})
			})
		}
	})

	t.Run("NestedErrorPropagates", func(t *testing.T) {
		var p *domain.Partner
		err := st.InTx(t.Context(), func(ctx context.Context, tx ports.Store) error {
			p = &domain.Partner{Name: uniq("outer")}
			if err := tx.Partners().Create(ctx, global, p); err != nil {
				return err
			}
			return tx.InTx(ctx, func(context.Context, ports.Store) error { return errBoom })
		})
		wantIs(t, "InTx", err, errBoom)
		if p != nil {
			wantGone(t, st, map[kind]string{kindPartner: p.ID})
		}
	})
}
