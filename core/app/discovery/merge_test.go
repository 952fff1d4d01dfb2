package discovery_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/app/discovery"
	"github.com/breeze-rmm/breeze/core/domain"
)

// bothStores runs fn on a SQLite and a PostgreSQL test server.
func bothStores(t *testing.T, fn func(t *testing.T, ts *apitest.TestServer)) {
	for _, pg := range []bool{false, true} {
		name := "sqlite"
		if pg {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) { fn(t, apitest.NewServerWith(t, apitest.Options{Postgres: pg})) })
	}
}

func adminOf(tn apitest.Tenant) *domain.Principal {
	return &domain.Principal{Kind: domain.PrincipalUser, UserID: tn.Admin.ID, PartnerID: tn.Partner.ID,
		Grants: []domain.Grant{{Assignment: domain.RoleAssignment{PartnerID: tn.Partner.ID}, Permissions: domain.AllPermissions()}}}
}

func refOf(tn apitest.Tenant, job, profileID string, at time.Time) domain.ScanRef {
	return domain.ScanRef{JobID: job, PartnerID: tn.Partner.ID, OrgID: tn.Orgs[0].ID, SiteID: tn.Sites[0].ID,
		ProfileID: profileID, At: at}
}

func mustDo(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// assetAt reads the asset of ip in tenant tn's site 0.
func assetAt(t *testing.T, ts *apitest.TestServer, tn apitest.Tenant, ip string) *domain.Asset {
	t.Helper()
	list, err := ts.Store.DiscoveryAssets().BySiteIPs(context.Background(), tn.Sites[0].ID, []string{ip})
	mustDo(t, "read asset", err)
	if len(list) != 1 {
		t.Fatalf("asset %s: %d rows", ip, len(list))
	}
	return list[0]
}

func kinds(t *testing.T, ts *apitest.TestServer, assetID string) []string {
	t.Helper()
	pg, err := ts.Store.DiscoveryAssets().ListEvents(context.Background(), assetID, domain.PageRequest{Limit: 100})
	mustDo(t, "events", err)
	var out []string
	for i := len(pg.Items) - 1; i >= 0; i-- { // oldest first
		out = append(out, string(pg.Items[i].Kind))
	}
	return out
}

func wantKinds(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s: events %v, want %v", what, got, want)
	}
}

func newProfile(t *testing.T, ts *apitest.TestServer, p *domain.Principal, siteID, scanner string, methods []domain.DiscoveryMethod) *domain.DiscoveryProfile {
	t.Helper()
	name, targets, scanners := "lan", []string{"10.0.0.0/24"}, []string{scanner}
	prof, err := ts.Discovery.CreateProfile(context.Background(), p, discovery.ProfileInput{SiteID: siteID, Name: &name,
		Targets: &targets, ScannerDeviceIDs: &scanners, Methods: &methods})
	mustDo(t, "create profile", err)
	return prof
}

