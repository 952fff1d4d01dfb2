package notifyapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/app/notify"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

var profiles = []struct {
	name string
	pg   bool
}{{"sqlite", false}, {"postgres", true}}

// cpuRule creates "cpu above 90 % for a minute" on org i's site.
func cpuRule(t *testing.T, e *env, tok string, i int) string {
	t.Helper()
	body := e.must(t, "create rule", http.StatusCreated, "POST", "/api/v1/alert-rules", tok, map[string]any{
		"orgId": e.Seed.A.Orgs[i].ID, "name": "cpu high", "severity": "critical", "kind": "metric_threshold",
		"params":    map[string]any{"metric": "cpu", "comparator": ">", "threshold": 90, "durationSeconds": 60},
		"scopeKind": "site", "scopeIds": []string{e.Seed.A.Sites[i].ID}})
	return body["id"].(string)
}

// heartbeats feeds cpu samples from t0 every 30 s through the monitor, as
// the agents' heartbeat hook does, and persists its transitions.
func heartbeats(e *env, deviceID string, t0 time.Time, cpu ...float64) {
	ctx := context.Background()
	for i, v := range cpu {
		e.Monitor.Observe(ctx, deviceID, t0.Add(time.Duration(i)*30*time.Second), &protocol.Heartbeat{CPUPercent: v})
		e.Monitor.Flush(ctx) // the first sample warms the device
	}
}

func unresolved(t *testing.T, e *env, deviceID string) *domain.Alert {
	t.Helper()
	as, err := e.Store.Alerts().Unresolved(context.Background(), deviceID, "", 10)
	if err != nil || len(as) != 1 {
		t.Fatalf("unresolved alerts of %s: %v %v", deviceID, as, err)
	}
	return as[0]
}

