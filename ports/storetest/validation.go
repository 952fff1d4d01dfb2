package storetest

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// badNames break domain.ValidateName: blank, too long, control characters.
func badNames() map[string]string {
	return map[string]string{
		"Empty":        "",
		"Blank":        "   ",
		"TooLong":      strings.Repeat("é", 190) + uniq(""), // 201 runes
		"NUL":          "bad\x00name",
		"Tab":          "tab\tname",
		"Newline":      "new\nline",
		"DEL":          "del\x7fname",
		"OnlyNewlines": "\n\n",
	}
}

// longestName is exactly 200 runes (400+ bytes): valid, and must fit.
func longestName() string {
	n := strings.Repeat("é", 189) + uniq("")
	if utf8.RuneCountInString(n) != 200 {
		panic("storetest: longestName is not 200 runes")
	}
	return n
}

func testValidation(t *testing.T, st ports.Store) {
	t.Run("Names", func(t *testing.T) { validationNames(t, st) })
	t.Run("Device", func(t *testing.T) { validationDevice(t, st) })
	t.Run("SiteTimezoneTooLong", func(t *testing.T) {
		ctx := t.Context()
		c := newChain(t, st)
		s := &domain.Site{OrgID: c.org.ID, Name: uniq("site"), Timezone: strings.Repeat("x", 65)}
		wantIs(t, "Create", st.Sites().Create(ctx, global, s), domain.ErrInvalid)
		before := snapshot(t, st, kindSite, c.site.ID)
		in := *c.site
		in.Timezone = strings.Repeat("x", 65)
		_, err := st.Sites().Update(ctx, global, &in)
		wantIs(t, "Update", err, domain.ErrInvalid)
		if after := snapshot(t, st, kindSite, c.site.ID); after != before {
			t.Errorf("rejected Update changed the site:\n before %s\n after  %s", before, after)
		}
		wantOnly(t, st, domain.Scope{OrgIDs: []string{c.org.ID}}, kindSite, ref{}, c.site.ID)
	})
	t.Run("MissingOrUnknownParent", func(t *testing.T) { validationParents(t, st) })
	t.Run("GroupSiteInAnotherOrg", func(t *testing.T) {
		ctx := t.Context()
		c := newChain(t, st)
		other := newOrg(t, st, c.partner.ID)
		g := &domain.DeviceGroup{OrgID: other.ID, SiteID: c.site.ID, Name: uniq("group")}
		wantOneOf(t, "Create", st.DeviceGroups().Create(ctx, global, g), domain.ErrInvalid, domain.ErrNotFound)
		wantOnly(t, st, global, kindGroup, ref{OrgID: other.ID})
		wantOnly(t, st, global, kindGroup, ref{SiteID: c.site.ID})
	})
}

// wantOnly asserts a list holds exactly ids (all pages).
func wantOnly(t testing.TB, st ports.Store, sc domain.Scope, k kind, f ref, ids ...string) {
	t.Helper()
	got, err := listAll(t.Context(), st, sc, k, f)
	if err != nil {
		t.Errorf("List %s %+v: %v", k, f, err)
		return
	}
	wantIDs(t, "List "+k.String(), got, ids)
}

func validationNames(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	g := newGroup(t, st, c.org.ID, c.site.ID)
	d := newDevice(t, st, c.site.ID, g.ID)

	// create tries a Create with the given name; update an Update of the
	// chain's row of that kind.
	type entity struct {
		k      kind
		id     string
		create func(name string) error
		update func(name string) error
		scope  domain.Scope
		parent ref
	}
	entities := []entity{
		{kindPartner, c.partner.ID,
			func(n string) error { return st.Partners().Create(ctx, global, &domain.Partner{Name: n}) },
			func(n string) error {
				in := *c.partner
				in.Name = n
				_, err := st.Partners().Update(ctx, global, &in)
				return err
			}, c.scope(), ref{}},
		{kindOrg, c.org.ID,
			func(n string) error {
				return st.Orgs().Create(ctx, global, &domain.Organization{PartnerID: c.partner.ID, Name: n})
			},
			func(n string) error {
				in := *c.org
				in.Name = n
				_, err := st.Orgs().Update(ctx, global, &in)
				return err
			}, c.scope(), ref{PartnerID: c.partner.ID}},
		{kindSite, c.site.ID,
			func(n string) error { return st.Sites().Create(ctx, global, &domain.Site{OrgID: c.org.ID, Name: n}) },
			func(n string) error {
				in := *c.site
				in.Name = n
				_, err := st.Sites().Update(ctx, global, &in)
				return err
			}, c.scope(), ref{OrgID: c.org.ID}},
		{kindGroup, g.ID,
			func(n string) error {
				return st.DeviceGroups().Create(ctx, global, &domain.DeviceGroup{OrgID: c.org.ID, SiteID: c.site.ID, Name: n})
			},
			func(n string) error {
				in := *g
				in.Name = n
				_, err := st.DeviceGroups().Update(ctx, global, &in)
				return err
			}, c.scope(), ref{OrgID: c.org.ID}},
		{kindDevice, d.ID,
			func(n string) error {
				in := deviceIn(c.site.ID, "")
				in.Hostname = n
				return st.Devices().Create(ctx, global, in)
			},
			func(n string) error {
				in := *d
				in.Hostname = n
				_, err := st.Devices().Update(ctx, global, &in)
				return err
			}, c.scope(), ref{OrgID: c.org.ID}},
	}
	for _, e := range entities {
		t.Run(e.k.String(), func(t *testing.T) {
			for name, bad := range badNames() {
				t.Run(name, func(t *testing.T) {
					wantIs(t, "Create", e.create(bad), domain.ErrInvalid)
					before := snapshot(t, st, e.k, e.id)
					wantIs(t, "Update", e.update(bad), domain.ErrInvalid)
					if after := snapshot(t, st, e.k, e.id); after != before {
						t.Errorf("rejected Update changed the row:\n before %s\n after  %s", before, after)
					}
				})
			}
			// Nothing was created by the rejected Creates.
			wantOnly(t, st, e.scope, e.k, e.parent, e.id)
			t.Run("200RunesIsValid", func(t *testing.T) {
				must(t, "Create with a 200-rune name", e.create(longestName()))
			})
		})
	}
}