func TestMergeAndFinish(t *testing.T) {
	bothStores(t, func(t *testing.T, ts *apitest.TestServer) {
		ctx := context.Background()
		a := ts.Seed.A
		scanner, _ := ts.NewDevice(t, a, 0, "scanner")
		managed, _ := ts.NewDevice(t, a, 0, "managed")
		mustDo(t, "inventory", ts.Store.Inventory().Put(ctx, &domain.DeviceInventory{DeviceID: managed, UpdatedAt: time.Now().UTC(),
			Document: `{"full":true,"interfaces":[{"name":"eth0","mac":"52:54:00:12:34:56","addresses":["10.0.0.5/24"]}]}`}))
		prof := newProfile(t, ts, adminOf(a), a.Sites[0].ID, scanner, []domain.DiscoveryMethod{domain.MethodICMP, domain.MethodTCP})
		sub, err := ts.Remote.Bus.Subscribe(ctx, discovery.Topic)
		mustDo(t, "subscribe", err)
		defer sub.Close()

		hostile := `<img src=x onerror=alert(1)>`
		t0 := ts.Clock.Now()
		ref := refOf(a, "job-1", prof.ID, t0)
		sweep := []domain.AssetObservation{
			{IP: "10.0.0.5", MAC: "52:54:00:12:34:56", Alive: true, Method: domain.MethodICMP},
			{IP: "10.0.0.6", MAC: "00:1B:63:AA:BB:CC", Hostname: hostile, Alive: true, Method: domain.MethodRDNS,
				Attributes: map[string]string{"snmp.sysDescr": `"><script>alert(1)</script>`, "rttMs": "0.4"}},
			{IP: "10.0.0.7", Alive: true, Method: domain.MethodICMP},
			{IP: "not-an-ip", Alive: true},
		}
		mustDo(t, "merge sweep", ts.Discovery.Merge(ctx, ref, sweep))
		mustDo(t, "merge the same page again", ts.Discovery.Merge(ctx, ref, sweep))
		probe := []domain.AssetObservation{
			{IP: "10.0.0.6", Alive: true, OpenPorts: []int{80, 22}, Method: domain.MethodTCP},
			{IP: "10.0.0.7", Alive: true, OpenPorts: []int{443}, Method: domain.MethodTCP},
		}
		mustDo(t, "merge probe", ts.Discovery.Merge(ctx, ref, probe))
		mustDo(t, "merge probe again", ts.Discovery.Merge(ctx, ref, probe))
		mustDo(t, "finish", ts.Discovery.Finish(ctx, ref, []string{"10.0.0.0/24"}, true))

		a5, a6, a7 := assetAt(t, ts, a, "10.0.0.5"), assetAt(t, ts, a, "10.0.0.6"), assetAt(t, ts, a, "10.0.0.7")
		if a5.State != domain.AssetManaged || a5.DeviceID != managed || !a5.New() {
			t.Fatalf("10.0.0.5 not matched to its device: %+v", a5)
		}
		if a6.State != domain.AssetCandidate || a6.MAC != "00:1b:63:aa:bb:cc" || a6.Vendor != "Apple, Inc." ||
			!slices.Equal(a6.Hostnames, []string{hostile}) || a6.Attributes["snmp.sysDescr"] != `"><script>alert(1)</script>` ||
			len(a6.OpenPorts) != 2 || a6.OpenPorts[0] != (domain.AssetPort{Port: 22, Service: "ssh"}) ||
			a6.OpenPorts[1] != (domain.AssetPort{Port: 80, Service: "http"}) || !slices.Equal(a6.SeenByJobs, []string{"job-1"}) ||
			!slices.Equal(a6.ProfileIDs, []string{prof.ID}) || !a6.FirstSeen.Equal(t0) {
			t.Fatalf("10.0.0.6: %+v", a6)
		}
		wantKinds(t, ".5 after scan 1", kinds(t, ts, a5.ID), "new", "managed")
		wantKinds(t, ".6 after scan 1", kinds(t, ts, a6.ID), "new")
		wantKinds(t, ".7 after scan 1", kinds(t, ts, a7.ID), "new")

		// Scan 2: .7 is gone, .8 is new, .6's ports changed, .5 (probed,
		// no open port) keeps none.
		ts.Clock.Advance(time.Hour)
		ref2 := refOf(a, "job-2", prof.ID, ts.Clock.Now())
		mustDo(t, "scan 2 sweep", ts.Discovery.Merge(ctx, ref2, []domain.AssetObservation{
			{IP: "10.0.0.5", Alive: true}, {IP: "10.0.0.6", Alive: true}, {IP: "10.0.0.8", Alive: true}}))
		mustDo(t, "scan 2 probe", ts.Discovery.Merge(ctx, ref2, []domain.AssetObservation{
			{IP: "10.0.0.6", Alive: true, OpenPorts: []int{22}, Method: domain.MethodTCP}}))
		mustDo(t, "scan 2 probe, another page", ts.Discovery.Merge(ctx, ref2, []domain.AssetObservation{
			{IP: "10.0.0.6", Alive: true, OpenPorts: []int{443}, Method: domain.MethodTCP}}))
		mustDo(t, "finish 2", ts.Discovery.Finish(ctx, ref2, []string{"10.0.0.0/24"}, true))
		mustDo(t, "finish 2 again", ts.Discovery.Finish(ctx, ref2, []string{"10.0.0.0/24"}, true))
		a6, a7 = assetAt(t, ts, a, "10.0.0.6"), assetAt(t, ts, a, "10.0.0.7")
		if got := fmt.Sprint(a6.OpenPorts); got != "[{22 ssh} {443 https}]" || !slices.Equal(a6.PrevPorts, []int{22, 80}) || a6.New() {
			t.Fatalf("10.0.0.6 after scan 2: ports %s prev %v new %v", got, a6.PrevPorts, a6.New())
		}
		wantKinds(t, ".6 after scan 2", kinds(t, ts, a6.ID), "new", "ports_changed")
		if !a7.Gone || a7.New() {
			t.Fatalf("10.0.0.7 not gone: %+v", a7)
		}
		wantKinds(t, ".7 after scan 2", kinds(t, ts, a7.ID), "new", "gone")
		a8 := assetAt(t, ts, a, "10.0.0.8")
		if !a8.New() {
			t.Fatalf("10.0.0.8 not new: %+v", a8)
		}

		// Scan 3 fails: .7 is back, nobody is gone.
		ref3 := refOf(a, "job-3", prof.ID, ts.Clock.Now())
		mustDo(t, "scan 3", ts.Discovery.Merge(ctx, ref3, []domain.AssetObservation{{IP: "10.0.0.7", Alive: true}}))
		mustDo(t, "finish 3 incomplete", ts.Discovery.Finish(ctx, ref3, []string{"10.0.0.0/24"}, false))
		wantKinds(t, ".7 after scan 3", kinds(t, ts, a7.ID), "new", "gone", "back")
		if assetAt(t, ts, a, "10.0.0.8").Gone || assetAt(t, ts, a, "10.0.0.6").Gone {
			t.Fatal("an incomplete scan marked assets gone")
		}
		// A complete scan of a smaller range leaves the rest alone.
		ref4 := refOf(a, "job-4", prof.ID, ts.Clock.Now())
		mustDo(t, "finish 4", ts.Discovery.Finish(ctx, ref4, []string{"10.0.0.8/32"}, true))
		if !assetAt(t, ts, a, "10.0.0.8").Gone || assetAt(t, ts, a, "10.0.0.6").Gone {
			t.Fatal("finish marked assets outside its targets")
		}

		// The bus carried the scan events, not the managed one.
		var got []string
		for len(got) < 8 {
			select {
			case m := <-sub.C():
				var e discovery.BusEvent
				mustDo(t, "decode bus event", json.Unmarshal(m.Payload, &e))
				if e.OrgID != a.Orgs[0].ID || e.SiteID != a.Sites[0].ID || e.AssetID == "" {
					t.Fatalf("bus event %+v", e)
				}
				got = append(got, string(e.Kind)+" "+e.IP)
			case <-time.After(5 * time.Second):
				t.Fatalf("bus events: %v", got)
			}
		}
		slices.Sort(got)
		want := []string{"back 10.0.0.7", "gone 10.0.0.7", "gone 10.0.0.8", "new 10.0.0.5", "new 10.0.0.6", "new 10.0.0.7",
			"new 10.0.0.8", "ports_changed 10.0.0.6"}
		if !slices.Equal(got, want) {
			t.Fatalf("bus events %v, want %v", got, want)
		}
		select {
		case m := <-sub.C():
			t.Fatalf("an extra bus event: %s", m.Payload)
		case <-time.After(50 * time.Millisecond):
		}
	})
}

