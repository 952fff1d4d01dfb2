package fleet_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/app/fleet"
	"github.com/breeze-rmm/breeze/core/domain"
)

// world is the apitest seed (partners A and B, two orgs and sites each)
// with devices and unresolved alerts.
type world struct {
	ts  *apitest.TestServer
	svc *fleet.Service
}

func newWorld(t *testing.T) world {
	t.Helper()
	ts := apitest.NewServer(t)
	svc, err := fleet.New(fleet.Deps{Store: ts.Store, Clock: ts.Clock})
	if err != nil {
		t.Fatal(err)
	}
	return world{ts: ts, svc: svc}
}

// device stores a device of status in site i of tn.
func (w world) device(t *testing.T, tn apitest.Tenant, i int, host string, status domain.DeviceStatus) *domain.Device {
	t.Helper()
	d := &domain.Device{SiteID: tn.Sites[i].ID, Hostname: host, OS: "linux", Arch: "amd64", Status: status}
	if err := w.ts.Store.Devices().Create(context.Background(), domain.GlobalScope(), d); err != nil {
		t.Fatal(err)
	}
	return d
}

// alert opens an alert of sev on d under a new rule of d's org.
func (w world) alert(t *testing.T, d *domain.Device, sev domain.Severity) *domain.Alert {
	t.Helper()
	ctx, all := context.Background(), domain.GlobalScope()
	r := &domain.AlertRule{OrgID: d.OrgID, Name: "rule " + domain.NewID(), Enabled: true, Severity: sev, Kind: "device_offline",
		Params: json.RawMessage(`{"minutes":5}`), ScopeKind: domain.AlertScopeOrg, ScopeIDs: []string{d.OrgID}}
	if err := w.ts.Store.AlertRules().Create(ctx, all, r); err != nil {
		t.Fatal(err)
	}
	a, _, err := w.ts.Store.Alerts().Open(ctx, &domain.Alert{RuleID: r.ID, DeviceID: d.ID, Kind: r.Kind, Severity: sev, Message: "offline"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// holder is a principal holding perms at unit.
func holder(unit domain.Unit, perms ...domain.Permission) *domain.Principal {
	return &domain.Principal{Kind: domain.PrincipalUser, UserID: domain.NewID(), PartnerID: unit.PartnerID,
		Grants: []domain.Grant{{Assignment: domain.RoleAssignment{PartnerID: unit.PartnerID, OrgID: unit.OrgID, SiteID: unit.SiteID},
			Permissions: perms}}}
}

var readers = []domain.Permission{domain.PermDevicesRead, domain.PermAlertsRead}

func TestSummaryIsScopedToTheCaller(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	a, b := w.ts.Seed.A, w.ts.Seed.B
	a1 := w.device(t, a, 0, "a1-web", domain.DeviceOnline)
	w.device(t, a, 0, "a1-db", domain.DeviceOffline)
	a2 := w.device(t, a, 1, "a2-mail", domain.DeviceOffline)
	b1 := w.device(t, b, 0, "b1-files", domain.DeviceOnline)
	w.device(t, b, 0, "b1-print", domain.DeviceOnline)
	w.device(t, b, 1, "b2-pos", domain.DevicePending)
	w.alert(t, a1, domain.SeverityCritical)
	w.alert(t, a2, domain.SeverityWarning)
	w.alert(t, b1, domain.SeverityCritical)
	w.alert(t, b1, domain.SeverityInfo)

	cases := []struct {
		name      string
		p         *domain.Principal
		devices   domain.DeviceCounts
		alerts    domain.SeverityCounts
		attention []string
	}{
		{"partner A", holder(a.PartnerUnit(), readers...), domain.DeviceCounts{Online: 1, Offline: 2},
			domain.SeverityCounts{Critical: 1, Warning: 1}, []string{"a1-web", "a2-mail"}},
		{"partner B", holder(b.PartnerUnit(), readers...), domain.DeviceCounts{Online: 2, Pending: 1},
			domain.SeverityCounts{Critical: 1, Info: 1}, []string{"b1-files"}},
		{"org A1 user", holder(a.OrgUnit(0), readers...), domain.DeviceCounts{Online: 1, Offline: 1},
			domain.SeverityCounts{Critical: 1}, []string{"a1-web"}},
		{"site A2 user", holder(a.SiteUnit(1), readers...), domain.DeviceCounts{Offline: 1},
			domain.SeverityCounts{Warning: 1}, []string{"a2-mail"}},
		{"devices but no alerts", holder(a.PartnerUnit(), domain.PermDevicesRead), domain.DeviceCounts{Online: 1, Offline: 2},
			domain.SeverityCounts{}, nil},
		{"alerts but no devices", holder(a.PartnerUnit(), domain.PermAlertsRead), domain.DeviceCounts{},
			domain.SeverityCounts{Critical: 1, Warning: 1}, nil},
		{"platform", holder(domain.Unit{}, readers...), domain.DeviceCounts{Online: 3, Offline: 2, Pending: 1},
			domain.SeverityCounts{Critical: 2, Warning: 1, Info: 1}, []string{"b1-files", "a1-web", "a2-mail"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := w.svc.Summary(ctx, c.p, fleet.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if s.Devices != c.devices || s.Alerts != c.alerts {
				t.Errorf("devices %+v alerts %+v, want %+v %+v", s.Devices, s.Alerts, c.devices, c.alerts)
			}
			var hosts []string
			for _, d := range s.Attention {
				hosts = append(hosts, d.Hostname)
			}
			if len(hosts) != len(c.attention) {
				t.Fatalf("attention %v, want %v", hosts, c.attention)
			}
			for i := range hosts {
				if hosts[i] != c.attention[i] {
					t.Fatalf("attention %v, want %v", hosts, c.attention)
				}
			}
			// one opening per visible alert, on the devices listed above
			if len(s.Activity) != c.alerts.Total() && len(c.attention) > 0 {
				t.Errorf("%d activity entries, want %d", len(s.Activity), c.alerts.Total())
			}
			for _, e := range s.Activity {
				if !slices.Contains(c.attention, e.Hostname) {
					t.Errorf("activity on %s leaked to %s", e.Hostname, c.name)
				}
			}
			if s.At.IsZero() {
				t.Error("no time on the summary")
			}
		})
	}
}

func TestSummaryFilters(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	a, b := w.ts.Seed.A, w.ts.Seed.B
	w.device(t, a, 0, "a1", domain.DeviceOnline)
	w.device(t, a, 1, "a2", domain.DeviceOffline)
	w.device(t, b, 0, "b1", domain.DeviceOnline)
	partnerA := holder(a.PartnerUnit(), readers...)
	orgA1 := holder(a.OrgUnit(0), readers...)

	s, err := w.svc.Summary(ctx, partnerA, fleet.Filter{OrgID: a.Orgs[1].ID})
	if err != nil || s.Devices != (domain.DeviceCounts{Offline: 1}) {
		t.Fatalf("partner A narrowed to org A2: %+v, %v", s, err)
	}
	s, err = w.svc.Summary(ctx, partnerA, fleet.Filter{OrgID: a.Orgs[0].ID, SiteID: a.Sites[0].ID})
	if err != nil || s.Devices != (domain.DeviceCounts{Online: 1}) {
		t.Fatalf("partner A narrowed to site A1: %+v, %v", s, err)
	}
	notFound := []struct {
		name string
		p    *domain.Principal
		f    fleet.Filter
	}{
		{"another partner's org", partnerA, fleet.Filter{OrgID: b.Orgs[0].ID}},
		{"another partner's site", partnerA, fleet.Filter{SiteID: b.Sites[0].ID}},
		{"a sibling org", orgA1, fleet.Filter{OrgID: a.Orgs[1].ID}},
		{"a site of another org", partnerA, fleet.Filter{OrgID: a.Orgs[0].ID, SiteID: a.Sites[1].ID}},
		{"an unknown org", partnerA, fleet.Filter{OrgID: domain.NewID()}},
		{"a malformed org", partnerA, fleet.Filter{OrgID: "../x"}},
		{"alerts readers only", holder(a.PartnerUnit(), domain.PermAlertsRead), fleet.Filter{OrgID: a.Orgs[0].ID}},
	}
	for _, c := range notFound {
		if _, err := w.svc.Summary(ctx, c.p, c.f); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", c.name, err)
		}
	}
	for _, f := range []fleet.Filter{{Attention: -1}, {Attention: fleet.MaxAttention + 1}, {Activity: fleet.MaxActivity + 1}} {
		if _, err := w.svc.Summary(ctx, partnerA, f); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", f, err)
		}
	}
}

func TestSummaryListSizes(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	a := w.ts.Seed.A
	for i := range fleet.DefaultAttention + 3 {
		d := w.device(t, a, 0, "host-"+string(rune('a'+i)), domain.DeviceOnline)
		w.alert(t, d, domain.SeverityWarning)
	}
	p := holder(a.PartnerUnit(), readers...)
	s, err := w.svc.Summary(ctx, p, fleet.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Attention) != fleet.DefaultAttention || len(s.Activity) != fleet.DefaultAttention+3 {
		t.Fatalf("default sizes: %d attention, %d activity", len(s.Attention), len(s.Activity))
	}
	s, err = w.svc.Summary(ctx, p, fleet.Filter{Attention: 2, Activity: 4})
	if err != nil || len(s.Attention) != 2 || len(s.Activity) != 4 {
		t.Fatalf("sizes 2 and 4: %v", err)
	}
	if s.Alerts.Total() != fleet.DefaultAttention+3 {
		t.Fatalf("counts are not cut by the list size: %+v", s.Alerts)
	}
}
