package alerts_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// Discovery scans feed asset_new and asset_gone: a new host opens an alert
// on the scanner that found it (when a rule covers that device), a host of
// its own device gone opens one on that device and its return resolves it;
// an incomplete scan marks nothing gone, so it opens nothing.
func TestAssetAlertsFromScans(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *apitest.TestServer) {
		ctx := context.Background()
		a := ts.Seed.A
		scanner, _ := ts.NewDevice(t, a, 0, "scanner")
		managed, _ := ts.NewDevice(t, a, 0, "printer-agent")
		outside, _ := ts.NewDevice(t, a, 1, "scanner-org1") // org 1: outside the rules
		newHost := newRule(t, ts, "asset_new", `{}`)
		gone := newRule(t, ts, "asset_gone", `{"autoResolveMinutes":1440}`)
		trackedOnly := newRule(t, ts, "asset_gone", `{"trackedOnly":true}`)
		svc := reload(t, ts)
		site, org := a.Sites[0].ID, a.Orgs[0].ID
		at := ts.Clock.Now().UTC()
		job := func(n int) domain.ScanRef {
			return domain.ScanRef{JobID: "job-" + string(rune('0'+n)), PartnerID: a.Partner.ID, OrgID: org, SiteID: site,
				At: at.Add(time.Duration(n) * time.Minute), ScannerDeviceID: scanner}
		}
		// The managed device reports 10.5.0.8 as its address: the scans
		// match that host to it.
		if err := ts.Agents.Inventory(ctx, managed, protocol.Inventory{Full: true,
			Interfaces: []protocol.NetInterface{{Name: "eth0", Addresses: []string{"10.5.0.8/24"}}}}); err != nil {
			t.Fatal(err)
		}
		hostile := `<img src=x onerror=alert(1)>`
		if err := ts.Discovery.Merge(ctx, job(1), []domain.AssetObservation{
			{IP: "10.5.0.7", MAC: "00:1b:63:01:02:07", Hostname: hostile + "\x07", Alive: true},
			{IP: "10.5.0.8", Alive: true},
		}); err != nil {
			t.Fatal(err)
		}
		svc.Flush(ctx)
		n, open := ofRule(alertsOf(t, ts, scanner), newHost.ID)
		if len(n) != 1 || open != 1 || !strings.HasPrefix(n[0].Message, "new host 10.5.0.7 (00:1b:63:01:02:07, Apple, Inc., "+hostile+")") {
			t.Fatalf("new hosts: want one alert on the scanner naming the first host as text, got %+v", n)
		}
		if strings.ContainsRune(n[0].Message, '\x07') {
			t.Fatal("a control character from the network reached the message")
		}
		// The same scan in org 1 (outside every rule): nothing.
		ref1 := job(1)
		ref1.OrgID, ref1.SiteID, ref1.ScannerDeviceID = a.Orgs[1].ID, a.Sites[1].ID, outside
		if err := ts.Discovery.Merge(ctx, ref1, []domain.AssetObservation{{IP: "10.6.0.1", Alive: true}}); err != nil {
			t.Fatal(err)
		}
		svc.Flush(ctx)
		if got := alertsOf(t, ts, outside); len(got) != 0 {
			t.Fatalf("a scanner outside the rules' scope got %+v", got)
		}

		// A second scan sees only 10.5.0.7 and is incomplete: nothing is gone.
		if err := ts.Discovery.Merge(ctx, job(2), []domain.AssetObservation{{IP: "10.5.0.7", Alive: true}}); err != nil {
			t.Fatal(err)
		}
		if err := ts.Discovery.Finish(ctx, job(2), []string{"10.5.0.0/24"}, false); err != nil {
			t.Fatal(err)
		}
		svc.Flush(ctx)
		if g, _ := ofRule(alertsOf(t, ts, managed), gone.ID); len(g) != 0 {
			t.Fatalf("an incomplete scan opened %+v", g)
		}
		// Complete this time: 10.5.0.8 is gone, on its own device.
		if err := ts.Discovery.Merge(ctx, job(3), []domain.AssetObservation{{IP: "10.5.0.7", Alive: true}}); err != nil {
			t.Fatal(err)
		}
		if err := ts.Discovery.Finish(ctx, job(3), []string{"10.5.0.0/24"}, true); err != nil {
			t.Fatal(err)
		}
		svc.Flush(ctx)
		g, open := ofRule(alertsOf(t, ts, managed), gone.ID)
		if len(g) != 1 || open != 1 || !strings.HasPrefix(g[0].Message, "host 10.5.0.8 is gone") {
			t.Fatalf("gone: want one open alert on the host's device, got %+v", g)
		}
		if to, _ := ofRule(alertsOf(t, ts, managed), trackedOnly.ID); len(to) != 0 {
			t.Fatalf("trackedOnly fired for a managed host: %+v", to)
		}
		if sc, _ := ofRule(alertsOf(t, ts, scanner), gone.ID); len(sc) != 0 {
			t.Fatalf("the gone alert went to the scanner: %+v", sc)
		}
		// Back: resolved by the system.
		if err := ts.Discovery.Merge(ctx, job(4), []domain.AssetObservation{{IP: "10.5.0.8", Alive: true}}); err != nil {
			t.Fatal(err)
		}
		svc.Flush(ctx)
		if g, open := ofRule(alertsOf(t, ts, managed), gone.ID); len(g) != 1 || open != 0 || g[0].ResolvedBy != domain.AlertActorSystem {
			t.Fatalf("back: want the alert resolved, got %+v", g)
		}
	})
}
