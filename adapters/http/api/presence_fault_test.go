package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/app/agents"
	"github.com/breeze-rmm/breeze/core/domain"
)

// A device whose link was held by a node that died (its claim outlives it,
// its own node claim does not) goes offline after one heartbeat interval,
// not three; a device held by a live node, or whose link closed on a live
// node (claim released), keeps the 3-interval rule (issue 13 item 4).
func TestSweeperMarksOfflineDevicesOfADeadNode(t *testing.T) {
	ts := apitest.NewServerWith(t, apitest.Options{Agents: apitest.AgentOptions{HeartbeatInterval: 10 * time.Second}})
	ts.RequireAgents(t)
	ctx := context.Background()
	orphan, _ := ts.NewDevice(t, ts.Seed.A, 0, "on-dead-node")
	held, _ := ts.NewDevice(t, ts.Seed.A, 0, "on-live-node")
	closed, _ := ts.NewDevice(t, ts.Seed.A, 0, "link-closed")
	var ups []domain.PresenceUpdate
	for _, id := range []string{orphan, held, closed} {
		ups = append(ups, domain.PresenceUpdate{DeviceID: id, Status: domain.DeviceOnline, LastSeenAt: ts.Clock.Now()})
	}
	if err := ts.Store.Presence().Mark(ctx, ups); err != nil {
		t.Fatal(err)
	}
	reg := ts.Remote.Registry
	for _, c := range []struct{ key, node string }{
		{orphan, "node-dead"}, // node-dead claims nothing of its own: it was killed
		{held, "node-live"}, {"alive:node-live", "node-live"},
	} {
		if err := reg.Claim(ctx, c.key, c.node, 90*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	sweep := func() {
		t.Helper()
		if _, err := ts.Sweeper.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Within one interval: nothing changes (the debounce).
	ts.Clock.Advance(9 * time.Second)
	sweep()
	if d := device(t, ts, orphan); d.Status != domain.DeviceOnline {
		t.Fatalf("offline before one interval: %s", d.Status)
	}
	// Past one interval: the dead node's device is offline, once.
	ts.Clock.Advance(2 * time.Second)
	sweep()
	sweep()
	if d := device(t, ts, orphan); d.Status != domain.DeviceOffline {
		t.Fatalf("the dead node's device is %s after one interval, want offline", d.Status)
	}
	if n := len(ts.Events.Events(agents.EventDeviceOffline, orphan)); n != 1 {
		t.Fatalf("%d offline events, want 1", n)
	}
	for _, id := range []string{held, closed} {
		if d := device(t, ts, id); d.Status != domain.DeviceOnline {
			t.Fatalf("device %s is %s before 3 intervals, want online", d.Hostname, d.Status)
		}
	}
	// Past three intervals the usual rule takes the others too.
	ts.Clock.Advance(20 * time.Second)
	sweep()
	for _, id := range []string{held, closed} {
		if d := device(t, ts, id); d.Status != domain.DeviceOffline {
			t.Fatalf("device %s is %s after 3 intervals, want offline", d.Hostname, d.Status)
		}
	}
}
