package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// RunFleet runs the fleet summary cases (ports.FleetStore).
func RunFleet(t *testing.T, newStore Factory) {
	t.Helper()
	groups := []struct {
		name string
		fn   func(t *testing.T, st ports.Store)
	}{
		{"DeviceCounts", testFleetDeviceCounts},
		{"AlertCounts", testFleetAlertCounts},
		{"NeedingAttention", testFleetAttention},
		{"RecentActivity", testFleetActivity},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.fn(t, newStore(t)) })
	}
}

// fleetWorld is two tenants: partner A with orgs A1 (site A1) and A2 (site
// A2), and partner B with org B1 (site B1).
type fleetWorld struct {
	a, a2, b chain
}

func newFleetWorld(t testing.TB, st ports.Store) fleetWorld {
	t.Helper()
	a := newChain(t, st)
	o2 := newOrg(t, st, a.partner.ID)
	return fleetWorld{a: a, a2: chain{partner: a.partner, org: o2, site: newSite(t, st, o2.ID)}, b: newChain(t, st)}
}

func (c chain) orgScope() domain.Scope  { return domain.Scope{OrgIDs: []string{c.org.ID}} }
func (c chain) siteScope() domain.Scope { return domain.Scope{SiteIDs: []string{c.site.ID}} }

// devicesWith makes n devices of status in c's site.
func devicesWith(t testing.TB, st ports.Store, c chain, status domain.DeviceStatus, n int) []*domain.Device {
	t.Helper()
	out := make([]*domain.Device, n)
	for i := range out {
		d := deviceIn(c.site.ID, "")
		d.Status = status
		must(t, "create device", st.Devices().Create(t.Context(), global, d))
		out[i] = d
	}
	return out
}

func wantDeviceCounts(t testing.TB, what string, st ports.Store, s domain.Scope, f ports.FleetFilter, want domain.DeviceCounts) {
	t.Helper()
	got, err := st.Fleet().DeviceCounts(t.Context(), s, f)
	must(t, what, err)
	if got != want {
		t.Errorf("%s: got %+v, want %+v", what, got, want)
	}
}

func testFleetDeviceCounts(t *testing.T, st ports.Store) {
	w := newFleetWorld(t, st)
	devicesWith(t, st, w.a, domain.DeviceOnline, 3)
	devicesWith(t, st, w.a, domain.DeviceOffline, 1)
	devicesWith(t, st, w.a, domain.DevicePending, 1)
	devicesWith(t, st, w.a2, domain.DeviceOffline, 2)
	devicesWith(t, st, w.a2, domain.DeviceDecommissioned, 1)
	devicesWith(t, st, w.b, domain.DeviceOnline, 4)
	none := ports.FleetFilter{}
	a1 := domain.DeviceCounts{Online: 3, Offline: 1, Pending: 1}
	a2 := domain.DeviceCounts{Offline: 2, Decommissioned: 1}
	zero := domain.DeviceCounts{}

	wantDeviceCounts(t, "partner A", st, w.a.scope(), none, domain.DeviceCounts{Online: 3, Offline: 3, Pending: 1, Decommissioned: 1})
	wantDeviceCounts(t, "partner B", st, w.b.scope(), none, domain.DeviceCounts{Online: 4})
	wantDeviceCounts(t, "global", st, global, none, domain.DeviceCounts{Online: 7, Offline: 3, Pending: 1, Decommissioned: 1})
	wantDeviceCounts(t, "org A1 holder", st, w.a.orgScope(), none, a1)
	wantDeviceCounts(t, "site A2 holder", st, w.a2.siteScope(), none, a2)
	wantDeviceCounts(t, "empty scope", st, domain.Scope{}, none, zero)
	if got := a1.Total(); got != 5 {
		t.Errorf("total of %+v: %d", a1, got)
	}

	// A filter narrows, never widens: B's org seen from A's scope is empty,
	// as is an unknown or malformed id.
	wantDeviceCounts(t, "partner A filtered to org A2", st, w.a.scope(), ports.FleetFilter{OrgID: w.a2.org.ID}, a2)
	wantDeviceCounts(t, "partner A filtered to site A1", st, w.a.scope(), ports.FleetFilter{SiteID: w.a.site.ID}, a1)
	wantDeviceCounts(t, "global filtered to org B1", st, global, ports.FleetFilter{OrgID: w.b.org.ID}, domain.DeviceCounts{Online: 4})
	wantDeviceCounts(t, "org A1 holder filtered to org B1", st, w.a.orgScope(), ports.FleetFilter{OrgID: w.b.org.ID}, zero)
	wantDeviceCounts(t, "org A1 holder filtered to org A2", st, w.a.orgScope(), ports.FleetFilter{OrgID: w.a2.org.ID}, zero)
	wantDeviceCounts(t, "partner A filtered to site B1", st, w.a.scope(), ports.FleetFilter{SiteID: w.b.site.ID}, zero)
	wantDeviceCounts(t, "org and site that disagree", st, global, ports.FleetFilter{OrgID: w.a.org.ID, SiteID: w.a2.site.ID}, zero)
	wantDeviceCounts(t, "unknown org", st, global, ports.FleetFilter{OrgID: domain.NewID()}, zero)
	for _, bad := range malformedIDs(w.a.org.ID) {
		if bad == "" {
			continue // no filter
		}
		wantDeviceCounts(t, fmt.Sprintf("malformed org %q", bad), st, global, ports.FleetFilter{OrgID: bad}, zero)
	}
	wantDeviceCounts(t, "malformed ids in the scope", st, domain.Scope{OrgIDs: []string{"nope", w.a.org.ID}}, none, a1)
}

