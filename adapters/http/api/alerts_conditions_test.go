package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/app/alerts"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

func TestAlertConditionsAPI(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := map[bool]string{false: "sqlite", true: "postgres"}[pg]
		t.Run(name, func(t *testing.T) { testAlertConditionsAPI(t, apitest.NewServerWith(t, apitest.Options{Postgres: pg})) })
	}
}

func testAlertConditionsAPI(t *testing.T, ts *apitest.TestServer) {
	adminA := ts.Login(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
	orgA := ts.Seed.A.Orgs[0].ID
	base := map[string]any{"orgId": orgA, "name": "r", "severity": "warning", "scopeKind": "org", "scopeIds": []string{orgA}}
	with := func(kind string, params any) map[string]any {
		r := clone(base)
		r["kind"], r["params"] = kind, params
		return r
	}
	// bad input: 400 with a clear message, nothing stored
	for _, c := range []struct {
		body any
		want string
	}{
		{with("metric_threshold", map[string]any{"metric": "iops", "threshold": 1, "durationSeconds": 60}), "unknown metric"},
		{with("metric_threshold", map[string]any{"metric": "plugin", "plugin": "no such", "pluginMetric": "m", "threshold": 1, "durationSeconds": 60}), "not a plugin id"},
		{with("metric_threshold", map[string]any{"metric": "plugin", "plugin": "acme.gpu", "pluginMetric": "temp", "threshold": 1, "durationSeconds": 60}), "not installed"},
		{with("metric_threshold", map[string]any{"metric": "cpu", "threshold": 1, "durationSeconds": 0}), "durationSeconds"},
		{`{"orgId":"` + orgA + `","name":"r","severity":"warning","scopeKind":"org","scopeIds":["` + orgA + `"],"kind":"metric_threshold","params":{"metric":"cpu","threshold":NaN,"durationSeconds":60}}`, ""},
		{with("metric_threshold", map[string]any{"metric": "cpu", "threshold": "NaN", "durationSeconds": 60}), "params"},
		{with("inventory_fact", map[string]any{"source": "fact", "plugin": "acme.gpu", "key": "k", "op": "==", "value": "x"}), "not installed"},
		{with("inventory_fact", map[string]any{"source": "software", "op": "installed"}), "name"},
		{with("plugin_failed", map[string]any{"pluginId": "acme.gpu"}), "not installed"},
		{with("command_failed", map[string]any{"action": "rm_rf"}), "unknown action"},
		{with("no_such_kind", map[string]any{}), "unknown condition kind"},
	} {
		code, body := ts.Do(t, http.MethodPost, "/api/v1/alert-rules", adminA, c.body)
		if code != http.StatusBadRequest || !strings.Contains(apitest.ErrorMessage(body), c.want) {
			t.Errorf("%v: %d %v, want 400 about %q", c.body, code, body, c.want)
		}
	}
	if p, err := ts.Store.AlertRules().List(context.Background(), domain.GlobalScope(), ports.AlertRuleFilter{}, domain.PageRequest{Limit: 10}); err != nil || len(p.Items) != 0 {
		t.Fatalf("refused rules stored: %v %v", p.Items, err)
	}
	// once the plugin is installed, its metric, fact and state are accepted
	if err := ts.Store.Plugins().Put(context.Background(), &ports.InstalledPlugin{ID: "acme.gpu", Name: "GPU", Version: "1.0.0",
		Kind: "collector", Side: "agent", Manifest: json.RawMessage(`{}`), Enabled: true}); err != nil {
		t.Fatal(err)
	}
	for i, body := range []map[string]any{
		with("metric_threshold", map[string]any{"metric": "plugin", "plugin": "acme.gpu", "pluginMetric": "temp", "threshold": 90, "durationSeconds": 60}),
		with("metric_threshold", map[string]any{"metric": "net_rx", "interface": "eth0", "threshold": 1e8, "durationSeconds": 60}),
		with("inventory_fact", map[string]any{"source": "fact", "plugin": "acme.gpu", "key": "driver", "op": "!=", "value": "550"}),
		with("plugin_failed", map[string]any{"pluginId": "acme.gpu"}),
		with("command_failed", map[string]any{"action": "run_script", "autoResolveMinutes": 60}),
	} {
		body["name"] = "rule " + string(rune('a'+i))
		if code, out := ts.Do(t, http.MethodPost, "/api/v1/alert-rules", adminA, body); code != http.StatusCreated {
			t.Errorf("%v: %d %v, want 201", body["params"], code, out)
		}
	}

	// templates
	code, tpl := ts.Do(t, http.MethodGet, "/api/v1/alert-templates", adminA, nil)
	if code != http.StatusOK || len(tpl["items"].([]any)) != len(alerts.Templates) {
		t.Fatalf("templates: %d %v", code, tpl)
	}
	if code, _ := ts.Do(t, http.MethodGet, "/api/v1/alert-templates", "", nil); code != http.StatusUnauthorized {
		t.Fatalf("templates without a token: %d, want 401", code)
	}
}

func TestAlertRulePreview(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := map[bool]string{false: "sqlite", true: "postgres"}[pg]
		t.Run(name, func(t *testing.T) { testAlertRulePreview(t, apitest.NewServerWith(t, apitest.Options{Postgres: pg})) })
	}
}

