package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	queueasynq "github.com/breeze-rmm/breeze/adapters/asynq"
	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/adapters/redis/redistest"
	"github.com/breeze-rmm/breeze/adapters/sqlite"
	"github.com/breeze-rmm/breeze/core/app/notify"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

var profiles = []struct {
	name string
	pg   bool
}{{"sqlite", false}, {"postgres", true}}

// channel is an alert channel that records what it took. It refuses its
// first `fail` sends and, while hang is set, answers only when ctx ends.
type channel struct {
	mu    sync.Mutex
	fail  int
	hang  bool
	calls int
	got   []ports.Notification
	// onSend, when set, runs before each send is taken.
	onSend func(n ports.Notification)
	// giveUpBefore > 0: answer "not delivered", without an error, that
	// long before ctx's deadline (a plugin whose own deadline came first).
	giveUpBefore time.Duration
}

func (c *channel) Send(ctx context.Context, _ string, n ports.Notification) (ports.NotifyResult, error) {
	c.mu.Lock()
	c.calls++
	failing, hang, hook, giveUp := c.calls <= c.fail, c.hang, c.onSend, c.giveUpBefore
	c.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	if dl, ok := ctx.Deadline(); ok && giveUp > 0 {
		time.Sleep(time.Until(dl) - giveUp)
		return ports.NotifyResult{Detail: "delivery failed"}, nil
	}
	if hang {
		<-ctx.Done()
		return ports.NotifyResult{}, ctx.Err()
	}
	if failing {
		return ports.NotifyResult{Detail: "HTTP 500"}, nil
	}
	c.mu.Lock()
	c.got = append(c.got, n)
	c.mu.Unlock()
	return ports.NotifyResult{Delivered: true, Attempts: 1}, nil
}

func (c *channel) taken() []ports.Notification {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ports.Notification(nil), c.got...)
}

func (c *channel) callCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// holds holds every alert of the listed devices until a time.
type holds struct {
	mu    sync.Mutex
	until map[string]time.Time
}

func (h *holds) HeldUntil(_ context.Context, a *domain.Alert, at time.Time) (time.Time, string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if u, ok := h.until[a.DeviceID]; ok && at.Before(u) {
		return u, "maintenance window \"patching\"", nil
	}
	return time.Time{}, "", nil
}

func (h *holds) set(deviceID string, until time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.until == nil {
		h.until = map[string]time.Time{}
	}
	h.until[deviceID] = until
}

// env is a seeded store, a real durable queue of the profile and one
// notify service on it (a node); restart and addNode make more.
type env struct {
	*apitest.TestServer
	pg      bool
	prefix  string // the asynq prefix the nodes share
	ch      *channel
	holds   *holds
	timeout time.Duration
	retries int
	nodes   []*node
}

type node struct {
	svc   *notify.Service
	q     ports.Queue
	close func()
}

func newEnv(t *testing.T, pg bool, timeout time.Duration, retries int) *env {
	t.Helper()
	e := &env{TestServer: apitest.NewServerWith(t, apitest.Options{Postgres: pg}), pg: pg, ch: &channel{}, holds: &holds{},
		timeout: timeout, retries: retries}
	e.addNode(t)
	return e
}

func (e *env) svc() *notify.Service { return e.nodes[0].svc }