// alertOn opens an alert of severity on dev under a new rule of dev's org
// (one unresolved alert per rule and device).
func alertOn(t testing.TB, st ports.Store, c chain, dev *domain.Device, sev domain.Severity) *domain.Alert {
	t.Helper()
	r := newRule(t, st, c.partner.ID, c.org.ID)
	in := openAlert(r.ID, dev.ID)
	in.Severity = sev
	a, opened, err := st.Alerts().Open(t.Context(), in)
	must(t, "open alert", err)
	if !opened {
		t.Fatal("alert not opened")
	}
	return a
}

func moveAlert(t testing.TB, st ports.Store, a *domain.Alert, to domain.AlertState) {
	t.Helper()
	_, err := st.Alerts().Transition(t.Context(), global, a.ID, domain.Unresolved, domain.AlertUpdate{To: to, Actor: "user-1"})
	must(t, "move alert to "+string(to), err)
}

func testFleetAlertCounts(t *testing.T, st ports.Store) {
	w := newFleetWorld(t, st)
	da := devicesWith(t, st, w.a, domain.DeviceOnline, 2)
	da2 := devicesWith(t, st, w.a2, domain.DeviceOffline, 1)
	db := devicesWith(t, st, w.b, domain.DeviceOnline, 1)
	alertOn(t, st, w.a, da[0], domain.SeverityCritical)
	alertOn(t, st, w.a, da[0], domain.SeverityWarning)
	moveAlert(t, st, alertOn(t, st, w.a, da[1], domain.SeverityWarning), domain.AlertAcknowledged) // still counts
	moveAlert(t, st, alertOn(t, st, w.a, da[1], domain.SeverityCritical), domain.AlertResolved)    // does not
	alertOn(t, st, w.a2, da2[0], domain.SeverityInfo)
	alertOn(t, st, w.b, db[0], domain.SeverityCritical)
	alertOn(t, st, w.b, db[0], domain.SeverityCritical)

	check := func(what string, s domain.Scope, f ports.FleetFilter, want domain.SeverityCounts) {
		t.Helper()
		got, err := st.Fleet().AlertCounts(t.Context(), s, f)
		must(t, what, err)
		if got != want {
			t.Errorf("%s: got %+v, want %+v", what, got, want)
		}
	}
	none := ports.FleetFilter{}
	a1 := domain.SeverityCounts{Critical: 1, Warning: 2}
	check("partner A", w.a.scope(), none, domain.SeverityCounts{Critical: 1, Warning: 2, Info: 1})
	check("partner B", w.b.scope(), none, domain.SeverityCounts{Critical: 2})
	check("global", global, none, domain.SeverityCounts{Critical: 3, Warning: 2, Info: 1})
	check("org A1 holder", w.a.orgScope(), none, a1)
	check("site A2 holder", w.a2.siteScope(), none, domain.SeverityCounts{Info: 1})
	check("empty scope", domain.Scope{}, none, domain.SeverityCounts{})
	check("partner A filtered to site A1", w.a.scope(), ports.FleetFilter{SiteID: w.a.site.ID}, a1)
	check("org A1 holder filtered to org B1", w.a.orgScope(), ports.FleetFilter{OrgID: w.b.org.ID}, domain.SeverityCounts{})
	check("malformed org", global, ports.FleetFilter{OrgID: "not-a-uuid"}, domain.SeverityCounts{})
	if got := a1.Total(); got != 3 {
		t.Errorf("total of %+v: %d", a1, got)
	}
}

