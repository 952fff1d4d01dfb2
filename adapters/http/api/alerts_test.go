package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/domain"
)

func TestAlertsAPI(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := map[bool]string{false: "sqlite", true: "postgres"}[pg]
		t.Run(name, func(t *testing.T) { testAlertsAPI(t, apitest.NewServerWith(t, apitest.Options{Postgres: pg})) })
	}
}

func testAlertsAPI(t *testing.T, ts *apitest.TestServer) {
	adminA := ts.Login(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
	adminB := ts.Login(t, ts.Seed.B.Admin.Email, apitest.DefaultPassword)
	orgA, siteA := ts.Seed.A.Orgs[0].ID, ts.Seed.A.Sites[0].ID
	devA, _ := ts.NewDevice(t, ts.Seed.A, 0, "host-a")

	rule := map[string]any{"orgId": orgA, "name": "cpu high", "severity": "critical", "kind": "metric_threshold",
		"params":    map[string]any{"metric": "cpu", "comparator": ">", "threshold": 90, "durationSeconds": 600, "clearThreshold": 80},
		"scopeKind": "site", "scopeIds": []string{siteA}, "renotifySeconds": 3600}
	// bad input: 400 with a clear message
	for _, c := range []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"metric": "gpu", "threshold": 90, "durationSeconds": 600}, "unknown metric"},
		{map[string]any{"metric": "cpu", "threshold": 90, "durationSeconds": 0}, "durationSeconds"},
	} {
		bad := clone(rule)
		bad["params"] = c.params
		code, body := ts.Do(t, http.MethodPost, "/api/v1/alert-rules", adminA, bad)
		if code != http.StatusBadRequest || !strings.Contains(apitest.ErrorMessage(body), c.want) {
			t.Fatalf("params %v: %d %v, want 400 about %q", c.params, code, body, c.want)
		}
	}
	// a scope in another tenant: 404, nothing stored
	cross := clone(rule)
	cross["scopeIds"] = []string{ts.Seed.B.Sites[0].ID}
	if code, body := ts.Do(t, http.MethodPost, "/api/v1/alert-rules", adminA, cross); code != http.StatusNotFound {
		t.Fatalf("scope in another tenant: %d %v, want 404", code, body)
	}
	code, created := ts.Do(t, http.MethodPost, "/api/v1/alert-rules", adminA, rule)
	if code != http.StatusCreated || created["params"].(map[string]any)["clearThreshold"] != 80.0 {
		t.Fatalf("create rule: %d %v", code, created)
	}
	ruleID := created["id"].(string)
	if code, _ := ts.Do(t, http.MethodGet, "/api/v1/alert-rules/"+ruleID, adminB, nil); code != http.StatusNotFound {
		t.Fatalf("another tenant reads the rule: %d, want 404", code)
	}
	upd := clone(rule)
	delete(upd, "orgId")
	upd["severity"], upd["version"] = "warning", created["version"]
	if code, body := ts.Do(t, http.MethodPatch, "/api/v1/alert-rules/"+ruleID, adminA, upd); code != http.StatusOK || body["severity"] != "warning" {
		t.Fatalf("update rule: %d %v", code, body)
	}

	// an alert as the evaluator opens it
	a, _, err := ts.Store.Alerts().Open(context.Background(), &domain.Alert{RuleID: ruleID, DeviceID: devA,
		Kind: "metric_threshold", Severity: domain.SeverityWarning, Message: "cpu 95 > 90", Value: 95})
	if err != nil {
		t.Fatal(err)
	}
	code, list := ts.Do(t, http.MethodGet, "/api/v1/alerts?state=open&deviceId="+devA, adminA, nil)
	if code != http.StatusOK || len(list["items"].([]any)) != 1 {
		t.Fatalf("list open alerts: %d %v", code, list)
	}
	if code, _ := ts.Do(t, http.MethodGet, "/api/v1/alerts?state=bogus", adminA, nil); code != http.StatusBadRequest {
		t.Fatalf("bad state filter: %d, want 400", code)
	}
	for _, q := range []string{"from=yesterday", "from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "siteId=../x"} {
		if code, _ := ts.Do(t, http.MethodGet, "/api/v1/alerts?"+q, adminA, nil); code != http.StatusBadRequest {
			t.Fatalf("bad filter %s: %d, want 400", q, code)
		}
	}
	if code, list := ts.Do(t, http.MethodGet, "/api/v1/alerts?deviceId="+devA+"&to=2000-01-01T00:00:00Z", adminA, nil); code != http.StatusOK || len(list["items"].([]any)) != 0 {
		t.Fatalf("alerts opened before 2000: %d %v", code, list)
	}
	if code, list := ts.Do(t, http.MethodGet, "/api/v1/alerts", adminB, nil); code != http.StatusOK || len(list["items"].([]any)) != 0 {
		t.Fatalf("another tenant lists alerts: %d %v", code, list)
	}
	if code, _ := ts.Do(t, http.MethodPost, "/api/v1/alerts/"+a.ID+"/acknowledge", adminB, nil); code != http.StatusNotFound {
		t.Fatalf("another tenant acknowledges: %d, want 404", code)
	}
	// a viewer reads but may not act: 403
	viewer := ts.NewUser(t, domain.RoleOrgViewer, ts.Seed.A.OrgUnit(0), ts.Seed.A.Partner.ID)
	vtok := ts.Login(t, viewer.Email, viewer.Password)
	if code, _ := ts.Do(t, http.MethodGet, "/api/v1/alerts/"+a.ID, vtok, nil); code != http.StatusOK {
		t.Fatalf("viewer reads: %d", code)
	}
	if code, _ := ts.Do(t, http.MethodPost, "/api/v1/alerts/"+a.ID+"/acknowledge", vtok, nil); code != http.StatusForbidden {
		t.Fatalf("viewer acknowledges: %d, want 403", code)
	}
	// a technician acts on alerts but does not decide what is monitored:
	// rule writes need alerts:write (admins), not alerts:acknowledge
	tech := ts.NewUser(t, domain.RoleOrgTechnician, ts.Seed.A.OrgUnit(0), ts.Seed.A.Partner.ID)
	ttok := ts.Login(t, tech.Email, tech.Password)
	if code, _ := ts.Do(t, http.MethodPost, "/api/v1/alert-rules", ttok, rule); code != http.StatusForbidden {
		t.Fatalf("technician creates a rule: %d, want 403", code)
	}
	if code, _ := ts.Do(t, http.MethodDelete, "/api/v1/alert-rules/"+ruleID, ttok, nil); code != http.StatusForbidden {
		t.Fatalf("technician deletes a rule: %d, want 403", code)
	}
	if code, body := ts.Do(t, http.MethodPost, "/api/v1/alerts/"+a.ID+"/acknowledge", adminA, nil); code != http.StatusOK || body["state"] != "acknowledged" {
		t.Fatalf("acknowledge: %d %v", code, body)
	}
	if code, _ := ts.Do(t, http.MethodPost, "/api/v1/alerts/"+a.ID+"/acknowledge", adminA, nil); code != http.StatusConflict {
		t.Fatalf("acknowledge twice: %d, want 409", code)
	}
	code, res := ts.Do(t, http.MethodPost, "/api/v1/alerts/"+a.ID+"/resolve", adminA, map[string]any{"note": "fixed the cron job"})
	if code != http.StatusOK || res["state"] != "resolved" || res["note"] != "fixed the cron job" {
		t.Fatalf("resolve: %d %v", code, res)
	}
	hist := res["history"].([]any)
	if len(hist) != 3 || hist[2].(map[string]any)["actor"] != ts.Seed.A.Admin.ID {
		t.Fatalf("history: %v", hist)
	}
	if code, _ := ts.Do(t, http.MethodDelete, "/api/v1/alert-rules/"+ruleID, adminB, nil); code != http.StatusNotFound {
		t.Fatalf("another tenant deletes the rule: %d, want 404", code)
	}
	if code, _ := ts.Do(t, http.MethodDelete, "/api/v1/alert-rules/"+ruleID, adminA, nil); code != http.StatusNoContent {
		t.Fatalf("delete rule: %d", code)
	}
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
