package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// testAgentInventoryExists checks InventoryStore.Exists, which the link asks
// on every hello instead of loading the document: it must agree with
// GetUnscoped, answer false (never an error) for ids that name nothing, and
// never swallow a real failure as false (every agent would then resend its
// whole inventory).
func testAgentInventoryExists(t *testing.T, _ AgentFactory, st ports.Store) {
	t.Run("FollowsPut", func(t *testing.T) { invExistsPut(t, st) })
	t.Run("UnknownAndMalformedAreFalse", func(t *testing.T) { invExistsMissing(t, st) })
	t.Run("GoneWithTheDevice", func(t *testing.T) { invExistsDeleted(t, st) })
	t.Run("InTx", func(t *testing.T) { invExistsTx(t, st) })
	t.Run("CanceledContextIsAnError", func(t *testing.T) { invExistsCanceled(t, st) })
}

// wantExists fails unless Exists(id) is want with no error.
func wantExists(t testing.TB, st ports.Store, what, id string, want bool) {
	t.Helper()
	got, err := st.Inventory().Exists(t.Context(), id)
	if err != nil {
		t.Errorf("%s: Exists(%q): %v", what, id, err)
		return
	}
	if got != want {
		t.Errorf("%s: Exists(%q) = %v, want %v", what, id, got, want)
	}
}

func invExistsPut(t *testing.T, st ports.Store) {
	c := newChain(t, st)
	d := newDevice(t, st, c.site.ID, "")
	silent := newDevice(t, st, c.site.ID, "")
	wantExists(t, st, "before any Put", d.ID, false)
	putInventory(t, st, d.ID, "first", 2)
	wantExists(t, st, "after Put", d.ID, true)
	wantExists(t, st, "another device of the same site", silent.ID, false)
	putInventory(t, st, d.ID, "second", 1)
	wantExists(t, st, "after a replacing Put", d.ID, true)

	big := newDevice(t, st, c.site.ID, "")
	putInventory(t, st, big.ID, "large", 3000) // about 300 KB
	wantExists(t, st, "with a large document", big.ID, true)

	// Exists and GetUnscoped tell the same story.
	for _, id := range []string{d.ID, silent.ID, big.ID} {
		has, err := st.Inventory().Exists(t.Context(), id)
		must(t, "Exists", err)
		_, err = st.Inventory().GetUnscoped(t.Context(), id)
		if has != (err == nil) || (err != nil && !errors.Is(err, domain.ErrNotFound)) {
			t.Errorf("Exists(%q) = %v but GetUnscoped gives %v", id, has, err)
		}
	}
}

func invExistsMissing(t *testing.T, st ports.Store) {
	c := newChain(t, st)
	reported := newDevice(t, st, c.site.ID, "")
	putInventory(t, st, reported.ID, "reported", 1)
	for _, id := range append([]string{domain.NewID()}, malformedIDs(reported.ID)...) {
		wantExists(t, st, "an unknown or malformed id", id, false)
	}
	wantExists(t, st, "the reported device, still", reported.ID, true)
}

func invExistsDeleted(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d := newDevice(t, st, c.site.ID, "")
	keep := newDevice(t, st, c.site.ID, "")
	putInventory(t, st, d.ID, "doomed", 1)
	putInventory(t, st, keep.ID, "kept", 1)
	must(t, "Delete the device", st.Devices().Delete(ctx, global, d.ID))
	wantExists(t, st, "after the device's delete", d.ID, false)
	wantExists(t, st, "the other device after the delete", keep.ID, true)
	// A Put refused for the deleted device stores nothing.
	inv := &domain.DeviceInventory{DeviceID: d.ID, UpdatedAt: identNow(), Document: inventoryDoc("ghost", 1)}
	wantOneOf(t, "Put for the deleted device", st.Inventory().Put(ctx, inv), domain.ErrNotFound, domain.ErrInvalid)
	wantExists(t, st, "after the refused Put", d.ID, false)
}

func invExistsTx(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d := newDevice(t, st, c.site.ID, "")
	rollback := errors.New("roll back")
	err := st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		inv := &domain.DeviceInventory{DeviceID: d.ID, UpdatedAt: identNow(), Document: inventoryDoc("tx", 1)}
		if err := tx.Inventory().Put(ctx, inv); err != nil {
			return err
		}
		has, err := tx.Inventory().Exists(ctx, d.ID)
		if err != nil {
			return err
		}
		if !has {
			return fmt.Errorf("Exists inside the transaction does not see its own Put")
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatalf("InTx = %v, want the rollback error", err)
	}
	wantExists(t, st, "after the rolled-back Put", d.ID, false)
}

func invExistsCanceled(t *testing.T, st ports.Store) {
	c := newChain(t, st)
	d := newDevice(t, st, c.site.ID, "")
	putInventory(t, st, d.ID, "canceled", 1)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if has, err := st.Inventory().Exists(ctx, d.ID); err == nil {
		t.Errorf("Exists with a canceled context = %v, nil; want an error", has)
	}
}
