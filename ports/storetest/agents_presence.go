package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// wantPresence asserts a device's status and last-seen time, and that the
// presence write left its edit stamps alone.
func wantPresence(t testing.TB, st ports.Store, what string, before *domain.Device, status domain.DeviceStatus, seen time.Time) {
	t.Helper()
	got := globalDevice(t, st, before.ID)
	eqFields(t, what, field{"Status", got.Status, status}, field{"LastSeenAt", got.LastSeenAt, seen})
	checkUTC(t, what+" LastSeenAt", got.LastSeenAt)
	wantUntouched(t, what, got, before)
}

func testAgentPresence(t *testing.T, f AgentFactory, st ports.Store) {
	t.Run("MarkSetsStatusAndLastSeen", func(t *testing.T) { presenceMark(t, st) })
	t.Run("MarkNeverLowersLastSeen", func(t *testing.T) { presenceMonotonic(t, st) })
	t.Run("IfStatusIsRespected", func(t *testing.T) { presenceIfStatus(t, st) })
	t.Run("UnknownDevicesAreSkipped", func(t *testing.T) { presenceUnknown(t, st) })
	t.Run("LargeBatch", func(t *testing.T) { presenceLarge(t, st) })
	// StaleOnline looks at every device of the store: it gets its own.
	t.Run("StaleOnline", func(t *testing.T) { presenceStale(t, f(t)) })
	t.Run("StaleOnlineSkipsNetworkDevices", func(t *testing.T) { presenceStaleNetwork(t, f(t)) })
}

// presenceStaleNetwork: the sweeps leave a network device to its watchers,
// so an online one long unseen is no stale device.
func presenceStaleNetwork(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	agent := newDevice(t, st, c.site.ID, "")
	netDev := deviceIn(c.site.ID, "")
	netDev.Kind, netDev.OS = domain.DeviceKindNetwork, "network"
	must(t, "create network device", st.Devices().Create(ctx, global, netDev))
	old := time.Now().Add(-24 * time.Hour).UTC().Truncate(time.Microsecond)
	must(t, "mark both online long ago", st.Presence().Mark(ctx, []domain.PresenceUpdate{
		{DeviceID: agent.ID, Status: domain.DeviceOnline, LastSeenAt: old},
		{DeviceID: netDev.ID, Status: domain.DeviceOnline, LastSeenAt: old}}))
	stale, err := st.Presence().StaleOnline(ctx, time.Now(), 10000)
	must(t, "stale online", err)
	if !slices.Contains(stale, agent.ID) || slices.Contains(stale, netDev.ID) {
		t.Fatalf("stale online %v: want the agent device %s, not the network device %s", stale, agent.ID, netDev.ID)
	}
}

func presenceMark(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	seen := identNow().Add(-time.Hour)
	a := newDeviceSeen(t, st, c.site.ID, domain.DeviceOffline, seen)
	b := newDeviceSeen(t, st, c.site.ID, domain.DeviceOnline, seen)
	p := newDeviceSeen(t, st, c.site.ID, domain.DevicePending, time.Time{})
	untouched := newDeviceSeen(t, st, c.site.ID, domain.DeviceOnline, seen)
	now := identNow()
	must(t, "Mark", st.Presence().Mark(ctx, []domain.PresenceUpdate{
		{DeviceID: a.ID, Status: domain.DeviceOnline, LastSeenAt: now},
		{DeviceID: b.ID, Status: domain.DeviceOffline, LastSeenAt: now.Add(-time.Second)},
		{DeviceID: p.ID, Status: domain.DeviceOnline, LastSeenAt: now.Add(-2 * time.Second)},
	}))
	wantPresence(t, st, "offline device marked online", a, domain.DeviceOnline, now)
	wantPresence(t, st, "online device marked offline", b, domain.DeviceOffline, now.Add(-time.Second))
	wantPresence(t, st, "never-seen device marked online", p, domain.DeviceOnline, now.Add(-2*time.Second))
	wantPresence(t, st, "device not in the batch", untouched, domain.DeviceOnline, seen)
	must(t, "Mark of an empty batch", st.Presence().Mark(ctx, nil))

	// Devices().Update still works with the Version it read before Mark.
	cur := globalDevice(t, st, a.ID)
	cur.Hostname = uniq("renamed")
	cur.Version = a.Version
	_, err := st.Devices().Update(ctx, global, cur)
	must(t, "Update with the Version read before Mark", err)
}