func testFleetAttention(t *testing.T, st ports.Store) {
	ctx := t.Context()
	w := newFleetWorld(t, st)
	named := func(c chain, host string) *domain.Device {
		d := deviceIn(c.site.ID, "")
		d.Hostname = host
		must(t, "create device", st.Devices().Create(ctx, global, d))
		return d
	}
	// One critical beats two warnings, two warnings beat one, a tie is
	// broken by hostname; resolved alerts and quiet devices do not count.
	crit := named(w.a, uniq("m-crit"))
	twoWarn := named(w.a, uniq("z-two"))
	warnA := named(w.a, "b-"+uniq("warn"))
	warnB := named(w.a2, "c-"+uniq("warn"))
	info := named(w.a2, uniq("a-info"))
	resolved := named(w.a, uniq("resolved"))
	named(w.a, uniq("quiet"))
	other := named(w.b, uniq("b-other"))

	alertOn(t, st, w.a, crit, domain.SeverityCritical)
	alertOn(t, st, w.a, twoWarn, domain.SeverityWarning)
	moveAlert(t, st, alertOn(t, st, w.a, twoWarn, domain.SeverityWarning), domain.AlertAcknowledged)
	moveAlert(t, st, alertOn(t, st, w.a, twoWarn, domain.SeverityCritical), domain.AlertResolved)
	alertOn(t, st, w.a, warnA, domain.SeverityWarning)
	alertOn(t, st, w.a2, warnB, domain.SeverityWarning)
	last := alertOn(t, st, w.a2, info, domain.SeverityInfo)
	moveAlert(t, st, alertOn(t, st, w.a, resolved, domain.SeverityCritical), domain.AlertResolved)
	alertOn(t, st, w.b, other, domain.SeverityCritical)

	list := func(what string, as, ds domain.Scope, f ports.FleetFilter, limit int) []domain.AttentionDevice {
		t.Helper()
		out, err := st.Fleet().NeedingAttention(ctx, as, ds, f, limit)
		must(t, what, err)
		return out
	}
	hosts := func(v []domain.AttentionDevice) []string {
		return ids(v, func(a domain.AttentionDevice) string { return a.Hostname })
	}
	want := []string{crit.Hostname, twoWarn.Hostname, warnA.Hostname, warnB.Hostname, info.Hostname}
	got := list("partner A", w.a.scope(), w.a.scope(), ports.FleetFilter{}, 10)
	if !slices.Equal(hosts(got), want) {
		t.Fatalf("partner A needing attention: got %v, want %v", hosts(got), want)
	}
	first, second, fifth := got[0], got[1], got[4]
	if first.DeviceID != crit.ID || first.Worst != domain.SeverityCritical || first.Alerts != 1 || first.Status != domain.DeviceOnline ||
		first.PartnerID != w.a.partner.ID || first.OrgID != w.a.org.ID || first.OrgName != w.a.org.Name ||
		first.SiteID != w.a.site.ID || first.SiteName != w.a.site.Name {
		t.Errorf("first: %+v", first)
	}
	checkUTC(t, "latest", first.LatestAt)
	if second.Worst != domain.SeverityWarning || second.Alerts != 2 {
		t.Errorf("two warnings (one acknowledged) and a resolved critical: %+v", second)
	}
	if fifth.Worst != domain.SeverityInfo || fifth.OrgName != w.a2.org.Name || !sameTime(fifth.LatestAt, last.OpenedAt) {
		t.Errorf("fifth: %+v (opened %v)", fifth, last.OpenedAt)
	}
	if got := hosts(list("limit 2", w.a.scope(), w.a.scope(), ports.FleetFilter{}, 2)); !slices.Equal(got, want[:2]) {
		t.Errorf("limit 2: got %v, want %v", got, want[:2])
	}
	if got := hosts(list("org A2 filter", w.a.scope(), w.a.scope(), ports.FleetFilter{OrgID: w.a2.org.ID}, 10)); !slices.Equal(got, want[3:]) {
		t.Errorf("org A2 filter: got %v, want %v", got, want[3:])
	}
	if got := hosts(list("org A2 holder", w.a2.orgScope(), w.a2.orgScope(), ports.FleetFilter{}, 10)); !slices.Equal(got, want[3:]) {
		t.Errorf("org A2 holder: got %v, want %v", got, want[3:])
	}
	if got := hosts(list("partner B", w.b.scope(), w.b.scope(), ports.FleetFilter{}, 10)); !slices.Equal(got, []string{other.Hostname}) {
		t.Errorf("partner B: got %v", got)
	}
	// Both scopes must cover the device: alerts without devices name nothing.
	if got := list("alerts without devices", w.a.scope(), domain.Scope{}, ports.FleetFilter{}, 10); len(got) != 0 {
		t.Errorf("a caller who may not read the devices sees %v", hosts(got))
	}
	if got := list("devices without alerts", domain.Scope{}, w.a.scope(), ports.FleetFilter{}, 10); len(got) != 0 {
		t.Errorf("a caller who may not read the alerts sees %v", hosts(got))
	}
	if got := list("org A1 holder filtered to B", w.a.orgScope(), w.a.orgScope(), ports.FleetFilter{OrgID: w.b.org.ID}, 10); len(got) != 0 {
		t.Errorf("a filter widened the scope: %v", hosts(got))
	}
	if got := list("zero limit", global, global, ports.FleetFilter{}, 0); len(got) == 0 || len(got) > 10 {
		t.Errorf("limit 0 takes a small default, got %d rows", len(got))
	}
}

