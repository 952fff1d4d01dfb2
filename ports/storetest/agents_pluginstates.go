package storetest

import (
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// testAgentPluginStates: the agent's last plugin report per device,
// replaced as a whole, visible where the device is, gone with it.
func testAgentPluginStates(t *testing.T, _ AgentFactory, st ports.Store) {
	ctx := t.Context()
	inv := st.Inventory()
	c := newChain(t, st)
	d := newDevice(t, st, c.site.ID, "")
	got, err := inv.PluginStates(ctx, c.scope(), d.ID)
	must(t, "states before any report", err)
	if got == nil || len(got) != 0 {
		t.Fatalf("before any report: %+v, want an empty list", got)
	}
	at := time.Now().UTC().Truncate(time.Second)
	first := []domain.PluginRunState{
		{PluginID: "breeze.luarun", Version: "1.0.0", State: "running"},
		{PluginID: "acme.bad", Version: "0.1.0", State: "failed", Error: "signature from an unknown key"},
		{PluginID: "acme.mine", Version: "0.0.1", State: "running", Unsigned: true, Source: "dev"},
	}
	must(t, "put", inv.PutPluginStates(ctx, d.ID, first, at))
	got, err = inv.PluginStates(ctx, c.scope(), d.ID)
	must(t, "get", err)
	if len(got) != 3 || got[2].Source != "dev" || !got[2].Unsigned || got[0].Unsigned || got[0].Source != "" || got[1].PluginID != "acme.bad" || got[1].State != "failed" || got[1].Error != first[1].Error ||
		got[0].Version != "1.0.0" || !got[0].At.Equal(at) {
		t.Fatalf("stored %+v", got)
	}
	must(t, "replace", inv.PutPluginStates(ctx, d.ID, first[:1], at.Add(time.Minute)))
	if got, _ = inv.PluginStates(ctx, c.scope(), d.ID); len(got) != 1 {
		t.Fatalf("a report did not replace the previous one: %+v", got)
	}
	// Out of scope, unknown or malformed: not found.
	other := newChain(t, st)
	_, err = inv.PluginStates(ctx, other.scope(), d.ID)
	wantIs(t, "another partner's device", err, domain.ErrNotFound)
	_, err = inv.PluginStates(ctx, global, domain.NewID())
	wantIs(t, "unknown device", err, domain.ErrNotFound)
	wantIs(t, "put for an unknown device", inv.PutPluginStates(ctx, domain.NewID(), first, at), domain.ErrNotFound)
	wantIs(t, "put for a malformed id", inv.PutPluginStates(ctx, "x'; --", first, at), domain.ErrNotFound)
	// Gone with the device.
	must(t, "delete device", st.Devices().Delete(ctx, global, d.ID))
	_, err = inv.PluginStates(ctx, global, d.ID)
	wantIs(t, "after the device's deletion", err, domain.ErrNotFound)
}
