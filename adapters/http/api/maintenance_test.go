package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/domain"
)

func TestMaintenanceAPI(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := map[bool]string{false: "sqlite", true: "postgres"}[pg]
		t.Run(name, func(t *testing.T) { testMaintenanceAPI(t, apitest.NewServerWith(t, apitest.Options{Postgres: pg})) })
	}
}

// lastAudit returns the newest audit row, checking exactly one was added
// since the count n.
func lastAudit(t *testing.T, ts *apitest.TestServer, n *int) *domain.AuditEntry {
	t.Helper()
	all := ts.AuditRows(t)
	if len(all) != *n+1 {
		t.Fatalf("%d audit rows written, want 1", len(all)-*n)
	}
	*n = len(all)
	return all[0]
}

func testMaintenanceAPI(t *testing.T, ts *apitest.TestServer) {
	adminA := ts.Login(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
	adminB := ts.Login(t, ts.Seed.B.Admin.Email, apitest.DefaultPassword)
	orgA, siteA := ts.Seed.A.Orgs[0].ID, ts.Seed.A.Sites[0].ID
	const path = "/api/v1/maintenance-windows"

	win := map[string]any{"orgId": orgA, "name": "patch night", "scopeKind": "site", "scopeIds": []string{siteA},
		"timeZone": "Europe/Berlin", "kind": "weekly", "days": []string{"tue", "sat"}, "at": "22:00", "durationMinutes": 240}
	// bad input: 400 with a clear message, nothing stored
	for _, c := range []struct {
		change map[string]any
		want   string
	}{
		{map[string]any{"timeZone": "Mars/Olympus_Mons"}, "IANA"},
		{map[string]any{"timeZone": "../../../etc/passwd"}, "IANA"},
		{map[string]any{"durationMinutes": -30}, "durationMinutes"},
		{map[string]any{"days": []string{"tue", "funday"}}, "days"},
		{map[string]any{"at": "25:00"}, "HH:MM"},
		{map[string]any{"kind": "monthly"}, "kind"},
		{map[string]any{"kind": "once", "days": nil, "at": "", "durationMinutes": 0,
			"startsAt": "2026-05-02T02:00", "endsAt": "2026-05-01T22:00"}, "endsAt must be after startsAt"},
		{map[string]any{"version": 3}, "version"},
		{map[string]any{"scopeIds": []string{}}, "scopeIds"},
		{map[string]any{"name": ""}, "name"},
	} {
		bad := clone(win)
		for k, v := range c.change {
			bad[k] = v
		}
		code, body := ts.Do(t, http.MethodPost, path, adminA, bad)
		if code != http.StatusBadRequest || !strings.Contains(apitest.ErrorMessage(body), c.want) {
			t.Fatalf("%v: %d %v, want 400 about %q", c.change, code, body, c.want)
		}
	}
	// a scope in another tenant: 404
	cross := clone(win)
	cross["scopeIds"] = []string{ts.Seed.B.Sites[0].ID}
	if code, body := ts.Do(t, http.MethodPost, path, adminA, cross); code != http.StatusNotFound {
		t.Fatalf("scope in another tenant: %d %v, want 404", code, body)
	}
	cross = clone(win)
	cross["orgId"] = ts.Seed.B.Orgs[0].ID
	if code, body := ts.Do(t, http.MethodPost, path, adminA, cross); code != http.StatusNotFound {
		t.Fatalf("owner in another tenant: %d %v, want 404", code, body)
	}
	if code, list := ts.Do(t, http.MethodGet, path, adminA, nil); code != http.StatusOK || len(list["items"].([]any)) != 0 {
		t.Fatalf("refused creates stored something: %d %v", code, list)
	}

	rows := len(ts.AuditRows(t))
	code, created := ts.Do(t, http.MethodPost, path, adminA, win)
	if code != http.StatusCreated || created["timeZone"] != "Europe/Berlin" || created["kind"] != "weekly" ||
		created["at"] != "22:00" || created["durationMinutes"] != 240.0 || created["nextStartsAt"] == nil {
		t.Fatalf("create window: %d %v", code, created)
	}
	id := created["id"].(string)
	if r := lastAudit(t, ts, &rows); r.Action != "maintenance-windows.create" || r.ResourceType != "maintenance_window" ||
		r.ResourceID != id || r.OrgID != orgA || r.Outcome != domain.OutcomeSuccess {
		t.Fatalf("create audit row: %+v", r)
	}
	if code, body := ts.Do(t, http.MethodGet, path+"/"+id, adminA, nil); code != http.StatusOK || body["name"] != "patch night" {
		t.Fatalf("get: %d %v", code, body)
	}
	// another tenant: 404 on every id route, an empty list
	for _, m := range []string{http.MethodGet, http.MethodPatch, http.MethodDelete} {
		upd := clone(win)
		delete(upd, "orgId")
		upd["version"] = 1
		if code, _ := ts.Do(t, m, path+"/"+id, adminB, upd); code != http.StatusNotFound {
			t.Fatalf("another tenant %s: %d, want 404", m, code)
		}
	}
	if code, list := ts.Do(t, http.MethodGet, path, adminB, nil); code != http.StatusOK || len(list["items"].([]any)) != 0 {
		t.Fatalf("another tenant lists: %d %v", code, list)
	}
	// a viewer reads; a technician (alerts:acknowledge) may not write
	viewer := ts.NewUser(t, domain.RoleOrgViewer, ts.Seed.A.OrgUnit(0), ts.Seed.A.Partner.ID)
	vtok := ts.Login(t, viewer.Email, viewer.Password)
	if code, list := ts.Do(t, http.MethodGet, path+"?orgId="+orgA, vtok, nil); code != http.StatusOK || len(list["items"].([]any)) != 1 {
		t.Fatalf("viewer lists: %d %v", code, list)
	}
	tech := ts.NewUser(t, domain.RoleOrgTechnician, ts.Seed.A.OrgUnit(0), ts.Seed.A.Partner.ID)
	ttok := ts.Login(t, tech.Email, tech.Password)
	other := clone(win)
	other["name"] = "tech window"
	if code, _ := ts.Do(t, http.MethodPost, path, ttok, other); code != http.StatusForbidden {
		t.Fatalf("technician creates: %d, want 403", code)
	}
	if code, _ := ts.Do(t, http.MethodDelete, path+"/"+id, ttok, nil); code != http.StatusForbidden {
		t.Fatalf("technician deletes: %d, want 403", code)
	}
	// PATCH replaces the settings at a version
	upd := clone(win)
	delete(upd, "orgId")
	upd["days"], upd["version"] = []string{"sun"}, created["version"]
	rows = len(ts.AuditRows(t))
	if code, body := ts.Do(t, http.MethodPatch, path+"/"+id, adminA, upd); code != http.StatusOK || body["version"] != 2.0 ||
		len(body["days"].([]any)) != 1 || body["days"].([]any)[0] != "sun" {
		t.Fatalf("update: %d %v", code, body)
	}
	if r := lastAudit(t, ts, &rows); r.Action != "maintenance-windows.update" || r.ResourceID != id {
		t.Fatalf("update audit row: %+v", r)
	}
	if code, _ := ts.Do(t, http.MethodPatch, path+"/"+id, adminA, upd); code != http.StatusConflict {
		t.Fatalf("stale update: %d, want 409", code)
	}
	upd["orgId"] = orgA
	if code, _ := ts.Do(t, http.MethodPatch, path+"/"+id, adminA, upd); code != http.StatusBadRequest {
		t.Fatalf("owner change: %d, want 400", code)
	}
	delete(upd, "orgId")
	upd["version"], upd["timeZone"] = 2, "Nowhere/Land"
	if code, _ := ts.Do(t, http.MethodPatch, path+"/"+id, adminA, upd); code != http.StatusBadRequest {
		t.Fatalf("bad zone on update: %d, want 400", code)
	}
	rows = len(ts.AuditRows(t))
	if code, _ := ts.Do(t, http.MethodDelete, path+"/"+id, adminA, nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
	if r := lastAudit(t, ts, &rows); r.Action != "maintenance-windows.delete" || r.ResourceID != id {
		t.Fatalf("delete audit row: %+v", r)
	}
	if code, _ := ts.Do(t, http.MethodGet, path+"/"+id, adminA, nil); code != http.StatusNotFound {
		t.Fatalf("get deleted: %d", code)
	}
}

func TestAlertsInMaintenanceAndSnooze(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := map[bool]string{false: "sqlite", true: "postgres"}[pg]
		t.Run(name, func(t *testing.T) {
			testAlertsInMaintenanceAndSnooze(t, apitest.NewServerWith(t, apitest.Options{Postgres: pg}))
		})
	}
}

func testAlertsInMaintenanceAndSnooze(t *testing.T, ts *apitest.TestServer) {
	ctx := context.Background()
	adminA := ts.Login(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
	adminB := ts.Login(t, ts.Seed.B.Admin.Email, apitest.DefaultPassword)
	orgA := ts.Seed.A.Orgs[0].ID
	devA, _ := ts.NewDevice(t, ts.Seed.A, 0, "in-window")
	devB, _ := ts.NewDevice(t, ts.Seed.A, 0, "outside")
	rule := &domain.AlertRule{PartnerID: ts.Seed.A.Partner.ID, OrgID: orgA, Name: "cpu", Enabled: true,
		Severity: domain.SeverityWarning, Kind: "device_offline", Params: []byte(`{"minutes":10}`),
		ScopeKind: domain.AlertScopeOrg, ScopeIDs: []string{orgA}}
	if err := ts.Store.AlertRules().Create(ctx, domain.GlobalScope(), rule); err != nil {
		t.Fatal(err)
	}
	open := func(dev string) string {
		a, _, err := ts.Store.Alerts().Open(ctx, &domain.Alert{RuleID: rule.ID, DeviceID: dev, Kind: "device_offline",
			Severity: domain.SeverityWarning, Message: "offline"})
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	inID, outID := open(devA), open(devB)

	// a one-off window over devA, under way now (in UTC wall time)
	now := ts.Clock.Now().UTC()
	end := now.Add(2 * time.Hour).Truncate(time.Minute)
	code, w := ts.Do(t, http.MethodPost, "/api/v1/maintenance-windows", adminA, map[string]any{"orgId": orgA, "name": "swap disks",
		"scopeKind": "devices", "scopeIds": []string{devA}, "timeZone": "UTC", "kind": "once",
		"startsAt": now.Add(-time.Hour).Format("2006-01-02T15:04"), "endsAt": end.Format("2006-01-02T15:04")})
	if code != http.StatusCreated || w["active"] != true {
		t.Fatalf("create window: %d %v", code, w)
	}
	code, a := ts.Do(t, http.MethodGet, "/api/v1/alerts/"+inID, adminA, nil)
	if code != http.StatusOK || a["inMaintenance"] != true || a["maintenanceUntil"] != end.Format(time.RFC3339) {
		t.Fatalf("alert of a device in maintenance: %d %v", code, a)
	}
	if _, a := ts.Do(t, http.MethodGet, "/api/v1/alerts/"+outID, adminA, nil); a["inMaintenance"] != false || a["maintenanceUntil"] != nil {
		t.Fatalf("alert of a device outside the window: %v", a)
	}
	_, list := ts.Do(t, http.MethodGet, "/api/v1/alerts?orgId="+orgA, adminA, nil)
	seen := map[string]bool{}
	for _, it := range list["items"].([]any) {
		m := it.(map[string]any)
		seen[m["id"].(string)] = m["inMaintenance"].(bool)
	}
	if !seen[inID] || seen[outID] || len(seen) != 2 {
		t.Fatalf("list: in maintenance %v", seen)
	}
	// after the window: no longer
	ts.Clock.Advance(3 * time.Hour)
	adminA = ts.Login(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword) // the access token expired meanwhile
	adminB = ts.Login(t, ts.Seed.B.Admin.Email, apitest.DefaultPassword)
	if _, a := ts.Do(t, http.MethodGet, "/api/v1/alerts/"+inID, adminA, nil); a["inMaintenance"] != false {
		t.Fatalf("alert after the window: %v", a)
	}

	// snooze
	snooze := "/api/v1/alerts/" + outID + "/snooze"
	until := ts.Clock.Now().Add(4 * time.Hour).UTC().Truncate(time.Second)
	for _, c := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{}, "until"},
		{map[string]any{"until": ts.Clock.Now().Add(-time.Minute).Format(time.RFC3339)}, "future"},
		{map[string]any{"until": ts.Clock.Now().Add(31 * 24 * time.Hour).Format(time.RFC3339)}, "30 days"},
		{map[string]any{"until": "tomorrow"}, ""},
		{map[string]any{"until": until.Format(time.RFC3339), "note": strings.Repeat("x", 4001)}, "note"},
	} {
		if code, body := ts.Do(t, http.MethodPost, snooze, adminA, c.body); code != http.StatusBadRequest ||
			!strings.Contains(apitest.ErrorMessage(body), c.want) {
			t.Fatalf("snooze %v: %d %v, want 400 about %q", c.body, code, body, c.want)
		}
	}
	body := map[string]any{"until": until.Format(time.RFC3339), "note": "vendor is on it"}
	if code, _ := ts.Do(t, http.MethodPost, snooze, adminB, body); code != http.StatusNotFound {
		t.Fatalf("another tenant snoozes: %d, want 404", code)
	}
	viewer := ts.NewUser(t, domain.RoleOrgViewer, ts.Seed.A.OrgUnit(0), ts.Seed.A.Partner.ID)
	if code, _ := ts.Do(t, http.MethodPost, snooze, ts.Login(t, viewer.Email, viewer.Password), body); code != http.StatusForbidden {
		t.Fatalf("viewer snoozes: %d, want 403", code)
	}
	tech := ts.NewUser(t, domain.RoleOrgTechnician, ts.Seed.A.OrgUnit(0), ts.Seed.A.Partner.ID)
	ttok := ts.Login(t, tech.Email, tech.Password)
	rows := len(ts.AuditRows(t))
	code, s := ts.Do(t, http.MethodPost, snooze, ttok, body)
	if code != http.StatusOK || s["snoozedUntil"] != until.Format(time.RFC3339) || s["state"] != "open" {
		t.Fatalf("snooze: %d %v", code, s)
	}
	if r := lastAudit(t, ts, &rows); r.Action != "alerts.snooze" || r.ResourceType != "alert" || r.ResourceID != outID ||
		r.ActorID != tech.ID || r.Outcome != domain.OutcomeSuccess {
		t.Fatalf("snooze audit row: %+v", r)
	}
	hist := s["history"].([]any)
	last := hist[len(hist)-1].(map[string]any)
	if last["action"] != "snoozed" || last["actor"] != tech.ID || last["until"] != until.Format(time.RFC3339) ||
		last["note"] != "vendor is on it" || last["from"] != "open" || last["to"] != "open" {
		t.Fatalf("snooze history entry: %v", last)
	}
	if code, _ := ts.Do(t, http.MethodDelete, "/api/v1/alerts/"+outID+"/snooze", adminB, nil); code != http.StatusNotFound {
		t.Fatalf("another tenant unsnoozes: %d, want 404", code)
	}
	rows = len(ts.AuditRows(t))
	code, u := ts.Do(t, http.MethodDelete, "/api/v1/alerts/"+outID+"/snooze", ttok, nil)
	if code != http.StatusOK || u["snoozedUntil"] != nil {
		t.Fatalf("unsnooze: %d %v", code, u)
	}
	hist = u["history"].([]any)
	if last := hist[len(hist)-1].(map[string]any); last["action"] != "unsnoozed" || last["actor"] != tech.ID {
		t.Fatalf("unsnooze history entry: %v", last)
	}
	if r := lastAudit(t, ts, &rows); r.Action != "alerts.unsnooze" || r.ResourceID != outID {
		t.Fatalf("unsnooze audit row: %+v", r)
	}
	if code, _ := ts.Do(t, http.MethodDelete, "/api/v1/alerts/"+outID+"/snooze", ttok, nil); code != http.StatusConflict {
		t.Fatalf("unsnooze an alert not snoozed: %d, want 409", code)
	}
	// a resolved alert is not snoozed: 409
	if code, _ := ts.Do(t, http.MethodPost, "/api/v1/alerts/"+outID+"/resolve", adminA, map[string]any{"note": "done"}); code != http.StatusOK {
		t.Fatalf("resolve: %d", code)
	}
	if code, _ := ts.Do(t, http.MethodPost, snooze, adminA, body); code != http.StatusConflict {
		t.Fatalf("snooze a resolved alert: %d, want 409", code)
	}
}