func TestMergeHostileInput(t *testing.T) {
	ts := apitest.NewServer(t)
	ctx := context.Background()
	a := ts.Seed.A
	long := strings.Repeat("x", 100_000)
	ref := refOf(a, "job-h", "", ts.Clock.Now())
	err := ts.Discovery.Merge(ctx, ref, []domain.AssetObservation{
		{IP: "10.1.0.1", Hostname: "nul\x00host\xff", Alive: true, MAC: "zz:zz", OpenPorts: []int{0, 70000, 8080},
			Attributes: map[string]string{"snmp.sysName": long, "\x00": "x"}},
		{IP: "::ffff:10.1.0.2", Alive: true},
		{IP: "10.1.0.3"}, // nothing observed: skipped
	})
	mustDo(t, "merge", err)
	x := assetAt(t, ts, a, "10.1.0.1")
	if x.MAC != "" || len(x.Hostnames) != 1 || strings.ContainsRune(x.Hostnames[0], 0) || len(x.Attributes["snmp.sysName"]) != 64<<10 ||
		fmt.Sprint(x.OpenPorts) != "[{8080 http-proxy}]" {
		t.Fatalf("hostile asset stored as %+v", x)
	}
	assetAt(t, ts, a, "10.1.0.2")
	if l, _ := ts.Store.DiscoveryAssets().BySiteIPs(ctx, a.Sites[0].ID, []string{"10.1.0.3"}); len(l) != 0 {
		t.Fatal("an empty observation made an asset")
	}
	// A ref without a valid site is refused.
	bad := ref
	bad.SiteID = "x"
	if err := ts.Discovery.Merge(ctx, bad, []domain.AssetObservation{{IP: "10.1.0.9", Alive: true}}); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("bad ref: %v", err)
	}
	noJob := ref
	noJob.JobID = ""
	if err := ts.Discovery.Merge(ctx, noJob, []domain.AssetObservation{{IP: "10.1.0.9", Alive: true}}); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("a ref without a job: %v", err)
	}
	// No OUI file: no vendor, no error.
	svc, err := discovery.New(discovery.Deps{Store: ts.Store, OUIPath: "/nonexistent/oui.csv"})
	mustDo(t, "service", err)
	mustDo(t, "merge without OUI", svc.Merge(ctx, refOf(a, "job-o", "", ts.Clock.Now()),
		[]domain.AssetObservation{{IP: "10.1.0.4", MAC: "00:1b:63:00:00:01", Alive: true}}))
	if v := assetAt(t, ts, a, "10.1.0.4").Vendor; v != "" {
		t.Fatalf("vendor %q without a registry", v)
	}
}

