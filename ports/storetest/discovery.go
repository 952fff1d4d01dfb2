package storetest

import (
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// RunDiscovery runs the discovery profile, settings and asset cases.
func RunDiscovery(t *testing.T, newStore Factory) {
	t.Helper()
	groups := []struct {
		name string
		fn   func(t *testing.T, st ports.Store)
	}{
		{"Profiles", testDiscoveryProfiles},
		{"ScannedBy", testProfilesScannedBy},
		{"Settings", testDiscoverySettings},
		{"Assets", testDiscoveryAssets},
		{"AssetScoping", testAssetScoping},
		{"DeviceAddresses", testDeviceAddresses},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.fn(t, newStore(t)) })
	}
}

func newProfile(siteID string) *domain.DiscoveryProfile {
	return &domain.DiscoveryProfile{SiteID: siteID, Name: uniq("office lan"), Targets: []string{"10.0.0.0/24"},
		Exclusions: []string{"10.0.0.1"}, Methods: []domain.DiscoveryMethod{domain.MethodICMP, domain.MethodTCP},
		Ports: []int{22, 443}, RatePerSecond: 100, Concurrency: 16, TimeoutSeconds: 600, Addresses: 255, CreatedBy: "u1"}
}

func testDiscoveryProfiles(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	dev := newDevice(t, st, c.site.ID, "")
	p := newProfile(c.site.ID)
	p.ScannerDeviceIDs, p.Split = []string{dev.ID}, true
	p.SNMP = &domain.SNMPSettings{Version: "3", User: "<img src=x>", AuthProto: "SHA", AuthPass: "sealed:abc", Port: 161}
	must(t, "create", st.DiscoveryProfiles().Create(ctx, domain.Scope{SiteIDs: []string{c.site.ID}}, p))
	checkNewID(t, "profile", p.ID)
	if p.PartnerID != c.partner.ID || p.OrgID != c.org.ID || p.Version != 1 {
		t.Fatalf("created profile: %+v", p)
	}
	checkStamps(t, "profile", p.CreatedAt, p.UpdatedAt)
	got, err := st.DiscoveryProfiles().Get(ctx, domain.Scope{OrgIDs: []string{c.org.ID}}, p.ID)
	must(t, "get by an org holder", err)
	if got.Name != p.Name || len(got.Targets) != 1 || got.Targets[0] != "10.0.0.0/24" || got.Exclusions[0] != "10.0.0.1" ||
		len(got.Methods) != 2 || got.Methods[1] != domain.MethodTCP || len(got.Ports) != 2 || got.Ports[1] != 443 ||
		got.RatePerSecond != 100 || got.Concurrency != 16 || got.TimeoutSeconds != 600 || !got.Split ||
		len(got.ScannerDeviceIDs) != 1 || got.ScannerDeviceIDs[0] != dev.ID || got.Addresses != 255 ||
		got.SNMP == nil || got.SNMP.User != "<img src=x>" || got.SNMP.AuthPass != "sealed:abc" || got.CreatedBy != "u1" {
		t.Fatalf("read back %+v (snmp %+v)", got, got.SNMP)
	}
	dup := newProfile(c.site.ID)
	dup.Name = p.Name
	wantIs(t, "duplicate name in the site", st.DiscoveryProfiles().Create(ctx, c.scope(), dup), domain.ErrConflict)
	other := newSite(t, st, c.org.ID)
	same := newProfile(other.ID)
	same.Name = p.Name
	must(t, "same name in another site", st.DiscoveryProfiles().Create(ctx, c.scope(), same))
	nul := newProfile(c.site.ID)
	nul.Name = "a\x00b"
	wantIs(t, "NUL name", st.DiscoveryProfiles().Create(ctx, c.scope(), nul), domain.ErrInvalid)

	page, err := st.DiscoveryProfiles().List(ctx, c.scope(), ports.DiscoveryProfileFilter{SiteID: c.site.ID}, domain.PageRequest{})
	must(t, "list by site", err)
	wantIDs(t, "list by site", ids(page.Items, func(x *domain.DiscoveryProfile) string { return x.ID }), []string{p.ID})
	page, err = st.DiscoveryProfiles().List(ctx, c.scope(), ports.DiscoveryProfileFilter{OrgID: c.org.ID}, domain.PageRequest{})
	must(t, "list by org", err)
	wantIDs(t, "list by org", ids(page.Items, func(x *domain.DiscoveryProfile) string { return x.ID }), []string{p.ID, same.ID})
	page, err = st.DiscoveryProfiles().List(ctx, domain.Scope{SiteIDs: []string{other.ID}}, ports.DiscoveryProfileFilter{}, domain.PageRequest{})
	must(t, "list by a site holder", err)
	wantIDs(t, "list by a site holder", ids(page.Items, func(x *domain.DiscoveryProfile) string { return x.ID }), []string{same.ID})

	p.Targets, p.SNMP, p.Split = []string{"10.0.1.0/24"}, nil, false
	up, err := st.DiscoveryProfiles().Update(ctx, c.scope(), p)
	must(t, "update", err)
	if up.Version != 2 || up.Targets[0] != "10.0.1.0/24" || up.SNMP != nil || up.Split || up.SiteID != c.site.ID {
		t.Fatalf("updated: %+v", up)
	}
	_, err = st.DiscoveryProfiles().Update(ctx, c.scope(), p)
	wantIs(t, "stale version", err, domain.ErrConflict)

	// Another tenant sees nothing and changes nothing.
	b := newChain(t, st)
	_, err = st.DiscoveryProfiles().Get(ctx, b.scope(), p.ID)
	wantIs(t, "foreign get", err, domain.ErrNotFound)
	up.Name = "stolen"
	_, err = st.DiscoveryProfiles().Update(ctx, b.scope(), up)
	wantIs(t, "foreign update", err, domain.ErrNotFound)
	wantIs(t, "foreign delete", st.DiscoveryProfiles().Delete(ctx, b.scope(), p.ID), domain.ErrNotFound)
	wantIs(t, "create in a foreign site", st.DiscoveryProfiles().Create(ctx, b.scope(), newProfile(c.site.ID)), domain.ErrNotFound)
	page, err = st.DiscoveryProfiles().List(ctx, b.scope(), ports.DiscoveryProfileFilter{OrgID: c.org.ID}, domain.PageRequest{})
	if err == nil && len(page.Items) != 0 {
		t.Fatalf("foreign list by org: %d items", len(page.Items))
	}
	for _, bad := range malformedIDs(p.ID) {
		_, err = st.DiscoveryProfiles().Get(ctx, c.scope(), bad)
		wantIs(t, "malformed id "+bad, err, domain.ErrNotFound)
	}
	must(t, "delete", st.DiscoveryProfiles().Delete(ctx, c.scope(), p.ID))
	_, err = st.DiscoveryProfiles().Get(ctx, c.scope(), p.ID)
	wantIs(t, "get deleted", err, domain.ErrNotFound)
}