func validationDevice(t *testing.T, st ports.Store) {
	ctx := t.Context()
	ds := st.Devices()
	c := newChain(t, st)
	s2 := newSite(t, st, c.org.ID)
	g1 := newGroup(t, st, c.org.ID, c.site.ID)
	g2 := newGroup(t, st, c.org.ID, s2.ID) // a group of another site of the same org
	otherOrg := newOrg(t, st, c.partner.ID)
	otherOrgSite := newSite(t, st, otherOrg.ID)
	gOther := newGroup(t, st, otherOrg.ID, otherOrgSite.ID)
	gOtherWide := newGroup(t, st, otherOrg.ID, "")
	foreign := newChain(t, st)
	d := newDevice(t, st, c.site.ID, g1.ID)

	cases := []struct {
		name   string
		mutate func(*domain.Device)
		want   []error
	}{
		{"UnknownStatus", func(d *domain.Device) { d.Status = "bogus" }, []error{domain.ErrInvalid}},
		{"StatusWrongCase", func(d *domain.Device) { d.Status = "ONLINE" }, []error{domain.ErrInvalid}},
		{"StatusWithSpace", func(d *domain.Device) { d.Status = " online" }, []error{domain.ErrInvalid}},
		{"OSTooLong", func(d *domain.Device) { d.OS = strings.Repeat("o", 33) }, []error{domain.ErrInvalid}},
		{"ArchTooLong", func(d *domain.Device) { d.Arch = strings.Repeat("a", 33) }, []error{domain.ErrInvalid}},
		{"AgentVersionTooLong", func(d *domain.Device) { d.AgentVersion = strings.Repeat("1", 65) }, []error{domain.ErrInvalid}},
		{"GroupOfAnotherSite", func(d *domain.Device) { d.GroupID = g2.ID }, []error{domain.ErrInvalid}},
		{"GroupOfAnotherOrg", func(d *domain.Device) { d.GroupID = gOther.ID }, []error{domain.ErrInvalid, domain.ErrNotFound}},
		{"OrgWideGroupOfAnotherOrg", func(d *domain.Device) { d.GroupID = gOtherWide.ID }, []error{domain.ErrInvalid, domain.ErrNotFound}},
		{"UnknownGroup", func(d *domain.Device) { d.GroupID = domain.NewID() }, []error{domain.ErrInvalid, domain.ErrNotFound}},
		{"MalformedGroup", func(d *domain.Device) { d.GroupID = "'; DROP TABLE devices; --" }, []error{domain.ErrInvalid, domain.ErrNotFound}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := deviceIn(c.site.ID, "")
			tc.mutate(in)
			wantOneOf(t, "Create", ds.Create(ctx, global, in), tc.want...)

			up := deviceIn(c.site.ID, "")
			up.ID = domain.NewID()
			tc.mutate(up)
			_, err := ds.Upsert(ctx, global, up)
			wantOneOf(t, "Upsert (insert)", err, tc.want...)
			_, err = ds.Get(ctx, global, up.ID)
			wantIs(t, "Get after a rejected Upsert", err, domain.ErrNotFound)

			before := snapshot(t, st, kindDevice, d.ID)
			cur, err := ds.Get(ctx, global, d.ID)
			must(t, "Get", err)
			tc.mutate(cur)
			_, err = ds.Update(ctx, global, cur)
			wantOneOf(t, "Update", err, tc.want...)
			cur, err = ds.Get(ctx, global, d.ID)
			must(t, "Get", err)
			tc.mutate(cur)
			_, err = ds.Upsert(ctx, global, cur)
			wantOneOf(t, "Upsert (overwrite)", err, tc.want...)
			if after := snapshot(t, st, kindDevice, d.ID); after != before {
				t.Errorf("rejected writes changed the device:\n before %s\n after  %s", before, after)
			}
		})
	}

	t.Run("CreateWithOrgIDNotTheSitesOrg", func(t *testing.T) {
		for name, orgID := range map[string]string{"SamePartner": otherOrg.ID, "OtherPartner": foreign.org.ID} {
			in := deviceIn(c.site.ID, "")
			in.OrgID = orgID
			wantIs(t, name+": Create", ds.Create(ctx, global, in), domain.ErrInvalid)
			up := deviceIn(c.site.ID, "")
			up.ID, up.OrgID = domain.NewID(), orgID
			_, err := ds.Upsert(ctx, global, up)
			wantIs(t, name+": Upsert", err, domain.ErrInvalid)
		}
	})
	t.Run("UpsertWithoutID", func(t *testing.T) {
		_, err := ds.Upsert(ctx, global, deviceIn(c.site.ID, ""))
		wantIs(t, "Upsert", err, domain.ErrInvalid)
	})
	t.Run("UpsertWithMalformedID", func(t *testing.T) {
		for _, id := range malformedIDs(d.ID)[1:] {
			before := snapshot(t, st, kindDevice, d.ID)
			in := deviceIn(c.site.ID, "")
			in.ID = id
			_, err := ds.Upsert(ctx, global, in)
			wantOneOf(t, "Upsert "+id, err, domain.ErrInvalid, domain.ErrNotFound)
			if after := snapshot(t, st, kindDevice, d.ID); after != before {
				t.Errorf("Upsert with %q changed device %s:\n before %s\n after  %s", id, d.ID, before, after)
			}
		}
	})
	// None of the rejected writes left a device behind (only d and nothing in the other org).
	t.Run("NothingCreated", func(t *testing.T) {
		wantOnly(t, st, c.scope(), kindDevice, ref{}, d.ID)
		wantOnly(t, st, foreign.scope(), kindDevice, ref{})
	})
}

