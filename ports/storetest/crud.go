package storetest

import (
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// tick lets the clock move past the previous write, so a later UpdatedAt is
// strictly later even at microsecond precision.
func tick() { time.Sleep(3 * time.Millisecond) }

var longAgo = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

func testCRUD(t *testing.T, st ports.Store) {
	t.Run("Partner", func(t *testing.T) { crudPartner(t, st) })
	t.Run("Org", func(t *testing.T) { crudOrg(t, st) })
	t.Run("Site", func(t *testing.T) { crudSite(t, st) })
	t.Run("GroupOrgWide", func(t *testing.T) { crudGroup(t, st, false) })
	t.Run("GroupInSite", func(t *testing.T) { crudGroup(t, st, true) })
	t.Run("Device", func(t *testing.T) { crudDevice(t, st) })
	t.Run("DeviceCreateFills", func(t *testing.T) { crudDeviceCreate(t, st) })
	t.Run("DeviceUpsert", func(t *testing.T) { crudDeviceUpsert(t, st) })
	t.Run("PingAndEmptyScopeList", func(t *testing.T) {
		must(t, "Ping", st.Ping(t.Context()))
		for _, k := range kinds {
			ids, err := listAll(t.Context(), st, domain.Scope{}, k, ref{})
			if err != nil || len(ids) != 0 {
				t.Errorf("%s list with an empty scope = %v, %v; want no rows, no error", k, ids, err)
			}
		}
	})
}

// deleteAndGone deletes a row and proves it is gone for good.
func deleteAndGone(t *testing.T, st ports.Store, k kind, id string) {
	t.Helper()
	ctx := t.Context()
	must(t, "Delete "+k.String(), del(ctx, st, global, k, id))
	_, err := get(ctx, st, global, k, id)
	wantIs(t, "Get after Delete", err, domain.ErrNotFound)
	wantIs(t, "second Delete", del(ctx, st, global, k, id), domain.ErrNotFound)
	ids, err := listAll(ctx, st, global, k, ref{})
	must(t, "List after Delete", err)
	for _, got := range ids {
		if got == id {
			t.Errorf("List after Delete still has %s %s", k, id)
		}
	}
}

func crudPartner(t *testing.T, st ports.Store) {
	ctx := t.Context()
	ps := st.Partners()
	p := &domain.Partner{Name: uniq("partner")}
	must(t, "Create", ps.Create(ctx, global, p))
	checkNewID(t, "Create", p.ID)
	eqFields(t, "Create", field{"Version", p.Version, int64(1)})
	checkStamps(t, "Create", p.CreatedAt, p.UpdatedAt)

	name := uniq("partner-renamed")
	updateRoundTrip(t, ps, p, p.ID, eqPartner, partnerStamps, func(x *domain.Partner) {
		x.Name = name
		x.CreatedAt = longAgo // immutable: must be ignored
	})

	deleteAndGone(t, st, kindPartner, p.ID)
}

func eqPartner(t testing.TB, what string, got, want *domain.Partner) {
	t.Helper()
	eqFields(t, what, field{"ID", got.ID, want.ID}, field{"Name", got.Name, want.Name},
		field{"Version", got.Version, want.Version},
		field{"CreatedAt", got.CreatedAt, want.CreatedAt}, field{"UpdatedAt", got.UpdatedAt, want.UpdatedAt})
}

func crudOrg(t *testing.T, st ports.Store) {
	ctx := t.Context()
	os := st.Orgs()
	p := newPartner(t, st)
	other := newPartner(t, st)
	o := &domain.Organization{PartnerID: p.ID, Name: uniq("org")}
	must(t, "Create", os.Create(ctx, global, o))
	checkNewID(t, "Create", o.ID)
	eqFields(t, "Create", field{"Version", o.Version, int64(1)}, field{"PartnerID", o.PartnerID, p.ID})
	checkStamps(t, "Create", o.CreatedAt, o.UpdatedAt)

	name := uniq("org-renamed")
	updateRoundTrip(t, os, o, o.ID, eqOrg, orgStamps, func(x *domain.Organization) { x.Name = name })

	t.Run("UpdateKeepsImmutableFields", func(t *testing.T) {
		cur, err := os.Get(ctx, global, o.ID)
		must(t, "Get", err)
		in := *cur
		in.PartnerID, in.CreatedAt = other.ID, longAgo
		res, err := os.Update(ctx, global, &in)
		if err == nil {
			eqFields(t, "Update result", field{"PartnerID", res.PartnerID, p.ID}, field{"CreatedAt", res.CreatedAt, cur.CreatedAt})
		}
		after, err := os.Get(ctx, global, o.ID)
		must(t, "Get", err)
		eqFields(t, "stored org", field{"PartnerID", after.PartnerID, p.ID}, field{"CreatedAt", after.CreatedAt, cur.CreatedAt})
	})

	deleteAndGone(t, st, kindOrg, o.ID)
}

func eqOrg(t testing.TB, what string, got, want *domain.Organization) {
	t.Helper()
	eqFields(t, what, field{"ID", got.ID, want.ID}, field{"PartnerID", got.PartnerID, want.PartnerID},
		field{"Name", got.Name, want.Name}, field{"Version", got.Version, want.Version},
		field{"CreatedAt", got.CreatedAt, want.CreatedAt}, field{"UpdatedAt", got.UpdatedAt, want.UpdatedAt})
}

func crudSite(t *testing.T, st ports.Store) {
	ctx := t.Context()
	ss := st.Sites()
	p := newPartner(t, st)
	o := newOrg(t, st, p.ID)
	otherOrg := newOrg(t, st, p.ID)
	otherPartner := newPartner(t, st)

	s := &domain.Site{OrgID: o.ID, Name: uniq("site"), Timezone: "America/New_York"}
	must(t, "Create", ss.Create(ctx, global, s))
	checkNewID(t, "Create", s.ID)
	eqFields(t, "Create", field{"Version", s.Version, int64(1)}, field{"PartnerID", s.PartnerID, p.ID},
		field{"OrgID", s.OrgID, o.ID})
	checkStamps(t, "Create", s.CreatedAt, s.UpdatedAt)

	name := uniq("site-renamed")
	updateRoundTrip(t, ss, s, s.ID, eqSite, siteStamps, func(x *domain.Site) { x.Name, x.Timezone = name, "Asia/Tokyo" })

	t.Run("EmptyTimezoneRoundTrips", func(t *testing.T) {
		cur, err := ss.Get(ctx, global, s.ID)
		must(t, "Get", err)
		cur.Timezone = ""
		res, err := ss.Update(ctx, global, cur)
		must(t, "Update", err)
		eqFields(t, "Update result", field{"Timezone", res.Timezone, ""})
	})

	t.Run("UpdateKeepsImmutableFields", func(t *testing.T) {
		cur, err := ss.Get(ctx, global, s.ID)
		must(t, "Get", err)
		in := *cur
		in.OrgID, in.PartnerID, in.CreatedAt = otherOrg.ID, otherPartner.ID, longAgo
		res, err := ss.Update(ctx, global, &in)
		if err == nil {
			eqFields(t, "Update result", field{"OrgID", res.OrgID, o.ID}, field{"PartnerID", res.PartnerID, p.ID},
				field{"CreatedAt", res.CreatedAt, cur.CreatedAt})
		}
		after, err := ss.Get(ctx, global, s.ID)
		must(t, "Get", err)
		eqFields(t, "stored site", field{"OrgID", after.OrgID, o.ID}, field{"PartnerID", after.PartnerID, p.ID},
			field{"CreatedAt", after.CreatedAt, cur.CreatedAt})
	})

	deleteAndGone(t, st, kindSite, s.ID)
}

func eqSite(t testing.TB, what string, got, want *domain.Site) {
	t.Helper()
	eqFields(t, what, field{"ID", got.ID, want.ID}, field{"PartnerID", got.PartnerID, want.PartnerID},
		field{"OrgID", got.OrgID, want.OrgID}, field{"Name", got.Name, want.Name},
		field{"Timezone", got.Timezone, want.Timezone}, field{"Version", got.Version, want.Version},
		field{"CreatedAt", got.CreatedAt, want.CreatedAt}, field{"UpdatedAt", got.UpdatedAt, want.UpdatedAt})
}

func crudGroup(t *testing.T, st ports.Store, inSite bool) {
	ctx := t.Context()
	gs := st.DeviceGroups()
	c := newChain(t, st)
	otherSite := newSite(t, st, c.org.ID)
	otherOrg := newOrg(t, st, c.partner.ID)
	siteID := ""
	if inSite {
		siteID = c.site.ID
	}

	g := &domain.DeviceGroup{OrgID: c.org.ID, SiteID: siteID, Name: uniq("group")}
	must(t, "Create", gs.Create(ctx, global, g))
	checkNewID(t, "Create", g.ID)
	eqFields(t, "Create", field{"Version", g.Version, int64(1)}, field{"PartnerID", g.PartnerID, c.partner.ID},
		field{"OrgID", g.OrgID, c.org.ID}, field{"SiteID", g.SiteID, siteID})
	checkStamps(t, "Create", g.CreatedAt, g.UpdatedAt)

	name := uniq("group-renamed")
	updateRoundTrip(t, gs, g, g.ID, eqGroup, groupStamps, func(x *domain.DeviceGroup) { x.Name = name })

	// A group never moves: a changed SiteID or OrgID is ignored or refused.
	moves := map[string]func(*domain.DeviceGroup){
		"OtherSite":  func(g *domain.DeviceGroup) { g.SiteID = otherSite.ID },
		"OrgWide":    func(g *domain.DeviceGroup) { g.SiteID = "" },
		"OtherOrg":   func(g *domain.DeviceGroup) { g.OrgID = otherOrg.ID },
		"CreatedAt":  func(g *domain.DeviceGroup) { g.CreatedAt = longAgo },
		"PartnerID":  func(g *domain.DeviceGroup) { g.PartnerID = domain.NewID() },
		"IntoMySite": func(g *domain.DeviceGroup) { g.SiteID = c.site.ID },
	}
	for name, mutate := range moves {
		t.Run("UpdateKeepsImmutableFields/"+name, func(t *testing.T) {
			cur, err := gs.Get(ctx, global, g.ID)
			must(t, "Get", err)
			in := *cur
			mutate(&in)
			res, err := gs.Update(ctx, global, &in)
			if err == nil {
				eqFields(t, "Update result", field{"OrgID", res.OrgID, c.org.ID}, field{"SiteID", res.SiteID, siteID},
					field{"PartnerID", res.PartnerID, c.partner.ID}, field{"CreatedAt", res.CreatedAt, cur.CreatedAt})
			}
			after, err := gs.Get(ctx, global, g.ID)
			must(t, "Get", err)
			eqFields(t, "stored group", field{"OrgID", after.OrgID, c.org.ID}, field{"SiteID", after.SiteID, siteID},
				field{"PartnerID", after.PartnerID, c.partner.ID}, field{"CreatedAt", after.CreatedAt, cur.CreatedAt})
		})
	}

	deleteAndGone(t, st, kindGroup, g.ID)
}

func eqGroup(t testing.TB, what string, got, want *domain.DeviceGroup) {
	t.Helper()
	eqFields(t, what, field{"ID", got.ID, want.ID}, field{"PartnerID", got.PartnerID, want.PartnerID},
		field{"OrgID", got.OrgID, want.OrgID}, field{"SiteID", got.SiteID, want.SiteID},
		field{"Name", got.Name, want.Name}, field{"Version", got.Version, want.Version},
		field{"CreatedAt", got.CreatedAt, want.CreatedAt}, field{"UpdatedAt", got.UpdatedAt, want.UpdatedAt})
}

func eqDevice(t testing.TB, what string, got, want *domain.Device) {
	t.Helper()
	eqFields(t, what, field{"ID", got.ID, want.ID}, field{"PartnerID", got.PartnerID, want.PartnerID},
		field{"OrgID", got.OrgID, want.OrgID}, field{"SiteID", got.SiteID, want.SiteID},
		field{"GroupID", got.GroupID, want.GroupID}, field{"Hostname", got.Hostname, want.Hostname},
		field{"OS", got.OS, want.OS}, field{"Arch", got.Arch, want.Arch}, field{"Status", got.Status, want.Status},
		field{"LastSeenAt", got.LastSeenAt, want.LastSeenAt}, field{"AgentVersion", got.AgentVersion, want.AgentVersion},
		field{"Version", got.Version, want.Version},
		field{"CreatedAt", got.CreatedAt, want.CreatedAt}, field{"UpdatedAt", got.UpdatedAt, want.UpdatedAt})
	checkUTC(t, what+": LastSeenAt", got.LastSeenAt)
}

func crudDevice(t *testing.T, st ports.Store) {
	ctx := t.Context()
	ds := st.Devices()
	c := newChain(t, st)
	g1 := newGroup(t, st, c.org.ID, c.site.ID)
	gWide := newGroup(t, st, c.org.ID, "")
	otherOrg := newOrg(t, st, c.partner.ID)

	d := deviceIn(c.site.ID, g1.ID)
	must(t, "Create", ds.Create(ctx, global, d))
	checkNewID(t, "Create", d.ID)
	eqFields(t, "Create", field{"Version", d.Version, int64(1)}, field{"PartnerID", d.PartnerID, c.partner.ID},
		field{"OrgID", d.OrgID, c.org.ID}, field{"SiteID", d.SiteID, c.site.ID}, field{"GroupID", d.GroupID, g1.ID})
	checkStamps(t, "Create", d.CreatedAt, d.UpdatedAt)

	// Every mutable field changes, the group to the org-wide one.
	host, lastSeen := uniq("host-renamed"), time.Now().Add(-time.Hour).In(time.FixedZone("UTC+5", 5*3600))
	updateRoundTrip(t, ds, d, d.ID, eqDevice, deviceStamps, func(x *domain.Device) {
		x.Hostname, x.OS, x.Arch = host, "windows", "arm64"
		x.Status, x.AgentVersion, x.GroupID = domain.DeviceOffline, "2.3.4", gWide.ID
		x.LastSeenAt = lastSeen
	})

	t.Run("UpdateLeavesGroupAndClearsLastSeen", func(t *testing.T) {
		cur, err := ds.Get(ctx, global, d.ID)
		must(t, "Get", err)
		in := *cur
		in.GroupID, in.LastSeenAt = "", time.Time{}
		res, err := ds.Update(ctx, global, &in)
		must(t, "Update", err)
		eqFields(t, "Update result", field{"GroupID", res.GroupID, ""}, field{"LastSeenAt", res.LastSeenAt, time.Time{}})
		after, err := ds.Get(ctx, global, d.ID)
		must(t, "Get", err)
		eqDevice(t, "Get after Update", after, res)
	})

	t.Run("UpdateKeepsImmutableFields", func(t *testing.T) {
		cur, err := ds.Get(ctx, global, d.ID)
		must(t, "Get", err)
		in := *cur
		in.OrgID, in.PartnerID, in.CreatedAt = otherOrg.ID, domain.NewID(), longAgo
		res, err := ds.Update(ctx, global, &in)
		if err == nil {
			eqFields(t, "Update result", field{"OrgID", res.OrgID, c.org.ID}, field{"PartnerID", res.PartnerID, c.partner.ID},
				field{"CreatedAt", res.CreatedAt, cur.CreatedAt})
		}
		after, err := ds.Get(ctx, global, d.ID)
		must(t, "Get", err)
		eqFields(t, "stored device", field{"OrgID", after.OrgID, c.org.ID}, field{"PartnerID", after.PartnerID, c.partner.ID},
			field{"CreatedAt", after.CreatedAt, cur.CreatedAt})
	})

	deleteAndGone(t, st, kindDevice, d.ID)
}

func crudDeviceCreate(t *testing.T, st ports.Store) {
	ctx := t.Context()
	ds := st.Devices()
	c := newChain(t, st)

	t.Run("OrgIDGivenAndMatching", func(t *testing.T) {
		d := deviceIn(c.site.ID, "")
		d.OrgID = c.org.ID
		must(t, "Create", ds.Create(ctx, global, d))
		eqFields(t, "Create", field{"OrgID", d.OrgID, c.org.ID}, field{"PartnerID", d.PartnerID, c.partner.ID})
	})
	t.Run("EmptyStatusIsPending", func(t *testing.T) {
		d := deviceIn(c.site.ID, "")
		d.Status = ""
		must(t, "Create", ds.Create(ctx, global, d))
		got, err := ds.Get(ctx, global, d.ID)
		must(t, "Get", err)
		eqFields(t, "Get", field{"Status", got.Status, domain.DevicePending})
	})
	t.Run("ZeroLastSeenAndEmptyOptionalFields", func(t *testing.T) {
		d := &domain.Device{SiteID: c.site.ID, Hostname: uniq("bare"), Status: domain.DevicePending}
		must(t, "Create", ds.Create(ctx, global, d))
		got, err := ds.Get(ctx, global, d.ID)
		must(t, "Get", err)
		eqDevice(t, "Get", got, d)
		if !got.LastSeenAt.IsZero() {
			t.Errorf("LastSeenAt = %v, want zero (never seen)", got.LastSeenAt)
		}
	})
	t.Run("LastSeenInAnotherZoneComesBackUTC", func(t *testing.T) {
		d := deviceIn(c.site.ID, "")
		seen := time.Date(2030, 1, 2, 3, 4, 5, 678901234, time.FixedZone("UTC-7", -7*3600))
		d.LastSeenAt = seen
		must(t, "Create", ds.Create(ctx, global, d))
		got, err := ds.Get(ctx, global, d.ID)
		must(t, "Get", err)
		eqFields(t, "Get", field{"LastSeenAt", got.LastSeenAt, seen})
		checkUTC(t, "Get LastSeenAt", got.LastSeenAt)
	})
	t.Run("CallerChosenIDIsKept", func(t *testing.T) {
		id := domain.NewID()
		d := deviceIn(c.site.ID, "")
		d.ID = id
		must(t, "Create", ds.Create(ctx, global, d))
		eqFields(t, "Create", field{"ID", d.ID, id})
		_, err := ds.Get(ctx, global, id)
		must(t, "Get by the chosen id", err)
	})
	t.Run("UnicodeHostnameRoundTrips", func(t *testing.T) {
		d := deviceIn(c.site.ID, "")
		d.Hostname = uniq("Ünïcødé-主机-🖥")
		must(t, "Create", ds.Create(ctx, global, d))
		got, err := ds.Get(ctx, global, d.ID)
		must(t, "Get", err)
		eqFields(t, "Get", field{"Hostname", got.Hostname, d.Hostname})
	})
}

func crudDeviceUpsert(t *testing.T, st ports.Store) {
	ctx := t.Context()
	ds := st.Devices()
	c := newChain(t, st)
	g := newGroup(t, st, c.org.ID, c.site.ID)

	in := deviceIn(c.site.ID, g.ID)
	in.ID = domain.NewID()
	ins, err := ds.Upsert(ctx, global, in)
	must(t, "Upsert (insert)", err)
	eqFields(t, "Upsert (insert)", field{"ID", ins.ID, in.ID}, field{"Version", ins.Version, int64(1)},
		field{"PartnerID", ins.PartnerID, c.partner.ID}, field{"OrgID", ins.OrgID, c.org.ID},
		field{"SiteID", ins.SiteID, c.site.ID}, field{"GroupID", ins.GroupID, g.ID},
		field{"Hostname", ins.Hostname, in.Hostname}, field{"Status", ins.Status, in.Status},
		field{"LastSeenAt", ins.LastSeenAt, in.LastSeenAt})
	checkStamps(t, "Upsert (insert)", ins.CreatedAt, ins.UpdatedAt)
	got, err := ds.Get(ctx, global, in.ID)
	must(t, "Get after insert", err)
	eqDevice(t, "Get after insert", got, ins)

	// Overwrite without a version check: a stale (zero) version still applies.
	tick()
	over := &domain.Device{
		ID: in.ID, SiteID: c.site.ID, Hostname: uniq("host-upserted"), OS: "darwin", Arch: "arm64",
		Status: domain.DeviceOffline, LastSeenAt: time.Now().UTC(), AgentVersion: "9.9.9",
	}
	res, err := ds.Upsert(ctx, global, over)
	must(t, "Upsert (overwrite)", err)
	want := *over
	want.PartnerID, want.OrgID, want.Version = c.partner.ID, c.org.ID, ins.Version+1
	want.CreatedAt, want.UpdatedAt = ins.CreatedAt, res.UpdatedAt
	eqDevice(t, "Upsert (overwrite) result", res, &want)
	if !res.UpdatedAt.After(ins.UpdatedAt) {
		t.Errorf("Upsert: UpdatedAt %v not after previous %v", res.UpdatedAt, ins.UpdatedAt)
	}
	again, err := ds.Get(ctx, global, in.ID)
	must(t, "Get after overwrite", err)
	eqDevice(t, "Get after overwrite", again, res)

	t.Run("StaleVersionIsIgnored", func(t *testing.T) {
		cur, err := ds.Get(ctx, global, in.ID)
		must(t, "Get", err)
		stale := *cur
		stale.Version = 1
		stale.Hostname = uniq("host-again")
		res, err := ds.Upsert(ctx, global, &stale)
		must(t, "Upsert", err)
		eqFields(t, "Upsert", field{"Version", res.Version, cur.Version + 1}, field{"Hostname", res.Hostname, stale.Hostname})
	})
}

func partnerStamps(x *domain.Partner) stamps  { return stamps{&x.Version, &x.CreatedAt, &x.UpdatedAt} }
func orgStamps(x *domain.Organization) stamps { return stamps{&x.Version, &x.CreatedAt, &x.UpdatedAt} }
func siteStamps(x *domain.Site) stamps        { return stamps{&x.Version, &x.CreatedAt, &x.UpdatedAt} }
func groupStamps(x *domain.DeviceGroup) stamps {
	return stamps{&x.Version, &x.CreatedAt, &x.UpdatedAt}
}
func deviceStamps(x *domain.Device) stamps { return stamps{&x.Version, &x.CreatedAt, &x.UpdatedAt} }
