package notifyapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/domain"
)

// PATCH /notification-routes/:id changes a route's name, severities, rate,
// grouping and enabled flag, is audited like create, needs alerts:write,
// and answers 404 across tenants. An acknowledgement reaches the real
// webhook with status "acknowledged"; a disabled route sends nothing.
func TestRoutePatchAndAcknowledgement(t *testing.T) {
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			e := newEnv(t, p.pg, 5*time.Second, 2)
			ctx := context.Background()
			adminA := e.Login(t, e.Seed.A.Admin.Email, apitest.DefaultPassword)
			adminB := e.Login(t, e.Seed.B.Admin.Email, apitest.DefaultPassword)
			orgA := e.Seed.A.Orgs[0].ID
			recv := newReceiver(t, 0, false)
			e.pointChannel(t, orgA, recv.URL+"/hook")

			e.must(t, "negative groupAfter", http.StatusBadRequest, "POST", "/api/v1/notification-routes", adminA, map[string]any{
				"orgId": orgA, "name": "x", "channelId": "breeze.webhook", "severities": []string{"critical"}, "groupAfter": -1})
			created := e.must(t, "create", http.StatusCreated, "POST", "/api/v1/notification-routes", adminA, map[string]any{
				"orgId": orgA, "name": "on-call", "channelId": "breeze.webhook", "severities": []string{"warning"}})
			id := created["id"].(string)
			if created["groupAfter"] != 5.0 || created["groupIntervalSeconds"] != 300.0 {
				t.Fatalf("grouping defaults: %v", created)
			}
			other := e.must(t, "create another", http.StatusCreated, "POST", "/api/v1/notification-routes", adminA, map[string]any{
				"orgId": orgA, "name": "other", "channelId": "breeze.webhook", "severities": []string{"info"}, "groupAfter": 0,
				"enabled": false})
			if other["groupAfter"] != 0.0 || other["groupIntervalSeconds"] != 300.0 {
				t.Fatalf("explicit groupAfter 0: %v", other)
			}
			path := "/api/v1/notification-routes/" + id

			rows := len(e.AuditRows(t))
			patch := map[string]any{"name": "pager", "channelId": "breeze.webhook", "severities": []string{"critical", "warning"}, "ratePerHour": 50,
				"groupAfter": 0, "groupIntervalSeconds": 60, "enabled": true}
			got := e.must(t, "patch", http.StatusOK, "PATCH", path, adminA, patch)
			if got["name"] != "pager" || len(got["severities"].([]any)) != 2 || got["ratePerHour"] != 50.0 || got["groupAfter"] != 0.0 ||
				got["groupIntervalSeconds"] != 60.0 || got["enabled"] != true || got["channelId"] != "breeze.webhook" || got["orgId"] != orgA {
				t.Fatalf("patched: %v", got)
			}
			audit := e.AuditRows(t) // newest first
			if len(audit) != rows+1 {
				t.Fatalf("the patch wrote %d audit rows", len(audit)-rows)
			}
			if r := audit[0]; r.Action != "notification-routes.update" || r.ResourceID != id || r.Outcome != domain.OutcomeSuccess ||
				r.OrgID != orgA || r.ResourceType != "notification_route" {
				t.Fatalf("audit row: %+v", r)
			}
			// absent fields stay
			got = e.must(t, "patch one field", http.StatusOK, "PATCH", path, adminA, map[string]any{"ratePerHour": 0})
			if got["name"] != "pager" || got["ratePerHour"] != 0.0 || got["groupIntervalSeconds"] != 60.0 {
				t.Fatalf("partial patch: %v", got)
			}
			for _, bad := range []map[string]any{
				{"groupAfter": 1001}, {"groupIntervalSeconds": 86401}, {"groupIntervalSeconds": -5}, {"severities": []string{}},
				{"severities": []string{"urgent"}}, {"name": ""}, {"ratePerHour": -1}, {"channelId": "no.such.plugin"}, {"channelId": ""},
				{"partnerId": e.Seed.A.Partner.ID},
				{"orgId": e.Seed.A.Orgs[1].ID}, {"enabled": "yes"},
			} {
				e.must(t, "bad patch", http.StatusBadRequest, "PATCH", path, adminA, bad)
			}
			e.must(t, "taken name", http.StatusConflict, "PATCH", path, adminA, map[string]any{"name": "other"})
			e.must(t, "another tenant", http.StatusNotFound, "PATCH", path, adminB, map[string]any{"name": "mine"})
			e.must(t, "unknown route", http.StatusNotFound, "PATCH", "/api/v1/notification-routes/"+domain.NewID(), adminA, map[string]any{"name": "x"})
			e.must(t, "malformed id", http.StatusNotFound, "PATCH", "/api/v1/notification-routes/nope", adminA, map[string]any{"name": "x"})
			tech := e.NewUser(t, domain.RoleOrgTechnician, e.Seed.A.OrgUnit(0), e.Seed.A.Partner.ID)
			ttok := e.Login(t, tech.Email, tech.Password)
			e.must(t, "technician", http.StatusForbidden, "PATCH", path, ttok, map[string]any{"name": "mine"})
			if r := e.must(t, "read back", http.StatusOK, "GET", path, adminA, nil); r["name"] != "pager" || r["ratePerHour"] != 0.0 {
				t.Fatalf("refused patches changed the route: %v", r)
			}

			// opening and acknowledgement through the real webhook
			cpuRule(t, e, adminA, 0)
			if err := e.Monitor.Reload(ctx); err != nil {
				t.Fatal(err)
			}
			dev, _ := e.NewDevice(t, e.Seed.A, 0, "host-a")
			heartbeats(e, dev, time.Now().UTC().Truncate(time.Second), 95, 95, 95, 95)
			a := unresolved(t, e, dev)
			eventually(t, 10*time.Second, "the opening", func() bool { _, ok, _ := recv.got(); return len(ok) == 1 })
			// the API's alerts service is not wired to notify here: the
			// monitor, which is, takes the user's acknowledgement
			admin := &domain.Principal{Kind: domain.PrincipalUser, UserID: e.Seed.A.Admin.ID, PartnerID: e.Seed.A.Partner.ID,
				Grants: []domain.Grant{{Assignment: domain.RoleAssignment{PartnerID: e.Seed.A.Partner.ID}, Permissions: domain.AllPermissions()}}}
			if _, err := e.Monitor.Acknowledge(ctx, admin, a.ID); err != nil {
				t.Fatal(err)
			}
			eventually(t, 10*time.Second, "the acknowledgement", func() bool { _, ok, _ := recv.got(); return len(ok) == 2 })
			if _, ok, _ := recv.got(); ok[1]["status"] != "acknowledged" || ok[1]["id"] != a.ID+":acknowledged" {
				t.Fatalf("acknowledgement: %v", ok[1])
			}
			// A delivery's log row is written after the receiver answered:
			// wait for both rows before reading them.
			var l map[string]any
			eventually(t, 10*time.Second, "both deliveries logged", func() bool {
				l = e.must(t, "route's log", http.StatusOK, "GET", "/api/v1/notification-deliveries?routeId="+id, adminA, nil)
				return len(l["items"].([]any)) >= 2
			})
			if items := l["items"].([]any); len(items) != 2 || items[1].(map[string]any)["transition"] != "acknowledged" ||
				items[1].(map[string]any)["reminder"] != 0.0 {
				t.Fatalf("route's log: %v", l)
			}
			e.must(t, "held filter", http.StatusOK, "GET", "/api/v1/notification-deliveries?state=held", adminA, nil)
			e.must(t, "bad route filter", http.StatusBadRequest, "GET", "/api/v1/notification-deliveries?routeId=x", adminA, nil)

			// disabled: the resolution is not sent
			e.must(t, "disable", http.StatusOK, "PATCH", path, adminA, map[string]any{"enabled": false})
			if _, err := e.Monitor.Resolve(ctx, admin, a.ID, "done"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second)
			if calls, _, _ := recv.got(); calls != 2 {
				t.Fatalf("a disabled route sent: %d calls", calls)
			}
		})
	}
}
