package api_test

import (
	"context"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/app/agents"
	"github.com/breeze-rmm/breeze/core/domain"
)

// At the start of a single-node server no link is held yet: a device the
// last run left "online" is marked offline at once (one event), not after
// 3 heartbeat intervals; pending and decommissioned devices stay as they are.
func TestMarkAllOfflineAtStart(t *testing.T) {
	ts := apitest.NewServer(t)
	ts.RequireAgents(t)
	ctx := context.Background()
	id, token := ts.NewDevice(t, ts.Seed.A, 0, "left-online")
	idle, _ := ts.NewDevice(t, ts.Seed.A, 0, "never-linked")
	c, _, err := ts.DialAgent(t, id, token)
	if err != nil {
		t.Fatal(err)
	}
	apitest.Hello(t, c, "left-online")
	eventually(t, "online", func() bool { return device(t, ts, id).Status == domain.DeviceOnline })
	_ = c.Close()
	seen := device(t, ts, id).LastSeenAt

	n, err := ts.Sweeper.MarkAllOffline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("marked %d offline, want 1", n)
	}
	d := device(t, ts, id)
	if d.Status != domain.DeviceOffline {
		t.Fatalf("status %s, want offline", d.Status)
	}
	if seen.IsZero() || !d.LastSeenAt.Equal(seen) {
		t.Errorf("last seen moved from %v to %v: going offline is no sighting", seen, d.LastSeenAt)
	}
	if s := device(t, ts, idle).Status; s != domain.DevicePending {
		t.Errorf("a never-linked device became %s", s)
	}
	if ev := ts.Events.Events(agents.EventDeviceOffline, id); len(ev) != 1 {
		t.Errorf("%d offline events, want 1", len(ev))
	}
	if n, err := ts.Sweeper.MarkAllOffline(ctx); err != nil || n != 0 {
		t.Fatalf("second call marked %d (%v), want 0", n, err)
	}
}
