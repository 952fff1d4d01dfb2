package maintenance_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/adapters/memory"
	"github.com/breeze-rmm/breeze/core/app/maintenance"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

func admin(tn apitest.Tenant) *domain.Principal {
	return &domain.Principal{Kind: domain.PrincipalUser, UserID: tn.Admin.ID, PartnerID: tn.Partner.ID,
		Grants: []domain.Grant{{Assignment: domain.RoleAssignment{PartnerID: tn.Partner.ID}, Permissions: domain.AllPermissions()}}}
}

func newService(t testing.TB, st ports.Store, clock ports.Clock, bus ports.Bus, reload time.Duration) *maintenance.Service {
	t.Helper()
	svc, err := maintenance.New(maintenance.Deps{Store: st, Clock: clock, Bus: bus, ReloadEvery: reload})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// onceAround is a one-off UTC window from an hour before at to end.
func onceAround(orgID, name string, at, end time.Time, kind domain.AlertScopeKind, ids ...string) *domain.MaintenanceWindow {
	return &domain.MaintenanceWindow{OrgID: orgID, Name: name, Enabled: true, ScopeKind: kind, ScopeIDs: ids, TimeZone: "UTC",
		Kind: domain.MaintenanceOnce, StartsAt: at.Add(-time.Hour).UTC().Format(maintenance.LocalDateTime),
		EndsAt: end.UTC().Format(maintenance.LocalDateTime)}
}

func alertOf(t *testing.T, ts *apitest.TestServer, deviceID string) *domain.Alert {
	t.Helper()
	d, err := ts.Store.Devices().Get(context.Background(), domain.GlobalScope(), deviceID)
	if err != nil {
		t.Fatal(err)
	}
	return &domain.Alert{ID: domain.NewID(), PartnerID: d.PartnerID, OrgID: d.OrgID, SiteID: d.SiteID, DeviceID: d.ID}
}

func held(t *testing.T, svc *maintenance.Service, a *domain.Alert, at, want time.Time, reason string) {
	t.Helper()
	until, why, err := svc.HeldUntil(context.Background(), a, at)
	if err != nil {
		t.Fatalf("held: %v", err)
	}
	if !until.Equal(want) || why != reason {
		t.Fatalf("held until %s (%q), want %s (%q)", until, why, want, reason)
	}
}

func TestHeldUntilFollowsScopes(t *testing.T) {
	ts := apitest.NewServer(t)
	ctx := context.Background()
	a, b := ts.Seed.A, ts.Seed.B
	dev0, _ := ts.NewDevice(t, a, 0, "org0")
	dev1, _ := ts.NewDevice(t, a, 1, "org1")
	devB, _ := ts.NewDevice(t, b, 0, "other-partner")
	svc := newService(t, ts.Store, ts.Clock, nil, 0)
	now := ts.Clock.Now().UTC().Truncate(time.Minute)
	al0, al1, alB := alertOf(t, ts, dev0), alertOf(t, ts, dev1), alertOf(t, ts, devB)

	held(t, svc, al0, now, time.Time{}, "")

	// a site window of org 0 covers dev0 only
	end := now.Add(2 * time.Hour)
	if _, err := svc.CreateWindow(ctx, admin(a), onceAround(a.Orgs[0].ID, "site", now, end, domain.AlertScopeSite, a.Sites[0].ID)); err != nil {
		t.Fatal(err)
	}
	held(t, svc, al0, now, end, maintenance.ReasonMaintenance)
	held(t, svc, al1, now, time.Time{}, "")
	held(t, svc, al0, end, time.Time{}, "") // the end is outside

	// a partner-wide window covers every device of the partner, not B's;
	// starting as the site window ends, it extends dev0's maintenance
	pend := now.Add(5 * time.Hour)
	pw := &domain.MaintenanceWindow{PartnerID: a.Partner.ID, Name: "partner", Enabled: true, ScopeKind: domain.AlertScopePartner,
		TimeZone: "UTC", Kind: domain.MaintenanceOnce, StartsAt: end.Format(maintenance.LocalDateTime), EndsAt: pend.Format(maintenance.LocalDateTime)}
	created, err := svc.CreateWindow(ctx, admin(a), pw)
	if err != nil {
		t.Fatal(err)
	}
	held(t, svc, al0, now, pend, maintenance.ReasonMaintenance)
	held(t, svc, al1, now, time.Time{}, "")
	held(t, svc, al1, end, pend, maintenance.ReasonMaintenance)
	held(t, svc, alB, end, time.Time{}, "")

	// a disabled window holds nothing
	pw.Enabled, pw.Version = false, created.Version
	pw.ID = created.ID
	if _, err := svc.UpdateWindow(ctx, admin(a), pw); err != nil {
		t.Fatal(err)
	}
	held(t, svc, al1, end, time.Time{}, "")
	held(t, svc, al0, now, end, maintenance.ReasonMaintenance)

	// a group window: the device's group is read when it matters
	g := &domain.DeviceGroup{OrgID: a.Orgs[1].ID, SiteID: a.Sites[1].ID, Name: "db servers"}
	if err := ts.Store.DeviceGroups().Create(ctx, domain.GlobalScope(), g); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateWindow(ctx, admin(a), onceAround(a.Orgs[1].ID, "group", now, end, domain.AlertScopeGroup, g.ID)); err != nil {
		t.Fatal(err)
	}
	held(t, svc, al1, now, time.Time{}, "")
	d, err := ts.Store.Devices().Get(ctx, domain.GlobalScope(), dev1)
	if err != nil {
		t.Fatal(err)
	}
	d.GroupID = g.ID
	if _, err := ts.Store.Devices().Update(ctx, domain.GlobalScope(), d); err != nil {
		t.Fatal(err)
	}
	held(t, svc, al1, now, end, maintenance.ReasonMaintenance)
	if got := svc.MaintenanceUntil(ctx, al1, now); !got.Equal(end) {
		t.Fatalf("maintenance until %s, want %s", got, end)
	}

	// a device list window
	if _, err := svc.CreateWindow(ctx, admin(b), onceAround(b.Orgs[0].ID, "devices", now, pend, domain.AlertScopeDevices, devB)); err != nil {
		t.Fatal(err)
	}
	held(t, svc, alB, now, pend, maintenance.ReasonMaintenance)
	// another tenant's device cannot be put in a window: 404, nothing stored
	_, err = svc.CreateWindow(ctx, admin(a), onceAround(a.Orgs[0].ID, "steal", now, pend, domain.AlertScopeDevices, devB))
	if !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("window over another tenant's device: %v, want ErrNotFound", err)
	}
}