func testAlertRulePreview(t *testing.T, ts *apitest.TestServer) {
	adminA := ts.Login(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
	adminB := ts.Login(t, ts.Seed.B.Admin.Email, apitest.DefaultPassword)
	a, b := ts.Seed.A, ts.Seed.B
	d1, _ := ts.NewDevice(t, a, 0, "a0-one")
	d2, _ := ts.NewDevice(t, a, 0, "a0-two")
	d3, _ := ts.NewDevice(t, a, 1, "a1-one")
	ts.NewDevice(t, b, 0, "b0-one")
	offline := map[string]any{"minutes": 10}
	preview := func(tok string, body map[string]any) (int, map[string]any) {
		t.Helper()
		body["name"], body["severity"], body["kind"], body["params"] = "p", "warning", "device_offline", offline
		return ts.Do(t, http.MethodPost, "/api/v1/alert-rules/preview", tok, body)
	}
	hosts := func(out map[string]any) []string {
		var hs []string
		for _, d := range out["devices"].([]any) {
			hs = append(hs, d.(map[string]any)["hostname"].(string))
		}
		return hs
	}
	// partner-wide: every device of partner A, none of B
	code, out := preview(adminA, map[string]any{"scopeKind": "partner"})
	if code != http.StatusOK || out["count"] != 3.0 {
		t.Fatalf("partner-wide preview: %d %v", code, out)
	}
	// org 0, minus an exclusion
	code, out = preview(adminA, map[string]any{"orgId": a.Orgs[0].ID, "scopeKind": "org", "scopeIds": []string{a.Orgs[0].ID}, "excludeDeviceIds": []string{d2}})
	if code != http.StatusOK || out["count"] != 1.0 || strings.Join(hosts(out), ",") != "a0-one" {
		t.Fatalf("org preview with an exclusion: %d %v", code, out)
	}
	// listed devices
	code, out = preview(adminA, map[string]any{"partnerId": a.Partner.ID, "scopeKind": "devices", "scopeIds": []string{d1, d3}})
	if code != http.StatusOK || out["count"] != 2.0 {
		t.Fatalf("devices preview: %d %v", code, out)
	}
	// another tenant's org, site or device: 404 like create; B sees only B's
	for _, body := range []map[string]any{
		{"orgId": a.Orgs[0].ID, "scopeKind": "org", "scopeIds": []string{a.Orgs[0].ID}},
		{"orgId": b.Orgs[0].ID, "scopeKind": "site", "scopeIds": []string{a.Sites[0].ID}},
		{"orgId": b.Orgs[0].ID, "scopeKind": "devices", "scopeIds": []string{d1}},
		{"partnerId": a.Partner.ID, "scopeKind": "partner"},
	} {
		if code, out := preview(adminB, body); code != http.StatusNotFound {
			t.Errorf("B previews %v: %d %v, want 404", body, code, out)
		}
	}
	if code, out := preview(adminB, map[string]any{"scopeKind": "partner"}); code != http.StatusOK || out["count"] != 1.0 ||
		strings.Join(hosts(out), ",") != "b0-one" {
		t.Fatalf("B's partner-wide preview: %d %v", code, out)
	}
	// validated like create
	bad := map[string]any{"scopeKind": "partner"}
	bad["name"], bad["severity"], bad["kind"], bad["params"] = "p", "warning", "metric_threshold", map[string]any{"metric": "nope"}
	if code, out := ts.Do(t, http.MethodPost, "/api/v1/alert-rules/preview", adminA, bad); code != http.StatusBadRequest {
		t.Fatalf("bad rule previewed: %d %v", code, out)
	}
	// an org's own staff previews within the org only; a viewer may not
	orgAdmin := ts.NewUser(t, domain.RoleOrgAdmin, a.OrgUnit(1), a.Partner.ID)
	otok := ts.Login(t, orgAdmin.Email, orgAdmin.Password)
	if code, out := preview(otok, map[string]any{"orgId": a.Orgs[1].ID, "scopeKind": "org", "scopeIds": []string{a.Orgs[1].ID}}); code != http.StatusOK || out["count"] != 1.0 {
		t.Fatalf("org admin previews their org: %d %v", code, out)
	}
	if code, out := preview(otok, map[string]any{"orgId": a.Orgs[0].ID, "scopeKind": "org", "scopeIds": []string{a.Orgs[0].ID}}); code != http.StatusNotFound {
		t.Fatalf("org admin previews a sibling org: %d %v, want 404", code, out)
	}
	viewer := ts.NewUser(t, domain.RoleOrgViewer, a.OrgUnit(0), a.Partner.ID)
	if code, _ := preview(ts.Login(t, viewer.Email, viewer.Password), map[string]any{"orgId": a.Orgs[0].ID, "scopeKind": "org", "scopeIds": []string{a.Orgs[0].ID}}); code != http.StatusForbidden {
		t.Fatalf("viewer previews: %d, want 403", code)
	}
}

// A new org gets the default rules once; one an admin deleted never comes
// back, neither at a restart's seeding nor by creating more orgs.
func TestDefaultRulesSeededOnce(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := map[bool]string{false: "sqlite", true: "postgres"}[pg]
		t.Run(name, func(t *testing.T) {
			testDefaultRulesSeededOnce(t, apitest.NewServerWith(t, apitest.Options{Postgres: pg}))
		})
	}
}