func validationParents(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	unknown := domain.NewID()
	t.Run("OrgWithoutPartner", func(t *testing.T) {
		err := st.Orgs().Create(ctx, global, &domain.Organization{Name: uniq("org")})
		wantOneOf(t, "Create", err, domain.ErrInvalid, domain.ErrNotFound)
	})
	t.Run("OrgUnderUnknownPartner", func(t *testing.T) {
		err := st.Orgs().Create(ctx, global, &domain.Organization{PartnerID: unknown, Name: uniq("org")})
		wantIs(t, "Create", err, domain.ErrNotFound)
	})
	t.Run("SiteWithoutOrg", func(t *testing.T) {
		err := st.Sites().Create(ctx, global, &domain.Site{Name: uniq("site")})
		wantOneOf(t, "Create", err, domain.ErrInvalid, domain.ErrNotFound)
	})
	t.Run("SiteUnderUnknownOrg", func(t *testing.T) {
		err := st.Sites().Create(ctx, global, &domain.Site{OrgID: unknown, Name: uniq("site")})
		wantIs(t, "Create", err, domain.ErrNotFound)
	})
	t.Run("GroupWithoutOrg", func(t *testing.T) {
		err := st.DeviceGroups().Create(ctx, global, &domain.DeviceGroup{Name: uniq("group")})
		wantOneOf(t, "Create", err, domain.ErrInvalid, domain.ErrNotFound)
	})
	t.Run("GroupUnderUnknownOrg", func(t *testing.T) {
		err := st.DeviceGroups().Create(ctx, global, &domain.DeviceGroup{OrgID: unknown, Name: uniq("group")})
		wantIs(t, "Create", err, domain.ErrNotFound)
	})
	t.Run("GroupInUnknownSite", func(t *testing.T) {
		err := st.DeviceGroups().Create(ctx, global, &domain.DeviceGroup{OrgID: c.org.ID, SiteID: unknown, Name: uniq("group")})
		wantOneOf(t, "Create", err, domain.ErrNotFound, domain.ErrInvalid)
	})
	t.Run("DeviceWithoutSite", func(t *testing.T) {
		d := deviceIn("", "")
		d.OrgID = c.org.ID
		wantOneOf(t, "Create", st.Devices().Create(ctx, global, d), domain.ErrInvalid, domain.ErrNotFound)
	})
	t.Run("DeviceInUnknownSite", func(t *testing.T) {
		wantIs(t, "Create", st.Devices().Create(ctx, global, deviceIn(unknown, "")), domain.ErrNotFound)
		d := deviceIn(unknown, "")
		d.ID = domain.NewID()
		_, err := st.Devices().Upsert(ctx, global, d)
		wantIs(t, "Upsert", err, domain.ErrNotFound)
	})
	t.Run("DeviceInMalformedSite", func(t *testing.T) {
		err := st.Devices().Create(ctx, global, deviceIn("'; DROP TABLE devices; --", ""))
		wantOneOf(t, "Create", err, domain.ErrNotFound, domain.ErrInvalid)
	})
	t.Run("NothingCreated", func(t *testing.T) {
		wantOnly(t, st, c.scope(), kindOrg, ref{}, c.org.ID)
		wantOnly(t, st, c.scope(), kindSite, ref{}, c.site.ID)
		wantOnly(t, st, c.scope(), kindGroup, ref{})
		wantOnly(t, st, c.scope(), kindDevice, ref{})
	})
}