func presenceMonotonic(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	seen := identNow()
	d := newDeviceSeen(t, st, c.site.ID, domain.DeviceOnline, seen)
	must(t, "Mark with an older time", st.Presence().Mark(ctx, []domain.PresenceUpdate{
		{DeviceID: d.ID, Status: domain.DeviceOffline, LastSeenAt: seen.Add(-10 * time.Minute)},
	}))
	wantPresence(t, st, "after an older Mark", d, domain.DeviceOffline, seen)
	must(t, "Mark with a zero time", st.Presence().Mark(ctx, []domain.PresenceUpdate{
		{DeviceID: d.ID, Status: domain.DeviceOnline},
	}))
	wantPresence(t, st, "after a Mark without a time", d, domain.DeviceOnline, seen)
}

func presenceIfStatus(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	seen := identNow().Add(-time.Hour)
	now := identNow()
	on, off := domain.DeviceOnline, domain.DeviceOffline
	pend, dec := domain.DevicePending, domain.DeviceDecommissioned
	for _, tc := range []struct {
		name    string
		from    domain.DeviceStatus
		to      domain.DeviceStatus
		only    []domain.DeviceStatus
		applied bool
	}{
		{"SweeperMarksOnlineOffline", on, off, []domain.DeviceStatus{on}, true},
		{"DecommissionedStays", dec, off, []domain.DeviceStatus{on}, false},
		{"DecommissionedStaysForTheLink", dec, on, []domain.DeviceStatus{on, off, pend}, false},
		{"PendingNotInTheList", pend, on, []domain.DeviceStatus{on, off}, false},
		{"SecondOfSeveral", off, on, []domain.DeviceStatus{pend, off}, true},
		{"EmptyListIsAny", dec, on, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDeviceSeen(t, st, c.site.ID, tc.from, seen)
			must(t, "Mark", st.Presence().Mark(ctx, []domain.PresenceUpdate{
				{DeviceID: d.ID, Status: tc.to, LastSeenAt: now, IfStatus: tc.only},
			}))
			if tc.applied {
				wantPresence(t, st, "applied update", d, tc.to, now)
			} else {
				wantPresence(t, st, "skipped update", d, tc.from, seen)
			}
		})
	}
	t.Run("MixedBatch", func(t *testing.T) {
		a := newDeviceSeen(t, st, c.site.ID, on, seen)
		b := newDeviceSeen(t, st, c.site.ID, dec, seen)
		d := newDeviceSeen(t, st, c.site.ID, on, seen)
		only := []domain.DeviceStatus{on}
		must(t, "Mark", st.Presence().Mark(ctx, []domain.PresenceUpdate{
			{DeviceID: a.ID, Status: off, LastSeenAt: now, IfStatus: only},
			{DeviceID: b.ID, Status: off, LastSeenAt: now, IfStatus: only},
			{DeviceID: d.ID, Status: off, LastSeenAt: now, IfStatus: only},
		}))
		wantPresence(t, st, "first online device", a, off, now)
		wantPresence(t, st, "decommissioned device", b, dec, seen)
		wantPresence(t, st, "last online device", d, off, now)
	})
}

func presenceUnknown(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	seen := identNow().Add(-time.Hour)
	a := newDeviceSeen(t, st, c.site.ID, domain.DeviceOffline, seen)
	b := newDeviceSeen(t, st, c.site.ID, domain.DeviceOffline, seen)
	gone := newDeviceSeen(t, st, c.site.ID, domain.DeviceOffline, seen)
	must(t, "Delete device", st.Devices().Delete(ctx, global, gone.ID))
	now := identNow()
	must(t, "Mark with unknown devices", st.Presence().Mark(ctx, []domain.PresenceUpdate{
		{DeviceID: domain.NewID(), Status: domain.DeviceOnline, LastSeenAt: now},
		{DeviceID: a.ID, Status: domain.DeviceOnline, LastSeenAt: now},
		{DeviceID: gone.ID, Status: domain.DeviceOnline, LastSeenAt: now},
		{DeviceID: b.ID, Status: domain.DeviceOnline, LastSeenAt: now},
	}))
	wantPresence(t, st, "first known device", a, domain.DeviceOnline, now)
	wantPresence(t, st, "second known device", b, domain.DeviceOnline, now)
	_, err := st.Devices().Get(ctx, global, gone.ID)
	wantIs(t, "Get of the deleted device after Mark", err, domain.ErrNotFound)
}