func TestPlan(t *testing.T) {
	bothStores(t, func(t *testing.T, ts *apitest.TestServer) {
		ctx := context.Background()
		a, b := ts.Seed.A, ts.Seed.B
		scanner, _ := ts.NewDevice(t, a, 0, "scanner")
		name, targets, excl := "snmp", []string{"10.0.0.0/24", "10.0.1.1-10.0.1.2"}, []string{"10.0.0.128/25"}
		scanners, methods := []string{scanner}, []domain.DiscoveryMethod{domain.MethodICMP, domain.MethodSNMP}
		pass, priv := "auth-secret-1", "priv-secret-1"
		prof, err := ts.Discovery.CreateProfile(ctx, adminOf(a), discovery.ProfileInput{SiteID: a.Sites[0].ID, Name: &name,
			Targets: &targets, Exclusions: &excl, ScannerDeviceIDs: &scanners, Methods: &methods,
			SNMP: &discovery.SNMPInput{Version: "3", User: "monitor", AuthProto: "sha256", AuthPass: &pass, PrivProto: "aes", PrivPass: &priv}})
		mustDo(t, "create", err)
		if prof.SNMP.AuthPass != discovery.Redacted || prof.Addresses != 129 { // 10.0.0.0/24's network address is no host
			t.Fatalf("created %+v snmp %+v", prof, prof.SNMP)
		}
		stored, err := ts.Store.DiscoveryProfiles().Get(ctx, domain.GlobalScope(), prof.ID)
		mustDo(t, "stored", err)
		if !strings.HasPrefix(stored.SNMP.AuthPass, "sealed:") || strings.Contains(stored.SNMP.AuthPass, pass) {
			t.Fatalf("authPass stored as %q", stored.SNMP.AuthPass)
		}
		plan, err := ts.Discovery.Plan(ctx, adminOf(a), prof.ID)
		mustDo(t, "plan", err)
		if !slices.Equal(plan.Targets, []string{"10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/30", "10.0.0.8/29", "10.0.0.16/28",
			"10.0.0.32/27", "10.0.0.64/26", "10.0.1.1/32", "10.0.1.2/32"}) || plan.Addresses != 129 ||
			plan.SNMP["authPass"] != pass || plan.SNMP["privPass"] != priv || plan.SNMP["authProto"] != "SHA256" ||
			plan.SNMP["user"] != "monitor" || plan.SNMP["port"] != "161" || plan.Ref.SiteID != a.Sites[0].ID ||
			plan.Ref.ProfileID != prof.ID || plan.Timeout != 30*time.Minute || !slices.Equal(plan.ScannerDeviceIDs, scanners) {
			t.Fatalf("plan %+v", plan)
		}
		_, err = ts.Discovery.Plan(ctx, adminOf(b), prof.ID)
		if !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("another tenant's plan: %v", err)
		}
		viewer := &domain.Principal{Kind: domain.PrincipalUser, UserID: "v", Grants: []domain.Grant{{Assignment: domain.RoleAssignment{
			PartnerID: a.Partner.ID}, Permissions: []domain.Permission{domain.PermDiscoveryRead}}}}
		if _, err = ts.Discovery.Plan(ctx, viewer, prof.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("a reader's plan: %v", err)
		}
		// The org narrows its allowed ranges: the saved profile no longer plans.
		_, err = ts.Discovery.PutSettings(ctx, adminOf(a), a.Orgs[0].ID, []string{"10.0.0.0/24"}, 0)
		mustDo(t, "settings", err)
		if _, err = ts.Discovery.Plan(ctx, adminOf(a), prof.ID); !errors.Is(err, domain.ErrInvalid) ||
			!strings.Contains(err.Error(), "10.0.1.1-10.0.1.2 is outside") {
			t.Fatalf("plan outside the allowed ranges: %v", err)
		}
		// A PUT keeping the secrets (nil) and changing the rest.
		targets2 := []string{"10.0.0.0/25"}
		up, err := ts.Discovery.UpdateProfile(ctx, adminOf(a), prof.ID, discovery.ProfileInput{Targets: &targets2,
			SNMP: &discovery.SNMPInput{Version: "3", User: "monitor2", AuthProto: "SHA256", PrivProto: "AES"}, Version: prof.Version})
		mustDo(t, "update", err)
		plan, err = ts.Discovery.Plan(ctx, adminOf(a), up.ID)
		mustDo(t, "plan after update", err)
		if plan.SNMP["authPass"] != pass || plan.SNMP["user"] != "monitor2" || plan.Addresses != 126 {
			t.Fatalf("plan after update %+v", plan)
		}
	})
}

