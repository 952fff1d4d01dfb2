package fleetapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/adapters/http/fleetapi"
	"github.com/breeze-rmm/breeze/core/app/fleet"
	"github.com/breeze-rmm/breeze/core/domain"
)

var profiles = []struct {
	name string
	pg   bool
}{{"sqlite", false}, {"postgres", true}}

// newServer is the apitest server (partners A and B, two orgs each) with
// the fleet route mounted.
func newServer(t *testing.T, pg bool) *apitest.TestServer {
	t.Helper()
	ts := apitest.NewServerWith(t, apitest.Options{Postgres: pg})
	svc, err := fleet.New(fleet.Deps{Store: ts.Store, Clock: ts.Clock})
	if err != nil {
		t.Fatal(err)
	}
	fleetapi.Register(ts.Server, fleetapi.Deps{Fleet: svc})
	if err := ts.VerifyRoutes(); err != nil {
		t.Fatal(err)
	}
	return ts
}

func device(t *testing.T, ts *apitest.TestServer, tn apitest.Tenant, i int, host string, status domain.DeviceStatus) *domain.Device {
	t.Helper()
	d := &domain.Device{SiteID: tn.Sites[i].ID, Hostname: host, OS: "linux", Arch: "amd64", Status: status}
	if err := ts.Store.Devices().Create(context.Background(), domain.GlobalScope(), d); err != nil {
		t.Fatal(err)
	}
	return d
}

func alert(t *testing.T, ts *apitest.TestServer, d *domain.Device, sev domain.Severity) {
	t.Helper()
	ctx, all := context.Background(), domain.GlobalScope()
	r := &domain.AlertRule{OrgID: d.OrgID, Name: "rule " + domain.NewID(), Enabled: true, Severity: sev, Kind: "device_offline",
		Params: json.RawMessage(`{"minutes":5}`), ScopeKind: domain.AlertScopeOrg, ScopeIDs: []string{d.OrgID}}
	if err := ts.Store.AlertRules().Create(ctx, all, r); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ts.Store.Alerts().Open(ctx, &domain.Alert{RuleID: r.ID, DeviceID: d.ID, Kind: r.Kind, Severity: sev,
		Message: "offline"}); err != nil {
		t.Fatal(err)
	}
}