// testProfilesScannedBy: a device's profiles are those of its site that
// name it as a scanner, in id order; a device scanning nothing, an unknown
// or malformed id, and a device named by a profile of another site (moved
// since) get none.
func testProfilesScannedBy(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	scanner, idle := newDevice(t, st, c.site.ID, ""), newDevice(t, st, c.site.ID, "")
	var want []string
	for range 2 {
		p := newProfile(c.site.ID)
		p.ScannerDeviceIDs = []string{domain.NewID(), scanner.ID}
		must(t, "create a profile scanned by the device", st.DiscoveryProfiles().Create(ctx, global, p))
		want = append(want, p.ID)
	}
	mustNot := newProfile(c.site.ID)
	mustNot.ScannerDeviceIDs = []string{domain.NewID()}
	must(t, "create a profile scanned by another", st.DiscoveryProfiles().Create(ctx, global, mustNot))
	elsewhere := newProfile(newSite(t, st, c.org.ID).ID)
	elsewhere.ScannerDeviceIDs = []string{scanner.ID, idle.ID}
	must(t, "create a profile of another site naming both", st.DiscoveryProfiles().Create(ctx, global, elsewhere))

	got, err := st.DiscoveryProfiles().ScannedBy(ctx, scanner.ID)
	must(t, "ScannedBy the scanner", err)
	wantIDs(t, "ScannedBy the scanner", ids(got, func(x *domain.DiscoveryProfile) string { return x.ID }), ascending(want))
	if len(got) > 0 && (got[0].SiteID != c.site.ID || len(got[0].ScannerDeviceIDs) != 2) {
		t.Fatalf("ScannedBy read back %+v", got[0])
	}
	for _, id := range append([]string{idle.ID, domain.NewID()}, malformedIDs(scanner.ID)...) {
		got, err := st.DiscoveryProfiles().ScannedBy(ctx, id)
		if err != nil || len(got) != 0 {
			t.Errorf("ScannedBy(%q) = %d profiles, %v; want none", id, len(got), err)
		}
	}
}