func testDefaultRulesSeededOnce(t *testing.T, ts *apitest.TestServer) {
	ctx := context.Background()
	adminA := ts.Login(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
	code, org := ts.Do(t, http.MethodPost, "/api/v1/orgs", adminA, map[string]any{"name": "New Customer"})
	if code != http.StatusCreated {
		t.Fatalf("create org: %d %v", code, org)
	}
	orgID := org["id"].(string)
	rulesOf := func(orgID string) map[string]*domain.AlertRule {
		t.Helper()
		p, err := ts.Store.AlertRules().List(ctx, domain.GlobalScope(), ports.AlertRuleFilter{OrgID: orgID}, domain.PageRequest{Limit: domain.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*domain.AlertRule{}
		for _, r := range p.Items {
			if r.OrgID == orgID {
				out[r.Name] = r
			}
		}
		return out
	}
	got := rulesOf(orgID)
	if len(got) != len(alerts.Templates) {
		t.Fatalf("new org has %d rules, want the %d defaults: %v", len(got), len(alerts.Templates), got)
	}
	for _, tpl := range alerts.Templates {
		r := got[tpl.Name]
		if r == nil || !r.Enabled || r.Kind != tpl.Kind || r.Severity != tpl.Severity || r.ScopeKind != domain.AlertScopeOrg || r.ScopeIDs[0] != orgID {
			t.Fatalf("default %q: %v", tpl.Name, r)
		}
	}
	// the admin deletes one; a restart's seeding (and a second call) does
	// not bring it back
	if code, _ := ts.Do(t, http.MethodDelete, "/api/v1/alert-rules/"+got["High CPU"].ID, adminA, nil); code != http.StatusNoContent {
		t.Fatalf("delete a default: %d", code)
	}
	for range 2 {
		if _, err := ts.Alerts.SeedExisting(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if again, err := ts.Alerts.SeedOrg(ctx, orgID); err != nil || again {
		t.Fatalf("seeding the org again: %v %v, want false", again, err)
	}
	after := rulesOf(orgID)
	if len(after) != len(alerts.Templates)-1 || after["High CPU"] != nil {
		t.Fatalf("after deleting one default and seeding again: %v", after)
	}
	// the seeded tenants (made before the defaults, on the store) got them
	// at that seeding, once
	existing := rulesOf(ts.Seed.B.Orgs[1].ID)
	if len(existing) != len(alerts.Templates) {
		t.Fatalf("an existing org got %d rules at the start's seeding", len(existing))
	}
	// and the evaluator compiled them all
	if err := ts.Alerts.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if logs := ts.Logs.String(); strings.Contains(logs, "not compiled") {
		t.Fatalf("a seeded rule did not compile: %s", logs)
	}
}