// addNode starts another notify service with its own queue worker over
// the same store and queue data (another node, or the same after a
// restart).
func (e *env) addNode(t *testing.T) *node {
	t.Helper()
	log := hclog.New(&hclog.LoggerOptions{Output: e.Logs, Level: hclog.Info})
	retry := func(int) time.Duration { return 100 * time.Millisecond }
	var q ports.Queue
	var err error
	if e.pg {
		client, prefix := redistest.NewClient(t)
		if e.prefix == "" {
			e.prefix = prefix
		}
		q, err = queueasynq.New(queueasynq.Deps{Redis: client, Prefix: e.prefix, Logger: log, PollInterval: 20 * time.Millisecond,
			DelayedCheck: 100 * time.Millisecond, RetryDelay: retry})
	} else {
		q, err = sqlite.NewQueue(sqlite.QueueDeps{Store: e.Store.(*sqlite.Store), Logger: log, PollInterval: 20 * time.Millisecond,
			RetryDelay: retry})
	}
	if err != nil {
		t.Fatal(err)
	}
	svc, err := notify.New(notify.Deps{Store: e.Store, Queue: q, Channels: e.ch, Holds: e.holds, Logger: log,
		AttemptTimeout: e.timeout, MaxRetries: e.retries, Concurrency: 4, SweepEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	svc.Register()
	ctx, cancel := context.WithCancel(context.Background())
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	n := &node{svc: svc, q: q, close: func() {
		once.Do(func() {
			sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer scancel()
			_ = q.Shutdown(sctx)
			cancel()
		})
	}}
	t.Cleanup(n.close)
	e.nodes = append(e.nodes, n)
	return n
}

// route stores a route of org 0 of tenant A taking critical alerts.
func (e *env) route(t *testing.T, name string, groupAfter, groupInterval int) *domain.NotificationRoute {
	t.Helper()
	r := &domain.NotificationRoute{OrgID: e.Seed.A.Orgs[0].ID, Name: name, ChannelID: "test.channel",
		Severities: []domain.Severity{domain.SeverityCritical}, Enabled: true, GroupAfter: groupAfter, GroupIntervalSeconds: groupInterval}
	if err := e.Store.NotificationRoutes().Create(context.Background(), domain.GlobalScope(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

// rule stores a critical rule over org 0 of tenant A.
func (e *env) rule(t *testing.T, name string, renotify int) *domain.AlertRule {
	t.Helper()
	a := e.Seed.A
	r := &domain.AlertRule{PartnerID: a.Partner.ID, OrgID: a.Orgs[0].ID, Name: name, Enabled: true,
		Severity: domain.SeverityCritical, Kind: "device_offline", Params: json.RawMessage(`{"minutes":5}`),
		ScopeKind: domain.AlertScopeOrg, ScopeIDs: []string{a.Orgs[0].ID}, RenotifySeconds: renotify}
	if err := e.Store.AlertRules().Create(context.Background(), domain.GlobalScope(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

// open opens an alert of rule on a new device of org 0, opened at `at`
// (zero: now), without notifying.
func (e *env) open(t *testing.T, rule *domain.AlertRule, host string, at time.Time) *domain.Alert {
	t.Helper()
	return e.openIn(t, 0, rule, host, at)
}

// openIn is open on a device of org i.
func (e *env) openIn(t *testing.T, i int, rule *domain.AlertRule, host string, at time.Time) *domain.Alert {
	t.Helper()
	dev, _ := e.NewDevice(t, e.Seed.A, i, host)
	a, _, err := e.Store.Alerts().Open(context.Background(), &domain.Alert{RuleID: rule.ID, DeviceID: dev, Kind: rule.Kind,
		Severity: rule.Severity, Message: host + " is offline", OpenedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// move stores a's transition to `to` and hands it to svc, as the alerts
// service does.
func (e *env) move(t *testing.T, svc *notify.Service, a *domain.Alert, to domain.AlertState) *domain.Alert {
	t.Helper()
	out, err := e.Store.Alerts().Transition(context.Background(), domain.GlobalScope(), a.ID, domain.Unresolved,
		domain.AlertUpdate{To: to, Actor: "user-1"})
	if err != nil {
		t.Fatal(err)
	}
	svc.AlertTransitioned(context.Background(), out)
	return out
}

// log is the delivery log of alert a (every route), oldest first.
func (e *env) log(t *testing.T, alertID string) []*domain.NotificationDelivery {
	t.Helper()
	p, err := e.Store.NotificationDeliveries().List(context.Background(), domain.GlobalScope(),
		ports.DeliveryFilter{AlertID: alertID}, domain.PageRequest{Limit: domain.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	return p.Items
}

func outcomes(ds []*domain.NotificationDelivery) string {
	s := ""
	for _, d := range ds {
		s += fmt.Sprintf("[%s/%d #%d %s %q] ", d.Transition, d.Reminder, d.Attempt, d.Outcome, d.Detail)
	}
	return s
}

// eventually polls cond until it holds or d passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}
