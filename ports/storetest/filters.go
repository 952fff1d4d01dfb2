package storetest

import (
	"fmt"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// drain pages through a list two rows at a time (so every filter is also
// checked across cursors) and returns the ids.
func drain[T any](t testing.TB, what string, fn func(domain.PageRequest) (domain.Page[T], error), id func(T) string) []string {
	t.Helper()
	var ids []string
	cursor := ""
	for range maxPages {
		p, err := fn(domain.PageRequest{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if len(p.Items) > 2 {
			t.Fatalf("%s: %d items on a page of 2", what, len(p.Items))
		}
		for _, v := range p.Items {
			ids = append(ids, id(v))
		}
		if p.NextCursor == "" {
			return ids
		}
		cursor = p.NextCursor
	}
	t.Fatalf("%s: list did not end", what)
	return nil
}

func testFilters(t *testing.T, st ports.Store) {
	t.Run("Devices", func(t *testing.T) { filterDevices(t, st) })
	t.Run("DeviceKinds", func(t *testing.T) { deviceKinds(t, st) })
	t.Run("Orgs", func(t *testing.T) { filterOrgs(t, st) })
	t.Run("Sites", func(t *testing.T) { filterSites(t, st) })
	t.Run("Groups", func(t *testing.T) { filterGroups(t, st) })
}

func filterDevices(t *testing.T, st ports.Store) {
	p := newPartner(t, st)
	orgA, orgB := newOrg(t, st, p.ID), newOrg(t, st, p.ID)
	s1, s2, s3 := newSite(t, st, orgA.ID), newSite(t, st, orgA.ID), newSite(t, st, orgB.ID)
	g1, gw, g3 := newGroup(t, st, orgA.ID, s1.ID), newGroup(t, st, orgA.ID, ""), newGroup(t, st, orgB.ID, s3.ID)

	mk := func(host string, site *domain.Site, group *domain.DeviceGroup, status domain.DeviceStatus, os string) string {
		d := deviceIn(site.ID, "")
		if group != nil {
			d.GroupID = group.ID
		}
		d.Hostname, d.Status, d.OS = host, status, os
		must(t, "create device "+host, st.Devices().Create(t.Context(), global, d))
		return d.ID
	}
	on, off := domain.DeviceOnline, domain.DeviceOffline
	d1 := mk("Web-Server-01", s1, g1, on, "linux")
	d2 := mk("web-server-02", s1, gw, off, "windows")
	d3 := mk("DB-Primary", s2, nil, domain.DevicePending, "linux")
	d4 := mk("disk%full", s2, gw, on, "darwin")
	d5 := mk("a_b", s3, g3, domain.DeviceDecommissioned, "linux")
	d6 := mk("axb", s3, nil, on, "windows")
	d7 := mk(`back\slash`, s1, nil, on, "linux")
	d8 := mk("ÜBER-host", s2, nil, off, "linux")
	d9 := mk("quote'host", s1, nil, on, "linux")
	all := []string{d1, d2, d3, d4, d5, d6, d7, d8, d9}

	cases := []struct {
		name string
		f    ports.DeviceFilter
		want []string
	}{
		{"None", ports.DeviceFilter{}, all},
		{"OrgA", ports.DeviceFilter{OrgID: orgA.ID}, []string{d1, d2, d3, d4, d7, d8, d9}},
		{"OrgB", ports.DeviceFilter{OrgID: orgB.ID}, []string{d5, d6}},
		{"Site1", ports.DeviceFilter{SiteID: s1.ID}, []string{d1, d2, d7, d9}},
		{"Site3", ports.DeviceFilter{SiteID: s3.ID}, []string{d5, d6}},
		{"SiteGroup", ports.DeviceFilter{GroupID: g1.ID}, []string{d1}},
		{"OrgWideGroup", ports.DeviceFilter{GroupID: gw.ID}, []string{d2, d4}},
		{"GroupOfOrgB", ports.DeviceFilter{GroupID: g3.ID}, []string{d5}},
		{"StatusOnline", ports.DeviceFilter{Status: on}, []string{d1, d4, d6, d7, d9}},
		{"StatusOffline", ports.DeviceFilter{Status: off}, []string{d2, d8}},
		{"StatusPending", ports.DeviceFilter{Status: domain.DevicePending}, []string{d3}},
		{"StatusDecommissioned", ports.DeviceFilter{Status: domain.DeviceDecommissioned}, []string{d5}},
		{"OSLinux", ports.DeviceFilter{OS: "linux"}, []string{d1, d3, d5, d7, d8, d9}},
		{"OSWindows", ports.DeviceFilter{OS: "windows"}, []string{d2, d6}},
		{"OSDarwin", ports.DeviceFilter{OS: "darwin"}, []string{d4}},
		{"QueryLowerCase", ports.DeviceFilter{Query: "server"}, []string{d1, d2}},
		{"QueryUpperCase", ports.DeviceFilter{Query: "WEB-SERVER"}, []string{d1, d2}},
		{"QueryMixedCaseInfix", ports.DeviceFilter{Query: "b-pRiM"}, []string{d3}},
		{"QuerySuffix", ports.DeviceFilter{Query: "-01"}, []string{d1}},
		{"QueryPercentIsLiteral", ports.DeviceFilter{Query: "%"}, []string{d4}},
		{"QueryPercentInsideIsLiteral", ports.DeviceFilter{Query: "a%b"}, nil},
		{"QueryUnderscoreIsLiteral", ports.DeviceFilter{Query: "_"}, []string{d5}},
		{"QueryUnderscoreInsideIsLiteral", ports.DeviceFilter{Query: "a_b"}, []string{d5}},
		{"QueryBackslashIsLiteral", ports.DeviceFilter{Query: `\`}, []string{d7}},
		{"QueryBackslashEscapeIsLiteral", ports.DeviceFilter{Query: `k\s`}, []string{d7}},
		{"QueryBackslashPercent", ports.DeviceFilter{Query: `\%`}, nil},
		{"QueryQuote", ports.DeviceFilter{Query: "'"}, []string{d9}},
		{"QueryInjection", ports.DeviceFilter{Query: "' OR '1'='1"}, nil},
		{"QueryNonASCII", ports.DeviceFilter{Query: "ÜBER"}, []string{d8}},
		{"QueryNoMatch", ports.DeviceFilter{Query: "zzz-none"}, nil},
		{"OrgAndStatus", ports.DeviceFilter{OrgID: orgA.ID, Status: on}, []string{d1, d4, d7, d9}},
		{"SiteOSQuery", ports.DeviceFilter{SiteID: s1.ID, OS: "linux", Query: "SERVER"}, []string{d1}},
		{"GroupAndStatus", ports.DeviceFilter{GroupID: gw.ID, Status: off}, []string{d2}},
		{"ContradictoryOrgAndSite", ports.DeviceFilter{OrgID: orgB.ID, SiteID: s1.ID}, nil},
		{"UnknownSite", ports.DeviceFilter{SiteID: domain.NewID()}, nil},
	}
	for _, tc := range cases {
		scopes := map[string]domain.Scope{"PartnerScope": {PartnerIDs: []string{p.ID}}}
		if tc.f.OrgID != "" || tc.f.SiteID != "" || tc.f.GroupID != "" {
			// Pinned to this fixture's tenants, so exact under Global too.
			scopes["GlobalScope"] = global
		}
		for scName, sc := range scopes {
			t.Run(scName+"/"+tc.name, func(t *testing.T) {
				got := drain(t, fmt.Sprintf("List %+v", tc.f), func(r domain.PageRequest) (domain.Page[*domain.Device], error) {
					return st.Devices().List(t.Context(), sc, tc.f, r)
				}, func(d *domain.Device) string { return d.ID })
				wantIDs(t, "List", got, tc.want)
			})
		}
	}
}

func filterOrgs(t *testing.T, st ports.Store) {
	ctx := t.Context()
	p, q := newPartner(t, st), newPartner(t, st)
	mk := func(partner *domain.Partner, name string) string {
		o := &domain.Organization{PartnerID: partner.ID, Name: name}
		must(t, "create org "+name, st.Orgs().Create(ctx, global, o))
		return o.ID
	}
	acme, labs, zen, pct, xy, xzy := mk(p, "Acme Corp"), mk(p, "acme labs"), mk(p, "Zenith"), mk(p, "100% Uptime"), mk(p, "x_y"), mk(p, "xzy")
	other := mk(q, "Acme Other")
	both := domain.Scope{PartnerIDs: []string{p.ID, q.ID}}
	cases := []struct {
		name string
		sc   domain.Scope
		f    ports.OrgFilter
		want []string
	}{
		{"Partner", global, ports.OrgFilter{PartnerID: p.ID}, []string{acme, labs, zen, pct, xy, xzy}},
		{"OtherPartner", global, ports.OrgFilter{PartnerID: q.ID}, []string{other}},
		{"PartnerAndQuery", global, ports.OrgFilter{PartnerID: p.ID, Query: "ACME"}, []string{acme, labs}},
		{"QueryAcrossScope", both, ports.OrgFilter{Query: "acme"}, []string{acme, labs, other}},
		{"QueryPercentIsLiteral", both, ports.OrgFilter{Query: "%"}, []string{pct}},
		{"QueryUnderscoreIsLiteral", both, ports.OrgFilter{Query: "x_y"}, []string{xy}},
		{"ScopeOnly", domain.Scope{PartnerIDs: []string{q.ID}}, ports.OrgFilter{}, []string{other}},
		{"FilterOutsideScope", domain.Scope{PartnerIDs: []string{q.ID}}, ports.OrgFilter{PartnerID: p.ID}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := drain(t, "List", func(r domain.PageRequest) (domain.Page[*domain.Organization], error) {
				return st.Orgs().List(ctx, tc.sc, tc.f, r)
			}, func(o *domain.Organization) string { return o.ID })
			wantIDs(t, "List", got, tc.want)
		})
	}
}

func filterSites(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	other := newOrg(t, st, c.partner.ID)
	mk := func(orgID, name string) string {
		s := &domain.Site{OrgID: orgID, Name: name}
		must(t, "create site "+name, st.Sites().Create(ctx, global, s))
		return s.ID
	}
	hq, annex, berlin, pct := mk(c.org.ID, "Paris HQ"), mk(c.org.ID, "paris annex"), mk(c.org.ID, "Berlin"), mk(c.org.ID, "50% Off")
	po := mk(other.ID, "Paris Other")
	cases := []struct {
		name string
		sc   domain.Scope
		f    ports.SiteFilter
		want []string
	}{
		{"Org", global, ports.SiteFilter{OrgID: c.org.ID}, []string{c.site.ID, hq, annex, berlin, pct}},
		{"OtherOrg", global, ports.SiteFilter{OrgID: other.ID}, []string{po}},
		{"OrgAndQuery", global, ports.SiteFilter{OrgID: c.org.ID, Query: "PARIS"}, []string{hq, annex}},
		{"QueryInPartner", c.scope(), ports.SiteFilter{Query: "paris"}, []string{hq, annex, po}},
		{"QueryPercentIsLiteral", c.scope(), ports.SiteFilter{Query: "%"}, []string{pct}},
		{"FilterOutsideScope", domain.Scope{OrgIDs: []string{other.ID}}, ports.SiteFilter{OrgID: c.org.ID}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := drain(t, "List", func(r domain.PageRequest) (domain.Page[*domain.Site], error) {
				return st.Sites().List(ctx, tc.sc, tc.f, r)
			}, func(s *domain.Site) string { return s.ID })
			wantIDs(t, "List", got, tc.want)
		})
	}
}

func filterGroups(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	s2 := newSite(t, st, c.org.ID)
	orgB := newOrg(t, st, c.partner.ID)
	mk := func(orgID, siteID, name string) string {
		g := &domain.DeviceGroup{OrgID: orgID, SiteID: siteID, Name: name}
		must(t, "create group "+name, st.DeviceGroups().Create(ctx, global, g))
		return g.ID
	}
	servers, serversS1 := mk(c.org.ID, "", "Servers"), mk(c.org.ID, c.site.ID, "servers-s1")
	laptops, pct := mk(c.org.ID, s2.ID, "Laptops"), mk(c.org.ID, s2.ID, "10%")
	serversB := mk(orgB.ID, "", "Servers")
	cases := []struct {
		name string
		sc   domain.Scope
		f    ports.DeviceGroupFilter
		want []string
	}{
		{"Org", global, ports.DeviceGroupFilter{OrgID: c.org.ID}, []string{servers, serversS1, laptops, pct}},
		{"OtherOrg", global, ports.DeviceGroupFilter{OrgID: orgB.ID}, []string{serversB}},
		{"SiteExcludesOrgWide", global, ports.DeviceGroupFilter{SiteID: c.site.ID}, []string{serversS1}},
		{"Site2", global, ports.DeviceGroupFilter{SiteID: s2.ID}, []string{laptops, pct}},
		{"OrgAndSite", global, ports.DeviceGroupFilter{OrgID: c.org.ID, SiteID: s2.ID}, []string{laptops, pct}},
		{"OrgAndQuery", global, ports.DeviceGroupFilter{OrgID: c.org.ID, Query: "SERVER"}, []string{servers, serversS1}},
		{"QueryInPartner", c.scope(), ports.DeviceGroupFilter{Query: "servers"}, []string{servers, serversS1, serversB}},
		{"QueryPercentIsLiteral", c.scope(), ports.DeviceGroupFilter{Query: "%"}, []string{pct}},
		{"ContradictoryOrgAndSite", global, ports.DeviceGroupFilter{OrgID: orgB.ID, SiteID: s2.ID}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := drain(t, "List", func(r domain.PageRequest) (domain.Page[*domain.DeviceGroup], error) {
				return st.DeviceGroups().List(ctx, tc.sc, tc.f, r)
			}, func(g *domain.DeviceGroup) string { return g.ID })
			wantIDs(t, "List", got, tc.want)
		})
	}
}