func testDiscoverySettings(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c, b := newChain(t, st), newChain(t, st)
	got, err := st.DiscoverySettings().Get(ctx, domain.Scope{SiteIDs: []string{c.site.ID}}, c.org.ID)
	must(t, "get unsaved by a site holder", err)
	if got.Version != 0 || len(got.AllowedRanges) != 0 || got.OrgID != c.org.ID || got.PartnerID != c.partner.ID {
		t.Fatalf("unsaved settings: %+v", got)
	}
	_, err = st.DiscoverySettings().Get(ctx, b.scope(), c.org.ID)
	wantIs(t, "foreign get", err, domain.ErrNotFound)
	_, err = st.DiscoverySettings().Put(ctx, b.scope(), &domain.DiscoverySettings{OrgID: c.org.ID, AllowedRanges: []string{"0.0.0.0/0"}})
	wantIs(t, "foreign put", err, domain.ErrNotFound)
	_, err = st.DiscoverySettings().Put(ctx, domain.Scope{SiteIDs: []string{c.site.ID}}, &domain.DiscoverySettings{OrgID: c.org.ID})
	wantIs(t, "a site holder cannot write the org's settings", err, domain.ErrNotFound)
	put, err := st.DiscoverySettings().Put(ctx, c.scope(), &domain.DiscoverySettings{OrgID: c.org.ID,
		AllowedRanges: []string{"10.0.0.0/8", "192.168.1.0/24"}})
	must(t, "put", err)
	if put.Version != 1 || len(put.AllowedRanges) != 2 || put.AllowedRanges[1] != "192.168.1.0/24" {
		t.Fatalf("put: %+v", put)
	}
	checkUTC(t, "settings updated", put.UpdatedAt)
	_, err = st.DiscoverySettings().Put(ctx, c.scope(), &domain.DiscoverySettings{OrgID: c.org.ID, Version: 0})
	wantIs(t, "stale version", err, domain.ErrConflict)
	put, err = st.DiscoverySettings().Put(ctx, c.scope(), &domain.DiscoverySettings{OrgID: c.org.ID, Version: 1})
	must(t, "clear", err)
	if put.Version != 2 || len(put.AllowedRanges) != 0 {
		t.Fatalf("cleared: %+v", put)
	}
}

func newAsset(c chain, ip string) *domain.Asset {
	at := time.Now().UTC().Add(-time.Minute)
	return &domain.Asset{PartnerID: c.partner.ID, OrgID: c.org.ID, SiteID: c.site.ID, IP: ip, State: domain.AssetCandidate,
		FirstSeen: at, LastSeen: at, FirstJobID: "job1", LastJobID: "job1", SeenByJobs: []string{"job1"}}
}

