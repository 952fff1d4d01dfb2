package alerts_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/adapters/memory"
	"github.com/breeze-rmm/breeze/core/app/agents"
	"github.com/breeze-rmm/breeze/core/app/alerts"
	"github.com/breeze-rmm/breeze/core/app/events"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// newRule stores an enabled rule of kind over org 0 of tenant A.
func newRule(t testing.TB, ts *apitest.TestServer, kind, params string) *domain.AlertRule {
	t.Helper()
	a := ts.Seed.A
	r := &domain.AlertRule{PartnerID: a.Partner.ID, OrgID: a.Orgs[0].ID, Name: kind + " " + params, Enabled: true,
		Severity: domain.SeverityCritical, Kind: kind, Params: json.RawMessage(params),
		ScopeKind: domain.AlertScopeOrg, ScopeIDs: []string{a.Orgs[0].ID}}
	if err := ts.Store.AlertRules().Create(context.Background(), domain.GlobalScope(), r); err != nil {
		t.Fatalf("create rule: %v", err)
	}
	return r
}

func newService(t testing.TB, st ports.Store, clock ports.Clock, bus ports.Bus) *alerts.Service {
	t.Helper()
	svc, err := alerts.New(alerts.Deps{Store: st, Clock: clock, Bus: bus})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// alertsOf lists every alert of deviceID.
func alertsOf(t *testing.T, ts *apitest.TestServer, deviceID string) []*domain.Alert {
	t.Helper()
	p, err := ts.Store.Alerts().List(context.Background(), domain.GlobalScope(), ports.AlertFilter{DeviceID: deviceID},
		domain.PageRequest{Limit: domain.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	return p.Items
}

func mark(t *testing.T, ts *apitest.TestServer, deviceID string, st domain.DeviceStatus, seen time.Time) {
	t.Helper()
	if err := ts.Store.Presence().Mark(context.Background(), []domain.PresenceUpdate{{DeviceID: deviceID, Status: st, LastSeenAt: seen}}); err != nil {
		t.Fatal(err)
	}
}

func sweep(t *testing.T, svc *alerts.Service) {
	t.Helper()
	if err := svc.Sweep(context.Background()); err != nil {
		t.Fatalf("sweep: %v", err)
	}
}

func TestOfflineSweep(t *testing.T) {
	ts := apitest.NewServer(t)
	ctx := context.Background()
	dev, _ := ts.NewDevice(t, ts.Seed.A, 0, "silent")
	outside, _ := ts.NewDevice(t, ts.Seed.A, 1, "other-org") // org 1: not in the rule's scope
	newRule(t, ts, "device_offline", `{"minutes":10}`)
	svc := newService(t, ts.Store, ts.Clock, nil)
	if err := svc.Reload(ctx); err != nil {
		t.Fatal(err)
	}

	// silent for 9 minutes: nothing; for more than 10: one alert, however
	// many sweeps see it
	t0 := ts.Clock.Now()
	mark(t, ts, dev, domain.DeviceOffline, t0)
	mark(t, ts, outside, domain.DeviceOffline, t0)
	for m := 1; m <= 9; m++ {
		setClock(ts, t0.Add(time.Duration(m)*time.Minute))
		sweep(t, svc)
	}
	if got := alertsOf(t, ts, dev); len(got) != 0 {
		t.Fatalf("alert before 10 minutes: %+v", got)
	}
	for m := 10; m <= 20; m++ {
		setClock(ts, t0.Add(time.Duration(m)*time.Minute+time.Second))
		sweep(t, svc)
	}
	got := alertsOf(t, ts, dev)
	if len(got) != 1 || got[0].State != domain.AlertOpen || got[0].Kind != "device_offline" ||
		!got[0].OpenedAt.Equal(t0.Add(10*time.Minute+time.Second)) {
		t.Fatalf("want one open offline alert opened at minute 10, got %+v", got)
	}
	if n := len(alertsOf(t, ts, outside)); n != 0 {
		t.Fatalf("a device outside the rule's scope got %d alerts", n)
	}

	// a flapping link: back for moments between drops (each seen by a
	// sweep), then silent past the rule's minutes again: still that one alert
	now := ts.Clock.Now()
	for i := 0; i < 5; i++ {
		mark(t, ts, dev, domain.DeviceOnline, now)
		sweep(t, svc)
		now = now.Add(30 * time.Second)
		mark(t, ts, dev, domain.DeviceOffline, now)
		for m := 0; m < 12; m++ {
			now = now.Add(time.Minute)
			setClock(ts, now)
			sweep(t, svc)
		}
	}
	if got := alertsOf(t, ts, dev); len(got) != 1 || got[0].State != domain.AlertOpen {
		t.Fatalf("a flapping link: want its one alert still open, got %d alerts %+v", len(got), got)
	}

	// back for good: resolved by the system at the second sweep that sees it
	mark(t, ts, dev, domain.DeviceOnline, now)
	sweep(t, svc)
	if got := alertsOf(t, ts, dev); got[0].State != domain.AlertOpen {
		t.Fatalf("resolved at the first sweep back: %+v", got[0])
	}
	setClock(ts, now.Add(30*time.Second))
	sweep(t, svc)
	got = alertsOf(t, ts, dev)
	if len(got) != 1 || got[0].State != domain.AlertResolved || got[0].ResolvedBy != domain.AlertActorSystem {
		t.Fatalf("device back: want the alert resolved by the system, got %+v", got)
	}
	sweep(t, svc)
	if got := alertsOf(t, ts, dev); len(got) != 1 {
		t.Fatalf("sweeps after the return opened %d alerts", len(got)-1)
	}
}

func setClock(ts *apitest.TestServer, at time.Time) { ts.Clock.Advance(at.Sub(ts.Clock.Now())) }

// flakyStore fails every alert read and write while down (a database
// outage as the evaluation job sees it).
type flakyStore struct {
	ports.Store
	down *atomic.Bool
}

var errOutage = errors.New("database unreachable")

func (f flakyStore) Alerts() ports.AlertStore { return flakyAlerts{f.Store.Alerts(), f.down} }
func (f flakyStore) AlertRules() ports.AlertRuleStore {
	return flakyRules{f.Store.AlertRules(), f.down}
}

type flakyAlerts struct {
	ports.AlertStore
	down *atomic.Bool
}

func (f flakyAlerts) Open(ctx context.Context, a *domain.Alert) (*domain.Alert, bool, error) {
	if f.down.Load() {
		return nil, false, errOutage
	}
	return f.AlertStore.Open(ctx, a)
}

func (f flakyAlerts) Transition(ctx context.Context, s domain.Scope, id string, from []domain.AlertState, u domain.AlertUpdate) (*domain.Alert, error) {
	if f.down.Load() {
		return nil, errOutage
	}
	return f.AlertStore.Transition(ctx, s, id, from, u)
}

func (f flakyAlerts) Unresolved(ctx context.Context, deviceID, kind string, limit int) ([]*domain.Alert, error) {
	if f.down.Load() {
		return nil, errOutage
	}
	return f.AlertStore.Unresolved(ctx, deviceID, kind, limit)
}

type flakyRules struct {
	ports.AlertRuleStore
	down *atomic.Bool
}

func (f flakyRules) Enabled(ctx context.Context) ([]*domain.AlertRule, error) {
	if f.down.Load() {
		return nil, errOutage
	}
	return f.AlertRuleStore.Enabled(ctx)
}

func cpu(v float64) *protocol.Heartbeat { return &protocol.Heartbeat{CPUPercent: v} }

// warm makes the service judge deviceID's samples.
func warm(t testing.TB, svc *alerts.Service, deviceID string) {
	t.Helper()
	svc.Observe(context.Background(), deviceID, time.Now(), cpu(0))
	svc.Flush(context.Background())
	if !svc.Evaluator().Tracks(deviceID) {
		t.Fatalf("device %s not warmed", deviceID)
	}
}

func TestOutageNeitherLosesNorDuplicates(t *testing.T) {
	ts := apitest.NewServer(t)
	ctx := context.Background()
	dev, _ := ts.NewDevice(t, ts.Seed.A, 0, "busy")
	newRule(t, ts, "metric_threshold", `{"metric":"cpu","threshold":90,"clearThreshold":80,"durationSeconds":60}`)
	down := &atomic.Bool{}
	svc := newService(t, flakyStore{ts.Store, down}, ts.Clock, nil)
	if err := svc.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	warm(t, svc, dev)
	t0 := ts.Clock.Now()
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

	// the database goes away as the breach lasts long enough: the opening
	// is retried, then given up; the reload fails too
	down.Store(true)
	for _, s := range []int{0, 30, 61} {
		svc.Observe(ctx, dev, at(s), cpu(95))
	}
	svc.Flush(ctx)
	if err := svc.Reload(ctx); err == nil {
		t.Fatal("reload succeeded during the outage")
	}
	// back: the breach goes on; the first reload repairs the lost opening
	down.Store(false)
	svc.Observe(ctx, dev, at(90), cpu(95))
	svc.Flush(ctx)
	if got := alertsOf(t, ts, dev); len(got) != 0 {
		t.Fatalf("opened without a reconcile? %+v", got)
	}
	if err := svc.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	svc.Observe(ctx, dev, at(120), cpu(95))
	svc.Observe(ctx, dev, at(150), cpu(96))
	svc.Flush(ctx)
	got := alertsOf(t, ts, dev)
	if len(got) != 1 || got[0].State != domain.AlertOpen {
		t.Fatalf("after the outage: want the one lost alert opened, got %+v", got)
	}

	// the resolution is lost to a second outage, then repaired
	down.Store(true)
	svc.Observe(ctx, dev, at(180), cpu(50))
	svc.Flush(ctx)
	down.Store(false)
	if err := svc.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	svc.Observe(ctx, dev, at(210), cpu(50))
	svc.Flush(ctx)
	got = alertsOf(t, ts, dev)
	if len(got) != 1 || got[0].State != domain.AlertResolved || !got[0].ResolvedAt.Equal(at(210)) {
		t.Fatalf("after the second outage: want the alert resolved at 210 s, got %+v", got)
	}
	// reloads with nothing lost change nothing
	for i := 0; i < 3; i++ {
		if err := svc.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		svc.Observe(ctx, dev, at(240+i), cpu(50))
		svc.Flush(ctx)
	}
	if got := alertsOf(t, ts, dev); len(got) != 1 {
		t.Fatalf("%d alerts after idle reloads", len(got))
	}
}

func TestFullQueueIsRepairedByReconcile(t *testing.T) {
	ts := apitest.NewServer(t)
	ctx := context.Background()
	one, _ := ts.NewDevice(t, ts.Seed.A, 0, "one")
	two, _ := ts.NewDevice(t, ts.Seed.A, 0, "two")
	newRule(t, ts, "metric_threshold", `{"metric":"cpu","threshold":90,"durationSeconds":60}`)
	svc, err := alerts.New(alerts.Deps{Store: ts.Store, Clock: ts.Clock, QueueSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	warm(t, svc, one)
	warm(t, svc, two)
	t0 := ts.Clock.Now()
	for _, s := range []int{0, 61} { // both open at once; the queue holds one
		svc.Observe(ctx, one, t0.Add(time.Duration(s)*time.Second), cpu(99))
		svc.Observe(ctx, two, t0.Add(time.Duration(s)*time.Second), cpu(99))
	}
	if d := svc.Evaluator().Dropped(); d != 1 {
		t.Fatalf("dropped %d transitions, want 1", d)
	}
	svc.Flush(ctx)
	if a, b := len(alertsOf(t, ts, one)), len(alertsOf(t, ts, two)); a != 1 || b != 0 {
		t.Fatalf("before reconcile: %d and %d alerts, want 1 and 0", a, b)
	}
	if err := svc.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	for _, dev := range []string{one, two} {
		svc.Observe(ctx, dev, t0.Add(90*time.Second), cpu(99))
		svc.Flush(ctx)
	}
	if a, b := len(alertsOf(t, ts, one)), len(alertsOf(t, ts, two)); a != 1 || b != 1 {
		t.Fatalf("after reconcile: %d and %d alerts, want one each", a, b)
	}
}

type nopSink struct{}

func (nopSink) Add(domain.MetricSample) bool { return true }

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTwoNodesFollowRuleChangesAndMoves runs two nodes on one store and one
// broker: a rule written on A is judged on B at once (B's periodic reload
// is an hour away), and a device moved on A is forgotten on B, which
// re-reads its placement from the next sample.
func TestTwoNodesFollowRuleChangesAndMoves(t *testing.T) {
	ts := apitest.NewServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := ts.Seed.A
	dev, _ := ts.NewDevice(t, a, 0, "roamer")
	site2 := &domain.Site{OrgID: a.Orgs[0].ID, Name: "Annex"}
	if err := ts.Store.Sites().Create(ctx, domain.GlobalScope(), site2); err != nil {
		t.Fatal(err)
	}
	broker := memory.NewBroker()
	busA, busB := memory.NewBus(memory.BusOptions{Broker: broker}), memory.NewBus(memory.BusOptions{Broker: broker})
	t.Cleanup(func() { _ = busA.Close(); _ = busB.Close() })
	nodeA := newService(t, ts.Store, ts.Clock, busA)
	nodeB, err := alerts.New(alerts.Deps{Store: ts.Store, Clock: ts.Clock, Bus: busB, ReloadEvery: time.Hour, SweepEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); nodeB.Run(ctx) }()
	defer func() { cancel(); <-done }()
	// B is subscribed once it has warmed the device
	nodeB.Observe(ctx, dev, ts.Clock.Now(), cpu(0))
	eventually(t, "device warm on B", func() bool { return nodeB.Evaluator().Tracks(dev) })

	admin := &domain.Principal{Kind: domain.PrincipalUser, UserID: a.Admin.ID, PartnerID: a.Partner.ID,
		Grants: []domain.Grant{{Assignment: domain.RoleAssignment{PartnerID: a.Partner.ID}, Permissions: domain.AllPermissions()}}}
	rule := func(name, siteID string) *domain.AlertRule {
		r := &domain.AlertRule{OrgID: a.Orgs[0].ID, Name: name, Enabled: true, Severity: domain.SeverityWarning,
			Kind: "metric_threshold", Params: json.RawMessage(`{"metric":"cpu","threshold":90,"durationSeconds":60}`),
			ScopeKind: domain.AlertScopeSite, ScopeIDs: []string{siteID}}
		if err := nodeA.CreateRule(ctx, admin, r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	home, annex := rule("home site", a.Sites[0].ID), rule("annex", site2.ID)

	// B judges the new rule without waiting for its reload
	at := ts.Clock.Now()
	byRule := func(ruleID string) int {
		n := 0
		for _, x := range alertsOf(t, ts, dev) {
			if x.RuleID == ruleID {
				n++
			}
		}
		return n
	}
	eventually(t, "the rule written on A opens an alert on B", func() bool {
		at = at.Add(61 * time.Second)
		nodeB.Observe(ctx, dev, at, cpu(99))
		return byRule(home.ID) == 1
	})
	nodeB.Observe(ctx, dev, at.Add(time.Second), cpu(10)) // resolves it

	// moved on A (through the agents' use case, its event on the bus)
	ag, err := agents.New(agents.Deps{Store: ts.Store, Limiter: memory.NewRateLimiter(memory.RateLimiterOptions{}),
		Samples: nopSink{}, Events: events.DeviceEvents{Publisher: &events.Publisher{Bus: busA}}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := ts.Store.Devices().Get(ctx, domain.GlobalScope(), dev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ag.MoveDevice(ctx, admin, dev, agents.Move{SiteID: &site2.ID, Version: d.Version}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "B forgets the moved device", func() bool { return !nodeB.Evaluator().Tracks(dev) })
	at = at.Add(time.Minute)
	eventually(t, "the annex rule opens an alert on B", func() bool {
		at = at.Add(61 * time.Second)
		nodeB.Observe(ctx, dev, at, cpu(99))
		return byRule(annex.ID) == 1
	})
	if n := byRule(home.ID); n != 1 {
		t.Fatalf("the old site's rule still judges the moved device: %d alerts", n)
	}
	var open int
	for _, x := range alertsOf(t, ts, dev) {
		if x.State != domain.AlertResolved {
			open++
		}
	}
	if open != 1 {
		t.Fatalf("%d unresolved alerts, want the annex one only", open)
	}
}
