package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Adapter-specific checks; the shared contract is covered by TestConformance.

func TestUniqueViolationKeepsDriverErrorAndNamesClash(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	g := domain.GlobalScope()
	p := &domain.Partner{Name: "Acme MSP"}
	if err := st.Partners().Create(ctx, g, p); err != nil {
		t.Fatal(err)
	}
	err := st.Partners().Create(ctx, g, &domain.Partner{Name: "ACME msp"})
	if !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("case-insensitive duplicate: %v, want ErrConflict", err)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		t.Errorf("driver error not kept in the chain: %v", err)
	}
	if !strings.Contains(err.Error(), `"ACME msp"`) {
		t.Errorf("message does not name the clash: %q", err.Error())
	}
}

func TestDeleteParentWithChildrenSaysWhat(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	g := domain.GlobalScope()
	p := &domain.Partner{Name: "p"}
	o := &domain.Organization{Name: "o"}
	must(t, st.Partners().Create(ctx, g, p))
	o.PartnerID = p.ID
	must(t, st.Orgs().Create(ctx, g, o))
	site := &domain.Site{OrgID: o.ID, Name: "s"}
	must(t, st.Sites().Create(ctx, g, site))
	grp := &domain.DeviceGroup{OrgID: o.ID, Name: "g"}
	must(t, st.DeviceGroups().Create(ctx, g, grp))
	d := &domain.Device{SiteID: site.ID, GroupID: grp.ID, Hostname: "h"}
	must(t, st.Devices().Create(ctx, g, d))

	for _, c := range []struct {
		del  func() error
		want string
	}{
		{func() error { return st.Partners().Delete(ctx, g, p.ID) }, "partner still has organizations"},
		{func() error { return st.Orgs().Delete(ctx, g, o.ID) }, "organization still has"},
		{func() error { return st.Sites().Delete(ctx, g, site.ID) }, "site still has devices"},
		{func() error { return st.DeviceGroups().Delete(ctx, g, grp.ID) }, "device group still has devices"},
	} {
		err := c.del()
		if !errors.Is(err, domain.ErrConflict) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("delete: %v, want ErrConflict saying %q", err, c.want)
		}
	}
}

func TestMalformedIDsInScopeAndFiltersAreHarmless(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	sc := domain.Scope{PartnerIDs: []string{"not-a-uuid", "'); DROP TABLE devices; --"}}
	page, err := st.Devices().List(ctx, sc, ports.DeviceFilter{OrgID: "nope", Query: "%_\\"}, domain.PageRequest{})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("List = %v, %v; want an empty page", page.Items, err)
	}
	if _, err := st.Devices().Get(ctx, sc, domain.NewID()); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("Get = %v, want ErrNotFound", err)
	}
}

func TestInTxRollsBackOnPanicAndNestsInline(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	g := domain.GlobalScope()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("InTx swallowed the panic")
			}
		}()
		_ = st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
			must(t, tx.Partners().Create(ctx, g, &domain.Partner{Name: "ghost"}))
			return tx.InTx(ctx, func(ctx context.Context, inner ports.Store) error {
				must(t, inner.Partners().Create(ctx, g, &domain.Partner{Name: "ghost 2"}))
				panic("boom")
			})
		})
	}()
	page, err := st.Partners().List(ctx, g, domain.PageRequest{})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("after a panicking transaction: %d partners, %v; want none", len(page.Items), err)
	}
	if err := st.Ping(ctx); err != nil {
		t.Fatalf("Ping after rollback: %v", err)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestUpsertOverwriteWithForeignOrgIDIsInvalidAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	g := domain.GlobalScope()
	p := &domain.Partner{Name: "p"}
	must(t, st.Partners().Create(ctx, g, p))
	o1, o2 := &domain.Organization{PartnerID: p.ID, Name: "o1"}, &domain.Organization{PartnerID: p.ID, Name: "o2"}
	must(t, st.Orgs().Create(ctx, g, o1))
	must(t, st.Orgs().Create(ctx, g, o2))
	site := &domain.Site{OrgID: o1.ID, Name: "s"}
	must(t, st.Sites().Create(ctx, g, site))
	d := &domain.Device{SiteID: site.ID, Hostname: "h"}
	must(t, st.Devices().Create(ctx, g, d))

	in := *d
	in.OrgID, in.Hostname = o2.ID, "changed"
	if _, err := st.Devices().Upsert(ctx, g, &in); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("Upsert naming another org: %v, want ErrInvalid", err)
	}
	got, err := st.Devices().Get(ctx, g, d.ID)
	must(t, err)
	if got.Hostname != "h" || got.Version != 1 || got.OrgID != o1.ID {
		t.Fatalf("rejected Upsert changed the device: %+v", got)
	}
}