func TestHeldUntilTakesTheLaterOfSnoozeAndMaintenance(t *testing.T) {
	ts := apitest.NewServer(t)
	ctx := context.Background()
	a := ts.Seed.A
	dev, _ := ts.NewDevice(t, a, 0, "host")
	svc := newService(t, ts.Store, ts.Clock, nil, 0)
	now := ts.Clock.Now().UTC().Truncate(time.Minute)
	al := alertOf(t, ts, dev)

	al.SnoozedUntil = now.Add(time.Hour)
	held(t, svc, al, now, now.Add(time.Hour), maintenance.ReasonSnoozed)
	held(t, svc, al, now.Add(time.Hour), time.Time{}, "") // a snooze ends at its end
	end := now.Add(3 * time.Hour)
	if _, err := svc.CreateWindow(ctx, admin(a), onceAround(a.Orgs[0].ID, "w", now, end, domain.AlertScopeOrg, a.Orgs[0].ID)); err != nil {
		t.Fatal(err)
	}
	held(t, svc, al, now, end, maintenance.ReasonMaintenance)
	al.SnoozedUntil = now.Add(4 * time.Hour)
	held(t, svc, al, now, now.Add(4*time.Hour), maintenance.ReasonSnoozed)
}

// TestWindowChangesReachOtherNodes: a window written on one node holds on
// another at once through the bus, and through the periodic reload
// without one.
func TestWindowChangesReachOtherNodes(t *testing.T) {
	ts := apitest.NewServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := ts.Seed.A
	dev, _ := ts.NewDevice(t, a, 0, "host")
	broker := memory.NewBroker()
	busA, busB := memory.NewBus(memory.BusOptions{Broker: broker}), memory.NewBus(memory.BusOptions{Broker: broker})
	nodeA := newService(t, ts.Store, ts.Clock, busA, time.Hour)
	nodeB := newService(t, ts.Store, ts.Clock, busB, time.Hour) // its periodic reload never comes
	lonely := newService(t, ts.Store, ts.Clock, nil, 50*time.Millisecond)
	done := make(chan struct{}, 2)
	for _, s := range []*maintenance.Service{nodeB, lonely} {
		go func() { s.Run(ctx); done <- struct{}{} }()
	}
	now := ts.Clock.Now().UTC().Truncate(time.Minute)
	al := alertOf(t, ts, dev)
	waitHeld := func(svc *maintenance.Service, want time.Time) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			until, _, err := svc.HeldUntil(ctx, al, now)
			if err == nil && until.Equal(want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("held until %s (%v), want %s", until, err, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitHeld(nodeB, time.Time{}) // loaded, nothing held
	end := now.Add(time.Hour)
	w, err := nodeA.CreateWindow(ctx, admin(a), onceAround(a.Orgs[0].ID, "w", now, end, domain.AlertScopeOrg, a.Orgs[0].ID))
	if err != nil {
		t.Fatal(err)
	}
	waitHeld(nodeB, end)
	waitHeld(lonely, end)
	if err := nodeA.DeleteWindow(ctx, admin(a), w.ID); err != nil {
		t.Fatal(err)
	}
	waitHeld(nodeB, time.Time{})
	waitHeld(lonely, time.Time{})
	cancel()
	<-done
	<-done
}

func TestEnabledWindowsPerPartnerAreBounded(t *testing.T) {
	ts := apitest.NewServer(t)
	ctx := context.Background()
	a := ts.Seed.A
	svc, err := maintenance.New(maintenance.Deps{Store: ts.Store, Clock: ts.Clock, MaxEnabledPerPartner: 2})
	if err != nil {
		t.Fatal(err)
	}
	now := ts.Clock.Now()
	mk := func(name string, enabled bool) *domain.MaintenanceWindow {
		w := onceAround(a.Orgs[0].ID, name, now, now.Add(time.Hour), domain.AlertScopeOrg, a.Orgs[0].ID)
		w.Enabled = enabled
		return w
	}
	if _, err := svc.CreateWindow(ctx, admin(a), mk("one", true)); err != nil {
		t.Fatal(err)
	}
	two, err := svc.CreateWindow(ctx, admin(a), mk("two", true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateWindow(ctx, admin(a), mk("three", true)); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("a third enabled window: %v, want ErrInvalid", err)
	}
	off, err := svc.CreateWindow(ctx, admin(a), mk("off", false)) // disabled ones do not count
	if err != nil {
		t.Fatal(err)
	}
	// editing one of the two keeps its place; enabling the third does not fit
	w2 := *two.MaintenanceWindow
	w2.Description = "edited"
	if _, err := svc.UpdateWindow(ctx, admin(a), &w2); err != nil {
		t.Fatalf("edit an enabled window at the bound: %v", err)
	}
	w3 := *off.MaintenanceWindow
	w3.Enabled = true
	if _, err := svc.UpdateWindow(ctx, admin(a), &w3); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("enable a window past the bound: %v, want ErrInvalid", err)
	}
	// another partner has its own room
	b := ts.Seed.B
	if _, err := svc.CreateWindow(ctx, admin(b), onceAround(b.Orgs[0].ID, "b", now, now.Add(time.Hour), domain.AlertScopeOrg, b.Orgs[0].ID)); err != nil {
		t.Fatal(err)
	}
}

// A weekly window held across DST changes, end to end from the store.
func TestHeldUntilAcrossDST(t *testing.T) {
	ts := apitest.NewServer(t)
	ctx := context.Background()
	a := ts.Seed.A
	dev, _ := ts.NewDevice(t, a, 0, "host")
	svc := newService(t, ts.Store, ts.Clock, nil, 0)
	for _, w := range []*domain.MaintenanceWindow{
		{OrgID: a.Orgs[0].ID, Name: "skipped", Enabled: true, ScopeKind: domain.AlertScopeDevices, ScopeIDs: []string{dev},
			TimeZone: "America/New_York", Kind: domain.MaintenanceWeekly, Days: []time.Weekday{time.Sunday}, At: "02:30", DurationMinutes: 60},
		{OrgID: a.Orgs[0].ID, Name: "repeated", Enabled: true, ScopeKind: domain.AlertScopeDevices, ScopeIDs: []string{dev},
			TimeZone: "America/New_York", Kind: domain.MaintenanceWeekly, Days: []time.Weekday{time.Sunday}, At: "01:10", DurationMinutes: 30},
	} {
		if _, err := svc.CreateWindow(ctx, admin(a), w); err != nil {
			t.Fatal(err)
		}
	}
	al := alertOf(t, ts, dev)
	for _, c := range []struct{ at, until string }{
		{"2026-03-08T07:15:00Z", ""},                     // 03:15 EDT: the skipped 02:30 starts at 03:30
		{"2026-03-08T07:45:00Z", "2026-03-08T08:30:00Z"}, // 03:45 EDT
		{"2026-03-15T06:45:00Z", "2026-03-15T07:30:00Z"}, // a week later, 02:45 EDT
		{"2026-11-01T05:20:00Z", "2026-11-01T05:40:00Z"}, // the first 01:20 (EDT)
		{"2026-11-01T06:20:00Z", ""},                     // the repeated 01:20 (EST): no second occurrence
		{"2026-11-01T07:45:00Z", "2026-11-01T08:30:00Z"}, // 02:45 EST
	} {
		want := time.Time{}
		if c.until != "" {
			want = utc(c.until)
		}
		held(t, svc, al, utc(c.at), want, map[bool]string{true: maintenance.ReasonMaintenance, false: ""}[c.until != ""])
	}
}