func testFleetActivity(t *testing.T, st ports.Store) {
	ctx := t.Context()
	w := newFleetWorld(t, st)
	da := devicesWith(t, st, w.a, domain.DeviceOnline, 1)[0]
	db := devicesWith(t, st, w.b, domain.DeviceOnline, 1)[0]
	x := alertOn(t, st, w.a, da, domain.SeverityCritical)
	time.Sleep(2 * time.Millisecond)
	alertOn(t, st, w.b, db, domain.SeverityWarning)
	time.Sleep(2 * time.Millisecond)
	moveAlert(t, st, x, domain.AlertAcknowledged)
	time.Sleep(2 * time.Millisecond)
	moveAlert(t, st, x, domain.AlertResolved)

	list := func(what string, as, ds domain.Scope, f ports.FleetFilter, limit int) []domain.AlertActivity {
		t.Helper()
		out, err := st.Fleet().RecentActivity(ctx, as, ds, f, limit)
		must(t, what, err)
		return out
	}
	steps := func(v []domain.AlertActivity) []string {
		return ids(v, func(a domain.AlertActivity) string { return a.Hostname + ":" + string(a.From) + ">" + string(a.To) })
	}
	got := list("partner A", w.a.scope(), w.a.scope(), ports.FleetFilter{}, 10)
	want := []string{da.Hostname + ":acknowledged>resolved", da.Hostname + ":open>acknowledged", da.Hostname + ":>open"}
	if !slices.Equal(steps(got), want) {
		t.Fatalf("partner A activity: got %v, want %v", steps(got), want)
	}
	top := got[0]
	if top.AlertID != x.ID || top.DeviceID != da.ID || top.OrgID != w.a.org.ID || top.Severity != domain.SeverityCritical ||
		top.Kind != x.Kind || top.Message != x.Message || top.Actor != "user-1" {
		t.Errorf("newest entry: %+v", top)
	}
	checkUTC(t, "activity at", top.At)
	if got[2].Actor != domain.AlertActorSystem || !got[2].At.Before(top.At) {
		t.Errorf("opening entry: %+v", got[2])
	}
	if g := steps(list("global, limit 2", global, global, ports.FleetFilter{}, 2)); !slices.Equal(g, want[:2]) {
		t.Errorf("global limit 2: got %v, want %v", g, want[:2])
	}
	if g := steps(list("partner B", w.b.scope(), w.b.scope(), ports.FleetFilter{}, 10)); !slices.Equal(g, []string{db.Hostname + ":>open"}) {
		t.Errorf("partner B activity: %v", g)
	}
	if g := list("org A1 holder filtered to B", w.a.orgScope(), w.a.orgScope(), ports.FleetFilter{OrgID: w.b.org.ID}, 10); len(g) != 0 {
		t.Errorf("a filter widened the scope: %v", steps(g))
	}
	if g := list("site A2 holder", w.a2.siteScope(), w.a2.siteScope(), ports.FleetFilter{}, 10); len(g) != 0 {
		t.Errorf("site A2 sees A1's activity: %v", steps(g))
	}
	if g := list("no device scope", global, domain.Scope{}, ports.FleetFilter{}, 10); len(g) != 0 {
		t.Errorf("activity without the devices: %v", steps(g))
	}
}