func testDiscoveryAssets(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	profileID := domain.NewID()
	a1 := newAsset(c, "10.0.0.5")
	a1.MAC, a1.Vendor, a1.Hostnames = "00:1b:63:aa:bb:cc", "Apple, Inc.", []string{"<img src=x onerror=alert(1)>", "nas.local"}
	a1.OpenPorts = []domain.AssetPort{{Port: 22, Service: "ssh"}, {Port: 443, Service: "https"}}
	a1.Attributes = map[string]string{"snmp.sysDescr": "Linux \"nas\" <b>", "rttMs": "1.5"}
	a1.ProfileIDs = []string{profileID}
	a2 := newAsset(c, "10.0.0.6")
	a2.LastJobID, a2.Gone = "job2", true
	must(t, "upsert", st.DiscoveryAssets().Upsert(ctx, []*domain.Asset{a1, a2}))
	checkNewID(t, "asset", a1.ID)
	if a1.Version != 1 || a2.ID == "" || a2.ID == a1.ID {
		t.Fatalf("upserted: %+v %+v", a1, a2)
	}
	got, err := st.DiscoveryAssets().Get(ctx, domain.Scope{SiteIDs: []string{c.site.ID}}, a1.ID)
	must(t, "get by a site holder", err)
	if got.IP != "10.0.0.5" || got.MAC != a1.MAC || got.Vendor != "Apple, Inc." || len(got.Hostnames) != 2 ||
		got.Hostnames[0] != "<img src=x onerror=alert(1)>" || len(got.OpenPorts) != 2 || got.OpenPorts[1].Service != "https" ||
		got.Attributes["snmp.sysDescr"] != "Linux \"nas\" <b>" || got.State != domain.AssetCandidate || got.DeviceID != "" ||
		!got.New() || got.Gone || len(got.ProfileIDs) != 1 || !sameTime(got.FirstSeen, a1.FirstSeen) {
		t.Fatalf("read back %+v", got)
	}
	checkUTC(t, "last seen", got.LastSeen)

	// A second upsert of the same (site, ip) updates in place.
	dev := newDevice(t, st, c.site.ID, "")
	again := *got
	again.ID, again.LastJobID, again.DeviceID, again.State = "", "job3", dev.ID, domain.AssetManaged
	again.PrevPorts, again.PortsJobID = []int{22}, "job3"
	must(t, "upsert again", st.DiscoveryAssets().Upsert(ctx, []*domain.Asset{&again}))
	if again.ID != a1.ID || again.Version != 2 {
		t.Fatalf("re-upsert: id %s (want %s) version %d", again.ID, a1.ID, again.Version)
	}
	got, err = st.DiscoveryAssets().Get(ctx, c.scope(), a1.ID)
	must(t, "get after update", err)
	if got.DeviceID != dev.ID || got.State != domain.AssetManaged || got.New() || got.PortsJobID != "job3" ||
		len(got.PrevPorts) != 1 {
		t.Fatalf("updated read back %+v", got)
	}
	dup := newAsset(c, "10.0.0.7")
	dup2 := newAsset(c, "10.0.0.7")
	wantIs(t, "the same ip twice", st.DiscoveryAssets().Upsert(ctx, []*domain.Asset{dup, dup2}), domain.ErrInvalid)
	nul := newAsset(c, "10.0.0.8")
	nul.Hostnames = []string{"a\x00b"}
	wantIs(t, "NUL hostname", st.DiscoveryAssets().Upsert(ctx, []*domain.Asset{nul}), domain.ErrInvalid)

	// Reads for the merge.
	list, err := st.DiscoveryAssets().BySiteIPs(ctx, c.site.ID, []string{"10.0.0.6", "10.0.0.99"})
	must(t, "by site ips", err)
	if len(list) != 1 || list[0].ID != a2.ID || !list[0].Gone {
		t.Fatalf("by site ips: %+v", list)
	}
	list, err = st.DiscoveryAssets().BySite(ctx, c.site.ID)
	must(t, "by site", err)
	if len(list) != 2 {
		t.Fatalf("by site: %d", len(list))
	}

	// Filters.
	listIDs := func(f ports.AssetFilter) []string {
		t.Helper()
		pg, err := st.DiscoveryAssets().List(ctx, c.scope(), f, domain.PageRequest{})
		must(t, "list", err)
		return ids(pg.Items, func(x *domain.Asset) string { return x.ID })
	}
	yes, no := true, false
	wantIDs(t, "all", listIDs(ports.AssetFilter{OrgID: c.org.ID}), []string{a1.ID, a2.ID})
	wantIDs(t, "managed", listIDs(ports.AssetFilter{State: domain.AssetManaged}), []string{a1.ID})
	wantIDs(t, "q hostname", listIDs(ports.AssetFilter{Query: "NAS.loc"}), []string{a1.ID})
	wantIDs(t, "q ip", listIDs(ports.AssetFilter{Query: "0.0.6"}), []string{a2.ID})
	wantIDs(t, "q literal %", listIDs(ports.AssetFilter{Query: "%"}), nil)
	wantIDs(t, "profile", listIDs(ports.AssetFilter{ProfileID: profileID}), []string{a1.ID})
	wantIDs(t, "new", listIDs(ports.AssetFilter{New: &yes}), nil)
	wantIDs(t, "not new", listIDs(ports.AssetFilter{New: &no, SiteID: c.site.ID}), []string{a1.ID, a2.ID})

	// Actions.
	ign, err := st.DiscoveryAssets().SetState(ctx, c.scope(), a2.ID, domain.AssetIgnored)
	must(t, "ignore", err)
	if ign.State != domain.AssetIgnored || ign.Version != 2 {
		t.Fatalf("ignored: %+v", ign)
	}
	_, err = st.DiscoveryAssets().SetState(ctx, c.scope(), a2.ID, "owned")
	wantIs(t, "unknown state", err, domain.ErrInvalid)

	// Events, newest first.
	t0 := time.Now().UTC()
	evs := []*domain.AssetEvent{
		{AssetID: a1.ID, PartnerID: c.partner.ID, OrgID: c.org.ID, SiteID: c.site.ID, Kind: domain.AssetEventNew, IP: a1.IP, JobID: "job1", At: t0},
		{AssetID: a1.ID, PartnerID: c.partner.ID, OrgID: c.org.ID, SiteID: c.site.ID, Kind: domain.AssetEventPortsChanged, IP: a1.IP, JobID: "job3", Detail: "22 -> 22,443", At: t0.Add(time.Second)},
	}
	must(t, "append events", st.DiscoveryAssets().AppendEvents(ctx, evs))
	pg, err := st.DiscoveryAssets().ListEvents(ctx, a1.ID, domain.PageRequest{Limit: 1})
	must(t, "list events", err)
	if len(pg.Items) != 1 || pg.Items[0].Kind != domain.AssetEventPortsChanged || pg.Items[0].Detail != "22 -> 22,443" || pg.NextCursor == "" {
		t.Fatalf("events page 1: %+v", pg)
	}
	pg, err = st.DiscoveryAssets().ListEvents(ctx, a1.ID, domain.PageRequest{Limit: 1, Cursor: pg.NextCursor})
	must(t, "list events page 2", err)
	if len(pg.Items) != 1 || pg.Items[0].Kind != domain.AssetEventNew || !sameTime(pg.Items[0].At, t0) {
		t.Fatalf("events page 2: %+v", pg)
	}
}