// BenchmarkMerge50k merges 50 000 assets in pages of 256 (a /16 scan's
// pages) into an empty site, then again as a second scan that updates
// every asset.
//
//	go test ./core/app/discovery/ -run '^$' -bench Merge50k -benchtime 1x
func BenchmarkMerge50k(b *testing.B) {
	for _, pg := range []bool{false, true} {
		name := "sqlite"
		if pg {
			name = "postgres"
		}
		b.Run(name, func(b *testing.B) {
			ts := apitest.NewServerWith(b, apitest.Options{Postgres: pg})
			ctx := context.Background()
			a := ts.Seed.A
			const n, pageSize = 50_000, 256
			obs := make([]domain.AssetObservation, n)
			for i := range obs {
				obs[i] = domain.AssetObservation{IP: fmt.Sprintf("10.%d.%d.%d", 10+i/65536, i/256%256, i%256), Alive: true,
					MAC: fmt.Sprintf("02:00:00:%02x:%02x:%02x", i>>16&255, i>>8&255, i&255), Hostname: fmt.Sprintf("host-%d", i),
					OpenPorts: []int{22, 80 + i%3}, Method: domain.MethodTCP}
			}
			b.ResetTimer()
			for it := 0; it < b.N; it++ {
				for job := 0; job < 2; job++ { // insert, then update
					ref := refOf(a, fmt.Sprintf("job-%d-%d", it, job), "", ts.Clock.Now())
					for i := 0; i < n; i += pageSize {
						if err := ts.Discovery.Merge(ctx, ref, obs[i:min(i+pageSize, n)]); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*2*n), "ns/asset")
		})
	}
}
