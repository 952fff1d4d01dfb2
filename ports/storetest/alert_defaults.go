package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// testAlertDefaults: an org is claimed once, whoever asks; claimed orgs
// leave the unclaimed list; a claim inside a rolled-back transaction is
// undone; a deleted org takes its claim with it.
func testAlertDefaults(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	other := newOrg(t, st, c.partner.ID)
	ds := st.AlertDefaults()
	unclaimed := func() []string {
		t.Helper()
		ids, err := ds.Unclaimed(ctx, 100_000)
		must(t, "unclaimed", err)
		return ids
	}
	if ids := unclaimed(); !slices.Contains(ids, c.org.ID) || !slices.Contains(ids, other.ID) || !slices.IsSorted(ids) {
		t.Fatalf("new orgs not listed as unclaimed (in id order): %v", ids)
	}
	ok, err := ds.Claim(ctx, c.org.ID, time.Now())
	must(t, "claim", err)
	if !ok {
		t.Fatal("the first claim reported false")
	}
	for range 3 {
		ok, err := ds.Claim(ctx, c.org.ID, time.Now())
		must(t, "claim again", err)
		if ok {
			t.Fatal("a second claim of the same org reported true")
		}
	}
	if ids := unclaimed(); slices.Contains(ids, c.org.ID) || !slices.Contains(ids, other.ID) {
		t.Fatalf("after the claim: %v", ids)
	}
	// rolled back: still unclaimed
	errBack := domain.Conflictf("roll back")
	err = st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		ok, err := tx.AlertDefaults().Claim(ctx, other.ID, time.Now())
		if err != nil || !ok {
			t.Errorf("claim in a transaction: %v %v", ok, err)
		}
		return errBack
	})
	wantIs(t, "rolled back", err, domain.ErrConflict)
	if !slices.Contains(unclaimed(), other.ID) {
		t.Fatal("a rolled-back claim stuck")
	}
	// unknown org
	_, err = ds.Claim(ctx, domain.NewID(), time.Now())
	wantIs(t, "claim of an unknown org", err, domain.ErrNotFound)
	_, err = ds.Claim(ctx, "not-an-id", time.Now())
	wantIs(t, "claim of a malformed id", err, domain.ErrNotFound)
	// a limit is honoured
	if ids, err := ds.Unclaimed(ctx, 1); err != nil || len(ids) != 1 {
		t.Fatalf("limit 1: %v %v", ids, err)
	}
}