func testAssetScoping(t *testing.T, st ports.Store) {
	ctx := t.Context()
	a, b := newChain(t, st), newChain(t, st)
	as := newAsset(a, "192.168.1.10")
	must(t, "upsert", st.DiscoveryAssets().Upsert(ctx, []*domain.Asset{as}))
	// The same IP in another tenant's site is another asset.
	bs := newAsset(b, "192.168.1.10")
	must(t, "upsert other tenant", st.DiscoveryAssets().Upsert(ctx, []*domain.Asset{bs}))
	if bs.ID == as.ID {
		t.Fatal("two sites share an asset")
	}
	_, err := st.DiscoveryAssets().Get(ctx, b.scope(), as.ID)
	wantIs(t, "foreign get", err, domain.ErrNotFound)
	_, err = st.DiscoveryAssets().SetState(ctx, b.scope(), as.ID, domain.AssetIgnored)
	wantIs(t, "foreign set state", err, domain.ErrNotFound)
	pg, err := st.DiscoveryAssets().List(ctx, b.scope(), ports.AssetFilter{}, domain.PageRequest{})
	must(t, "foreign list", err)
	wantIDs(t, "foreign list", ids(pg.Items, func(x *domain.Asset) string { return x.ID }), []string{bs.ID})
	pg, err = st.DiscoveryAssets().List(ctx, b.scope(), ports.AssetFilter{SiteID: a.site.ID}, domain.PageRequest{})
	if err == nil && len(pg.Items) != 0 {
		t.Fatalf("foreign list by site: %d", len(pg.Items))
	}
	got, err := st.DiscoveryAssets().Get(ctx, a.scope(), as.ID)
	must(t, "own get", err)
	if got.State != domain.AssetCandidate || got.Version != 1 {
		t.Fatalf("a refused write changed the asset: %+v", got)
	}
}

func testDeviceAddresses(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d1 := newDevice(t, st, c.site.ID, "")
	d2 := newDevice(t, st, c.site.ID, "")
	must(t, "inventory", st.Inventory().Put(ctx, &domain.DeviceInventory{DeviceID: d1.ID, UpdatedAt: time.Now().UTC(),
		Document: `{"full":true,"interfaces":[{"name":"eth0","mac":"AA:BB:CC:00:11:22","addresses":["10.0.0.5/24","fe80::1/64"]},` +
			`{"name":"lo","addresses":["127.0.0.1/8"]},{"name":"wg0","mac":"aa:bb:cc:00:11:33"}]}`}))
	must(t, "inventory without interfaces", st.Inventory().Put(ctx, &domain.DeviceInventory{DeviceID: d2.ID,
		UpdatedAt: time.Now().UTC(), Document: `{"full":true,"interfaces":"odd"}`}))
	other := newChain(t, st)
	d3 := newDevice(t, st, other.site.ID, "")
	must(t, "other inventory", st.Inventory().Put(ctx, &domain.DeviceInventory{DeviceID: d3.ID, UpdatedAt: time.Now().UTC(),
		Document: `{"interfaces":[{"name":"eth0","mac":"aa:aa:aa:aa:aa:aa","addresses":["10.0.0.5/24"]}]}`}))
	rows, err := st.DiscoveryAssets().DeviceAddresses(ctx, c.org.ID)
	must(t, "device addresses", err)
	got := map[string]bool{}
	for _, r := range rows {
		if r.DeviceID != d1.ID || r.SiteID != c.site.ID {
			t.Fatalf("row of another device: %+v", r)
		}
		got[r.MAC+"|"+r.Address] = true
	}
	for _, want := range []string{"AA:BB:CC:00:11:22|10.0.0.5/24", "AA:BB:CC:00:11:22|fe80::1/64", "|127.0.0.1/8", "aa:bb:cc:00:11:33|"} {
		if !got[want] {
			t.Errorf("missing %q in %v", want, got)
		}
	}
}