// An alert opened → the receiver gets it once, through the real webhook
// plugin, after riding out a few 500s; resolved → it gets the resolution;
// a task run again (a restart, another node) sends nothing more. Routes
// are scoped per tenant and need alerts:write.
func TestAlertReachesTheWebhookOnceAfterRetries(t *testing.T) {
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			e := newEnv(t, p.pg, 5*time.Second, 4)
			ctx := context.Background()
			adminA := e.Login(t, e.Seed.A.Admin.Email, apitest.DefaultPassword)
			adminB := e.Login(t, e.Seed.B.Admin.Email, apitest.DefaultPassword)
			orgA := e.Seed.A.Orgs[0].ID
			recv := newReceiver(t, 2, false)
			e.pointChannel(t, orgA, recv.URL+"/hook")

			route := map[string]any{"orgId": orgA, "name": "on-call", "channelId": "breeze.webhook",
				"severities": []string{"warning", "critical"}}
			// bad input: 400; another tenant: 404; no alerts:write: 403
			for _, bad := range []map[string]any{
				{"orgId": orgA, "name": "x", "channelId": "breeze.webhook", "severities": []string{"urgent"}},
				{"orgId": orgA, "name": "x", "channelId": "breeze.webhook", "severities": []string{}},
				{"orgId": orgA, "name": "x", "channelId": "no.such.plugin", "severities": []string{"critical"}},
				{"orgId": orgA, "name": "x", "channelId": "breeze.webhook", "severities": []string{"critical"}, "ratePerHour": -1},
			} {
				e.must(t, "bad route", http.StatusBadRequest, "POST", "/api/v1/notification-routes", adminA, bad)
			}
			e.must(t, "route in another tenant", http.StatusNotFound, "POST", "/api/v1/notification-routes", adminB, route)
			tech := e.NewUser(t, domain.RoleOrgTechnician, e.Seed.A.OrgUnit(0), e.Seed.A.Partner.ID)
			ttok := e.Login(t, tech.Email, tech.Password)
			e.must(t, "technician writes a route", http.StatusForbidden, "POST", "/api/v1/notification-routes", ttok, route)
			created := e.must(t, "create route", http.StatusCreated, "POST", "/api/v1/notification-routes", adminA, route)
			routeID := created["id"].(string)
			if created["enabled"] != true || created["partnerId"] != e.Seed.A.Partner.ID {
				t.Fatalf("created route: %v", created)
			}
			e.must(t, "technician reads the route", http.StatusOK, "GET", "/api/v1/notification-routes/"+routeID, ttok, nil)
			e.must(t, "technician deletes the route", http.StatusForbidden, "DELETE", "/api/v1/notification-routes/"+routeID, ttok, nil)
			e.must(t, "another tenant reads the route", http.StatusNotFound, "GET", "/api/v1/notification-routes/"+routeID, adminB, nil)
			e.must(t, "another tenant deletes the route", http.StatusNotFound, "DELETE", "/api/v1/notification-routes/"+routeID, adminB, nil)
			if l := e.must(t, "B lists routes", 200, "GET", "/api/v1/notification-routes", adminB, nil); len(l["items"].([]any)) != 0 {
				t.Fatalf("another tenant lists %v", l)
			}
			if l := e.must(t, "A lists routes", 200, "GET", "/api/v1/notification-routes?orgId="+orgA, adminA, nil); len(l["items"].([]any)) != 1 {
				t.Fatalf("A lists %v", l)
			}

			cpuRule(t, e, adminA, 0)
			if err := e.Monitor.Reload(ctx); err != nil {
				t.Fatal(err)
			}
			dev, _ := e.NewDevice(t, e.Seed.A, 0, "host-a")
			t0 := time.Now().UTC().Truncate(time.Second)
			heartbeats(e, dev, t0, 95, 95, 95, 95)
			a := unresolved(t, e, dev)

			eventually(t, 20*time.Second, "the opening delivered", func() bool { _, ok, _ := recv.got(); return len(ok) == 1 })
			calls, ok, _ := recv.got()
			if calls < 3 || ok[0]["status"] != "triggered" || ok[0]["severity"] != "critical" || ok[0]["deviceName"] != "host-a" ||
				ok[0]["id"] != a.ID+":open" {
				t.Fatalf("receiver: %d calls, accepted %v; want 2 refused then 1", calls, ok)
			}
			// the delivery log: failed attempts (two 500s; one more if the
			// plugin was restarted under load) then delivered, with latency
			var log map[string]any
			eventually(t, 5*time.Second, "the delivery logged", func() bool {
				log = e.must(t, "deliveries", 200, "GET", "/api/v1/alerts/"+a.ID+"/deliveries", adminA, nil)
				items := log["items"].([]any)
				return len(items) >= 3 && items[len(items)-1].(map[string]any)["outcome"] == "delivered"
			})
			items := log["items"].([]any)
			for i, it := range items {
				d, want := it.(map[string]any), "failed"
				if i == len(items)-1 {
					want = "delivered"
				}
				if d["outcome"] != want || d["attempt"] != float64(i+1) || d["channelId"] != "breeze.webhook" || d["routeId"] != routeID ||
					d["transition"] != "open" || d["latencyMs"] == nil {
					t.Fatalf("delivery %d: %v, want %s", i, d, want)
				}
			}
			if d := log["items"].([]any)[0].(map[string]any); !strings.Contains(d["detail"].(string), "breeze.webhook") {
				t.Fatalf("failed attempt detail: %v", d)
			}
			e.must(t, "another tenant reads the log", http.StatusNotFound, "GET", "/api/v1/alerts/"+a.ID+"/deliveries", adminB, nil)
			if l := e.must(t, "B lists deliveries", 200, "GET", "/api/v1/notification-deliveries", adminB, nil); len(l["items"].([]any)) != 0 {
				t.Fatalf("another tenant lists deliveries: %v", l)
			}

			// the same transition handed over again (a restart, another
			// node): the log says delivered, nothing is sent
			before, _, _ := recv.got()
			e.Notify.AlertTransitioned(ctx, a)
			time.Sleep(500 * time.Millisecond)
			if calls, _, _ := recv.got(); calls != before {
				t.Fatalf("re-sent after a replay: %d calls, was %d", calls, before)
			}

			// the condition clears: the resolution goes out once
			heartbeats(e, dev, t0.Add(3*time.Minute), 10)
			eventually(t, 10*time.Second, "the resolution delivered", func() bool { _, ok, _ := recv.got(); return len(ok) == 2 })
			if _, ok, _ := recv.got(); ok[1]["status"] != "resolved" || ok[1]["id"] != a.ID+":resolved" {
				t.Fatalf("resolution: %v", ok[1])
			}
			if l := e.must(t, "dead letters", 200, "GET", "/api/v1/notification-deliveries?state=dead", adminA, nil); len(l["items"].([]any)) != 0 {
				t.Fatalf("dead letters: %v", l)
			}
			e.must(t, "bad state", http.StatusBadRequest, "GET", "/api/v1/notification-deliveries?state=bogus", adminA, nil)
			e.must(t, "delete route", http.StatusNoContent, "DELETE", "/api/v1/notification-routes/"+routeID, adminA, nil)
		})
	}
}

