package alerts_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/app/alerts"
	"github.com/breeze-rmm/breeze/core/app/events"
	"github.com/breeze-rmm/breeze/core/domain"
)

// recorder keeps the live events published.
type recorder struct {
	mu    sync.Mutex
	types []string
}

func (r *recorder) PublishData(_ context.Context, e events.Event, _ any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.types = append(r.types, e.Type)
}

func (r *recorder) last() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.types) == 0 {
		return ""
	}
	return r.types[len(r.types)-1]
}

// notified counts the transitions handed to notifications.
type notified struct{ n int }

func (n *notified) AlertTransitioned(context.Context, *domain.Alert) { n.n++ }

func TestSnoozedAlertStillResolves(t *testing.T) {
	ts := apitest.NewServer(t)
	ctx := context.Background()
	dev, _ := ts.NewDevice(t, ts.Seed.A, 0, "silent")
	newRule(t, ts, "device_offline", `{"minutes":10}`)
	rec, nt := &recorder{}, &notified{}
	svc, err := alerts.New(alerts.Deps{Store: ts.Store, Clock: ts.Clock, Events: rec, Notify: nt})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	t0 := ts.Clock.Now()
	mark(t, ts, dev, domain.DeviceOffline, t0)
	setClock(ts, t0.Add(11*time.Minute))
	sweep(t, svc)
	got := alertsOf(t, ts, dev)
	if len(got) != 1 || got[0].State != domain.AlertOpen {
		t.Fatalf("want one open alert, got %+v", got)
	}
	id := got[0].ID
	tech := ts.NewUser(t, domain.RoleOrgTechnician, ts.Seed.A.OrgUnit(0), ts.Seed.A.Partner.ID)
	p, err := ts.Auth.Authenticate(ctx, ts.Login(t, tech.Email, tech.Password))
	if err != nil {
		t.Fatal(err)
	}
	before := nt.n

	// bounds: in the future, at most 30 days ahead
	now := ts.Clock.Now()
	for _, until := range []time.Time{now, now.Add(-time.Hour), now.Add(alerts.MaxSnooze + time.Minute)} {
		if _, err := svc.Snooze(ctx, p, id, until, ""); !errors.Is(err, domain.ErrInvalid) {
			t.Fatalf("snooze until %s: %v, want ErrInvalid", until, err)
		}
	}
	// another tenant's admin: not found
	other, err := ts.Auth.Authenticate(ctx, ts.Login(t, ts.Seed.B.Admin.Email, apitest.DefaultPassword))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Snooze(ctx, other, id, now.Add(time.Hour), ""); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another tenant snoozes: %v, want ErrNotFound", err)
	}

	// acting on alerts without reading their devices: not found either
	blind := &domain.Principal{Kind: domain.PrincipalUser, UserID: "blind", PartnerID: ts.Seed.A.Partner.ID,
		Grants: []domain.Grant{{Assignment: domain.RoleAssignment{PartnerID: ts.Seed.A.Partner.ID, OrgID: ts.Seed.A.Orgs[0].ID},
			Permissions: []domain.Permission{domain.PermAlertsRead, domain.PermAlertsAck}}}}
	if _, err := svc.Snooze(ctx, blind, id, now.Add(time.Hour), ""); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("snooze without devices:read: %v, want ErrNotFound", err)
	}
	if a, _ := ts.Store.Alerts().Get(ctx, domain.GlobalScope(), id); !a.SnoozedUntil.IsZero() || a.Version != 1 {
		t.Fatalf("a refused snooze changed the alert: %+v", a)
	}

	until := now.Add(alerts.MaxSnooze).Truncate(time.Millisecond)
	out, err := svc.Snooze(ctx, p, id, until, "known outage")
	if err != nil {
		t.Fatal(err)
	}
	if !out.SnoozedUntil.Equal(until) || rec.last() != alerts.TypeAlertSnoozed {
		t.Fatalf("snoozed until %s (event %q), want %s", out.SnoozedUntil, rec.last(), until)
	}
	last := out.History[len(out.History)-1]
	if last.Action != domain.AlertActionSnoozed || last.Actor != tech.ID || !last.At.Equal(now) || last.Note != "known outage" {
		t.Fatalf("history entry: %+v", last)
	}
	if nt.n != before {
		t.Fatal("a snooze was handed to notifications")
	}

	// the condition clears: the snoozed alert resolves anyway
	back := ts.Clock.Now()
	mark(t, ts, dev, domain.DeviceOnline, back)
	sweep(t, svc)
	setClock(ts, back.Add(30*time.Second))
	sweep(t, svc)
	got = alertsOf(t, ts, dev)
	if len(got) != 1 || got[0].State != domain.AlertResolved || got[0].ResolvedBy != domain.AlertActorSystem {
		t.Fatalf("a snoozed alert whose condition cleared: %+v", got)
	}
	if _, err := svc.Unsnooze(ctx, p, id); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("unsnooze a resolved alert: %v, want ErrConflict", err)
	}
}