func presenceLarge(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	const n = 1200
	seen := identNow().Add(-time.Hour)
	devices := make([]*domain.Device, n)
	err := st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		for i := range devices {
			d := deviceIn(c.site.ID, "")
			d.Status, d.LastSeenAt = domain.DeviceOffline, seen
			if err := tx.Devices().Create(ctx, global, d); err != nil {
				return fmt.Errorf("device %d: %w", i, err)
			}
			devices[i] = d
		}
		return nil
	})
	must(t, "create devices", err)
	now := identNow()
	updates := make([]domain.PresenceUpdate, n)
	for i, d := range devices {
		updates[i] = domain.PresenceUpdate{DeviceID: d.ID, Status: domain.DeviceOnline, LastSeenAt: now.Add(time.Duration(i) * time.Millisecond)}
	}
	must(t, "Mark", st.Presence().Mark(ctx, updates))
	for _, i := range []int{0, 1, n / 2, n - 2, n - 1} {
		wantPresence(t, st, fmt.Sprintf("device %d", i), devices[i], domain.DeviceOnline, updates[i].LastSeenAt)
	}
	p, err := st.Devices().List(ctx, c.scope(), ports.DeviceFilter{Status: domain.DeviceOffline}, domain.PageRequest{})
	must(t, "List offline devices", err)
	if len(p.Items) != 0 {
		t.Errorf("%d devices still offline after the batch, e.g. %s", len(p.Items), p.Items[0].ID)
	}
}

func presenceStale(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	base := identNow().Add(-2 * time.Hour)
	on := domain.DeviceOnline
	oldest := newDeviceSeen(t, st, c.site.ID, on, base)
	mid := newDeviceSeen(t, st, c.site.ID, on, base.Add(10*time.Minute))
	late := newDeviceSeen(t, st, c.site.ID, on, base.Add(20*time.Minute))
	fresh := newDeviceSeen(t, st, c.site.ID, on, base.Add(90*time.Minute))
	newDeviceSeen(t, st, c.site.ID, domain.DeviceOffline, base.Add(-time.Hour))
	newDeviceSeen(t, st, c.site.ID, domain.DeviceDecommissioned, base.Add(-time.Hour))
	newDeviceSeen(t, st, c.site.ID, domain.DevicePending, base.Add(-time.Hour))
	// Another tenant's stale device counts too: the sweeper is a system job.
	other := newChain(t, st)
	foreign := newDeviceSeen(t, st, other.site.ID, on, base.Add(5*time.Minute))

	stale := func(cutoff time.Time, limit int) []string {
		t.Helper()
		ids, err := st.Presence().StaleOnline(ctx, cutoff, limit)
		must(t, "StaleOnline", err)
		return ids
	}
	for _, tc := range []struct {
		name   string
		cutoff time.Time
		limit  int
		want   []string
	}{
		{"AllStale", base.Add(time.Hour), 100, []string{oldest.ID, foreign.ID, mid.ID, late.ID}},
		{"Limit", base.Add(time.Hour), 2, []string{oldest.ID, foreign.ID}},
		{"CutoffIsExclusive", base.Add(10 * time.Minute), 100, []string{oldest.ID, foreign.ID}},
		{"NothingBeforeTheOldest", base, 100, nil},
		{"EveryOnlineDevice", base.Add(2 * time.Hour), 100, []string{oldest.ID, foreign.ID, mid.ID, late.ID, fresh.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := stale(tc.cutoff, tc.limit)
			if !slices.Equal(got, tc.want) {
				t.Errorf("StaleOnline(%v, %d) = %v, want %v (oldest last-seen first)", tc.cutoff, tc.limit, got, tc.want)
			}
		})
	}
	t.Run("MarkedOfflineLeavesTheList", func(t *testing.T) {
		must(t, "Mark offline", st.Presence().Mark(ctx, []domain.PresenceUpdate{
			{DeviceID: oldest.ID, Status: domain.DeviceOffline, LastSeenAt: base, IfStatus: []domain.DeviceStatus{on}},
		}))
		want := []string{foreign.ID, mid.ID, late.ID}
		if got := stale(base.Add(time.Hour), 100); !slices.Equal(got, want) {
			t.Errorf("StaleOnline after marking the oldest offline = %v, want %v", got, want)
		}
	})
}