// A channel that never answers times out per attempt, is dead-lettered
// after the last one, and holds back nothing else: another org's route
// delivers at once meanwhile.
func TestHangingChannelIsDeadLetteredOthersUnaffected(t *testing.T) {
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			const timeout = 3 * time.Second
			e := newEnv(t, p.pg, timeout, 1)
			ctx := context.Background()
			adminA := e.Login(t, e.Seed.A.Admin.Email, apitest.DefaultPassword)
			adminB := e.Login(t, e.Seed.B.Admin.Email, apitest.DefaultPassword)
			hang, good := newReceiver(t, 0, true), newReceiver(t, 0, false)
			org1, org2 := e.Seed.A.Orgs[0].ID, e.Seed.A.Orgs[1].ID
			e.pointChannel(t, org1, hang.URL+"/hook")
			e.pointChannel(t, org2, good.URL+"/hook")
			for _, org := range []string{org1, org2} {
				e.must(t, "route", http.StatusCreated, "POST", "/api/v1/notification-routes", adminA, map[string]any{
					"orgId": org, "name": "ops", "channelId": "breeze.webhook", "severities": []string{"critical"}})
			}
			cpuRule(t, e, adminA, 0)
			cpuRule(t, e, adminA, 1)
			if err := e.Monitor.Reload(ctx); err != nil {
				t.Fatal(err)
			}
			dev1, _ := e.NewDevice(t, e.Seed.A, 0, "stuck")
			dev2, _ := e.NewDevice(t, e.Seed.A, 1, "fine")
			t0 := time.Now().UTC().Truncate(time.Second)
			heartbeats(e, dev1, t0, 95, 95, 95, 95) // the hanging channel's alert first
			heartbeats(e, dev2, t0, 95, 95, 95, 95)
			start := time.Now()
			a1 := unresolved(t, e, dev1)

			eventually(t, 10*time.Second, "the other route delivered", func() bool { _, ok, _ := good.got(); return len(ok) == 1 })
			if took := time.Since(start); took >= timeout {
				t.Fatalf("the healthy route waited for the hanging one: %s", took)
			}
			// two attempts of 3 s, then dead
			var dead map[string]any
			eventually(t, 15*time.Second, "the dead letter", func() bool {
				dead = e.must(t, "dead letters", 200, "GET", "/api/v1/notification-deliveries?state=dead", adminA, nil)
				return len(dead["items"].([]any)) == 1
			})
			d := dead["items"].([]any)[0].(map[string]any)
			if d["alertId"] != a1.ID || d["attempt"] != 2.0 || !strings.Contains(d["detail"].(string), "did not answer within 3s") ||
				d["latencyMs"].(float64) < 2900 {
				t.Fatalf("dead letter: %v", d)
			}
			if calls, _, _ := hang.got(); calls != 2 {
				t.Fatalf("hanging receiver asked %d times, want 2", calls)
			}
			if l := e.must(t, "B dead letters", 200, "GET", "/api/v1/notification-deliveries?state=dead", adminB, nil); len(l["items"].([]any)) != 0 {
				t.Fatalf("another tenant sees dead letters: %v", l)
			}
			// the queue keeps the dead task for inspection too
			eventually(t, 5*time.Second, "the dead task", func() bool {
				ts, err := e.Queue.Dead(ctx, notify.TaskKind, 10)
				return err == nil && len(ts) == 1
			})
			var _ ports.Queue = e.Queue
		})
	}
}