func summary(t *testing.T, ts *apitest.TestServer, tok, query string) fleetapi.Summary {
	t.Helper()
	rec := ts.Request(t, http.MethodGet, "/api/v1/fleet/summary"+query, tok, nil, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET summary%s: %d %s", query, rec.Code, rec.Body.String())
	}
	var s fleetapi.Summary
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// Two tenants, each seeing only its own figures; an org user of A never
// sees B's or A's other org, and naming them is 404.
func TestSummaryTenancy(t *testing.T) {
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			ts := newServer(t, p.pg)
			a, b := ts.Seed.A, ts.Seed.B
			a1 := device(t, ts, a, 0, "a1-web", domain.DeviceOnline)
			device(t, ts, a, 0, "a1-db", domain.DeviceOffline)
			a2 := device(t, ts, a, 1, "a2-mail", domain.DeviceOffline)
			b1 := device(t, ts, b, 0, "b1-files", domain.DeviceOnline)
			device(t, ts, b, 1, "b2-pos", domain.DeviceOnline)
			device(t, ts, b, 1, "b2-kiosk", domain.DevicePending)
			alert(t, ts, a1, domain.SeverityCritical)
			alert(t, ts, a2, domain.SeverityWarning)
			alert(t, ts, b1, domain.SeverityCritical)
			alert(t, ts, b1, domain.SeverityInfo)

			adminA := ts.Login(t, a.Admin.Email, apitest.DefaultPassword)
			adminB := ts.Login(t, b.Admin.Email, apitest.DefaultPassword)
			orgUser := ts.NewUser(t, domain.RoleOrgViewer, a.OrgUnit(0), "")
			viewerA1 := ts.Login(t, orgUser.Email, apitest.DefaultPassword)

			s := summary(t, ts, adminA, "")
			if s.Devices != (fleetapi.DeviceCounts{Online: 1, Offline: 2, Total: 3}) ||
				s.Alerts != (fleetapi.AlertCounts{Critical: 1, Warning: 1, Total: 2}) {
				t.Errorf("partner A: %+v %+v", s.Devices, s.Alerts)
			}
			if len(s.Attention) != 2 || s.Attention[0].Hostname != "a1-web" || s.Attention[0].WorstSeverity != "critical" ||
				s.Attention[0].OrgName != a.Orgs[0].Name || s.Attention[0].SiteName != a.Sites[0].Name || s.Attention[0].OpenAlerts != 1 ||
				s.Attention[1].Hostname != "a2-mail" {
				t.Errorf("partner A attention: %+v", s.Attention)
			}
			if len(s.Activity) != 2 || s.Activity[0].To != "open" || s.Activity[0].Actor != domain.AlertActorSystem {
				t.Errorf("partner A activity: %+v", s.Activity)
			}

			s = summary(t, ts, adminB, "")
			if s.Devices != (fleetapi.DeviceCounts{Online: 2, Pending: 1, Total: 3}) ||
				s.Alerts != (fleetapi.AlertCounts{Critical: 1, Info: 1, Total: 2}) || len(s.Attention) != 1 ||
				s.Attention[0].Hostname != "b1-files" || s.Attention[0].OpenAlerts != 2 {
				t.Errorf("partner B: %+v %+v %+v", s.Devices, s.Alerts, s.Attention)
			}

			s = summary(t, ts, viewerA1, "")
			if s.Devices != (fleetapi.DeviceCounts{Online: 1, Offline: 1, Total: 2}) ||
				s.Alerts != (fleetapi.AlertCounts{Critical: 1, Total: 1}) || len(s.Attention) != 1 || len(s.Activity) != 1 ||
				s.Activity[0].Hostname != "a1-web" {
				t.Errorf("org A1 viewer: %+v %+v %+v %+v", s.Devices, s.Alerts, s.Attention, s.Activity)
			}
			if got := summary(t, ts, viewerA1, "?orgId="+a.Orgs[0].ID); got.Devices.Total != 2 {
				t.Errorf("org A1 viewer on its own org: %+v", got.Devices)
			}
			if got := summary(t, ts, adminA, "?orgId="+a.Orgs[1].ID+"&attention=1&activity=1"); got.Devices.Total != 1 ||
				len(got.Attention) != 1 || got.Attention[0].Hostname != "a2-mail" {
				t.Errorf("partner A narrowed to org A2: %+v %+v", got.Devices, got.Attention)
			}
			if got := summary(t, ts, adminA, "?siteId="+a.Sites[0].ID); got.Devices.Total != 2 {
				t.Errorf("partner A narrowed to site A1: %+v", got.Devices)
			}

			for _, c := range []struct {
				tok, query string
			}{
				{viewerA1, "?orgId=" + b.Orgs[0].ID},
				{viewerA1, "?orgId=" + a.Orgs[1].ID},
				{viewerA1, "?siteId=" + a.Sites[1].ID},
				{adminA, "?orgId=" + b.Orgs[0].ID},
				{adminA, "?siteId=" + b.Sites[1].ID},
				{adminA, "?orgId=" + a.Orgs[0].ID + "&siteId=" + a.Sites[1].ID},
				{adminB, "?orgId=" + a.Orgs[0].ID},
				{adminA, "?orgId=" + domain.NewID()},
			} {
				rec := ts.Request(t, http.MethodGet, "/api/v1/fleet/summary"+c.query, c.tok, nil, nil)
				if rec.Code != http.StatusNotFound {
					t.Errorf("%s: %d %s, want 404", c.query, rec.Code, rec.Body.String())
				}
			}
		})
	}
}

func TestSummaryRefusesBadRequests(t *testing.T) {
	ts := newServer(t, false)
	admin := ts.Login(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
	for _, q := range []string{"?orgid=x", "?orgId=nope", "?siteId=" + ts.Seed.A.Sites[0].ID + "&siteId=" + ts.Seed.A.Sites[0].ID,
		"?attention=0", "?attention=51", "?activity=x", "?activity=101", "?attention=-1", "?%zz"} {
		rec := ts.Request(t, http.MethodGet, "/api/v1/fleet/summary"+q, admin, nil, nil)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", q, rec.Code, rec.Body.String())
		}
	}
	if rec := ts.Request(t, http.MethodGet, "/api/v1/fleet/summary", "", nil, nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("no credential: %d", rec.Code)
	}
	nobody := ts.NewUser(t, "", ts.Seed.A.PartnerUnit(), "")
	tok := ts.Login(t, nobody.Email, apitest.DefaultPassword)
	if rec := ts.Request(t, http.MethodGet, "/api/v1/fleet/summary", tok, nil, nil); rec.Code != http.StatusForbidden {
		t.Errorf("a user without devices:read: %d", rec.Code)
	}
	s := summary(t, ts, admin, "")
	if s.Attention == nil || s.Activity == nil {
		t.Errorf("empty lists must be [] not null: %+v", s)
	}
}

func TestSummaryIsDocumented(t *testing.T) {
	ts := newServer(t, false)
	rec := ts.Request(t, http.MethodGet, "/api/v1/openapi.json", "", nil, nil)
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Permission  string `json:"x-breeze-permission"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	op := doc.Paths["/api/v1/fleet/summary"]["get"]
	if op.OperationID != "fleet.summary" || op.Permission != "devices:read" {
		t.Fatalf("openapi.json documents the summary as %+v", op)
	}
}
