package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// inventoryDoc returns an inventory document with n software entries,
// tagged so two documents differ.
func inventoryDoc(tag string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"full":true,"hostname":%q,"os":{"name":"Debian GNU/Linux","version":"12"},"software":[`, tag)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"package-%04d","version":"1.%d.0","publisher":"Ünïcode \"quoted\" \\ vendor"}`, i, i)
	}
	b.WriteString(`]}`)
	return b.String()
}

func eqInventory(t testing.TB, what string, got, want *domain.DeviceInventory) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: inventory is nil", what)
		return
	}
	eqFields(t, what, field{"DeviceID", got.DeviceID, want.DeviceID}, field{"UpdatedAt", got.UpdatedAt, want.UpdatedAt})
	checkUTC(t, what+" UpdatedAt", got.UpdatedAt)
	wantJSON(t, what+": Document", got.Document, want.Document)
}

func putInventory(t testing.TB, st ports.Store, deviceID, tag string, n int) *domain.DeviceInventory {
	t.Helper()
	inv := &domain.DeviceInventory{DeviceID: deviceID, UpdatedAt: identNow(), Document: inventoryDoc(tag, n)}
	must(t, "Put inventory", st.Inventory().Put(t.Context(), inv))
	return inv
}

func testAgentInventory(t *testing.T, _ AgentFactory, st ports.Store) {
	t.Run("PutAndGet", func(t *testing.T) { invPut(t, st) })
	t.Run("PutReplaces", func(t *testing.T) { invReplace(t, st) })
	t.Run("GetIsScoped", func(t *testing.T) { invScope(t, st) })
	t.Run("NeverReportedIsNotFound", func(t *testing.T) { invMissing(t, st) })
	t.Run("PutForAnUnknownDevice", func(t *testing.T) { invUnknownDevice(t, st) })
}

func invPut(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d := newDevice(t, st, c.site.ID, "")
	other := newDevice(t, st, c.site.ID, "")
	before := globalDevice(t, st, d.ID)
	inv := putInventory(t, st, d.ID, "first", 3)
	otherInv := putInventory(t, st, other.ID, "other", 1)
	got, err := st.Inventory().GetUnscoped(ctx, d.ID)
	must(t, "GetUnscoped", err)
	eqInventory(t, "GetUnscoped", got, inv)
	got, err = st.Inventory().Get(ctx, c.scope(), d.ID)
	must(t, "Get", err)
	eqInventory(t, "Get", got, inv)
	got, err = st.Inventory().Get(ctx, global, other.ID)
	must(t, "Get the other device's", err)
	eqInventory(t, "Get the other device's", got, otherInv)
	wantUntouched(t, "device after Put", globalDevice(t, st, d.ID), before)

	t.Run("LargeDocument", func(t *testing.T) {
		d := newDevice(t, st, c.site.ID, "")
		inv := putInventory(t, st, d.ID, "large", 3000) // about 300 KB
		got, err := st.Inventory().GetUnscoped(ctx, d.ID)
		must(t, "GetUnscoped", err)
		eqInventory(t, "GetUnscoped of a large document", got, inv)
	})
}

func invReplace(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d := newDevice(t, st, c.site.ID, "")
	putInventory(t, st, d.ID, "first", 5)
	next := &domain.DeviceInventory{DeviceID: d.ID, UpdatedAt: identNow().Add(time.Minute), Document: inventoryDoc("second", 2)}
	must(t, "Put again", st.Inventory().Put(ctx, next))
	got, err := st.Inventory().GetUnscoped(ctx, d.ID)
	must(t, "GetUnscoped", err)
	eqInventory(t, "GetUnscoped after the second Put", got, next)
	got, err = st.Inventory().Get(ctx, global, d.ID)
	must(t, "Get", err)
	eqInventory(t, "Get after the second Put", got, next)
}

func invScope(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	d := newDevice(t, st, tr.S2.ID, "")
	inv := putInventory(t, st, d.ID, "scoped", 2)
	for _, sc := range []domain.Scope{global, partnerScopeOf(tr.P1.ID), orgScopeOf(tr.A.ID), siteScopeOf(tr.S2.ID), siteScopeOf(tr.S4.ID, tr.S2.ID)} {
		got, err := st.Inventory().Get(ctx, sc, d.ID)
		if err != nil {
			t.Errorf("Get by %+v: %v", sc, err)
			continue
		}
		eqInventory(t, fmt.Sprintf("Get by %+v", sc), got, inv)
	}
	for _, sc := range []domain.Scope{partnerScopeOf(tr.P2.ID), orgScopeOf(tr.B.ID), siteScopeOf(tr.S1.ID), {}, wrongLevelScope(tr), emptyIDsScope} {
		got, err := st.Inventory().Get(ctx, sc, d.ID)
		if !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("Get by %+v = %v, %v; want ErrNotFound", sc, got != nil, err)
		}
	}
}

func invMissing(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	silent := newDevice(t, st, c.site.ID, "")
	reported := newDevice(t, st, c.site.ID, "")
	putInventory(t, st, reported.ID, "reported", 1)
	for _, id := range append([]string{silent.ID, domain.NewID()}, malformedIDs(reported.ID)...) {
		_, err := st.Inventory().Get(ctx, global, id)
		wantIs(t, fmt.Sprintf("Get(%q)", id), err, domain.ErrNotFound)
		_, err = st.Inventory().GetUnscoped(ctx, id)
		wantIs(t, fmt.Sprintf("GetUnscoped(%q)", id), err, domain.ErrNotFound)
	}
}

func invUnknownDevice(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	gone := newDevice(t, st, c.site.ID, "")
	must(t, "Delete device", st.Devices().Delete(ctx, global, gone.ID))
	for _, id := range []string{domain.NewID(), gone.ID} {
		inv := &domain.DeviceInventory{DeviceID: id, UpdatedAt: identNow(), Document: inventoryDoc("ghost", 1)}
		wantOneOf(t, fmt.Sprintf("Put(%q)", id), st.Inventory().Put(ctx, inv), domain.ErrNotFound, domain.ErrInvalid)
		_, err := st.Inventory().GetUnscoped(ctx, id)
		wantIs(t, fmt.Sprintf("GetUnscoped(%q) after the refused Put", id), err, domain.ErrNotFound)
	}
}