// A partner-wide default route serves every org of its partner (and only
// the partner's admins may write one); its rate limit holds back the
// second alert within the hour, which ends dead-lettered as rate limited.
func TestPartnerDefaultRouteWithRateLimit(t *testing.T) {
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			e := newEnv(t, p.pg, 5*time.Second, 1)
			ctx := context.Background()
			adminA := e.Login(t, e.Seed.A.Admin.Email, apitest.DefaultPassword)
			recv := newReceiver(t, 0, false)
			org2 := e.Seed.A.Orgs[1].ID
			e.pointChannel(t, org2, recv.URL+"/hook")
			route := map[string]any{"partnerId": e.Seed.A.Partner.ID, "name": "partner default", "channelId": "breeze.webhook",
				"severities": []string{"critical"}, "ratePerHour": 1}
			orgAdmin := e.NewUser(t, domain.RoleOrgAdmin, e.Seed.A.OrgUnit(1), e.Seed.A.Partner.ID)
			otok := e.Login(t, orgAdmin.Email, orgAdmin.Password)
			e.must(t, "org admin writes a partner default", http.StatusNotFound, "POST", "/api/v1/notification-routes", otok, route)
			e.must(t, "partner default", http.StatusCreated, "POST", "/api/v1/notification-routes", adminA, route)
			if l := e.must(t, "org admin lists", 200, "GET", "/api/v1/notification-routes?orgId="+org2, otok, nil); len(l["items"].([]any)) != 1 {
				t.Fatalf("the org does not see its partner's default: %v", l)
			}
			cpuRule(t, e, adminA, 1)
			if err := e.Monitor.Reload(ctx); err != nil {
				t.Fatal(err)
			}
			dev1, _ := e.NewDevice(t, e.Seed.A, 1, "one")
			dev2, _ := e.NewDevice(t, e.Seed.A, 1, "two")
			t0 := time.Now().UTC().Truncate(time.Second)
			heartbeats(e, dev1, t0, 95, 95, 95, 95)
			eventually(t, 10*time.Second, "the first alert delivered", func() bool { _, ok, _ := recv.got(); return len(ok) == 1 })
			heartbeats(e, dev2, t0, 95, 95, 95, 95)
			a2 := unresolved(t, e, dev2)
			var log map[string]any
			eventually(t, 10*time.Second, "the second alert dead-lettered", func() bool {
				log = e.must(t, "deliveries", 200, "GET", "/api/v1/notification-deliveries?alertId="+a2.ID, adminA, nil)
				return len(log["items"].([]any)) == 2
			})
			for i, want := range []string{"rate_limited", "dead"} {
				d := log["items"].([]any)[i].(map[string]any)
				if d["outcome"] != want || !strings.Contains(d["detail"].(string), "rate limited") {
					t.Fatalf("attempt %d: %v, want %s", i+1, d, want)
				}
			}
			if calls, _, _ := recv.got(); calls != 1 {
				t.Fatalf("receiver asked %d times, want 1", calls)
			}
			// the routes are documented
			rec := e.Request(t, http.MethodGet, "/api/v1/openapi.json", "", nil, nil)
			for _, path := range []string{`"/api/v1/notification-routes"`, `"/api/v1/notification-deliveries"`, `"/api/v1/alerts/{id}/deliveries"`} {
				if rec.Code != 200 || !strings.Contains(rec.Body.String(), path) {
					t.Fatalf("openapi.json (%d) lacks %s", rec.Code, path)
				}
			}
		})
	}
}
