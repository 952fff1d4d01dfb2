package storetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

func testConflicts(t *testing.T, st ports.Store) {
	t.Run("UniqueNames", func(t *testing.T) { conflictNames(t, st) })
	t.Run("DeviceIDTaken", func(t *testing.T) {
		c := newChain(t, st)
		d := newDevice(t, st, c.site.ID, "")
		before := snapshot(t, st, kindDevice, d.ID)
		dup := deviceIn(c.site.ID, "")
		dup.ID = d.ID
		wantIs(t, "Create with a taken id", st.Devices().Create(t.Context(), global, dup), domain.ErrConflict)
		if after := snapshot(t, st, kindDevice, d.ID); after != before {
			t.Errorf("rejected Create changed the device:\n before %s\n after  %s", before, after)
		}
	})
	t.Run("StaleVersion", func(t *testing.T) { conflictVersions(t, st) })
	t.Run("DeleteWithChildren", func(t *testing.T) { conflictChildren(t, st) })
}

func conflictNames(t *testing.T, st ports.Store) {
	ctx := t.Context()
	renameTo := func(t *testing.T, k kind, id, name string) error {
		t.Helper()
		var err error
		switch k {
		case kindPartner:
			p, gerr := st.Partners().Get(ctx, global, id)
			must(t, "Get", gerr)
			p.Name = name
			_, err = st.Partners().Update(ctx, global, p)
		case kindOrg:
			o, gerr := st.Orgs().Get(ctx, global, id)
			must(t, "Get", gerr)
			o.Name = name
			_, err = st.Orgs().Update(ctx, global, o)
		case kindSite:
			s, gerr := st.Sites().Get(ctx, global, id)
			must(t, "Get", gerr)
			s.Name = name
			_, err = st.Sites().Update(ctx, global, s)
		case kindGroup:
			g, gerr := st.DeviceGroups().Get(ctx, global, id)
			must(t, "Get", gerr)
			g.Name = name
			_, err = st.DeviceGroups().Update(ctx, global, g)
		}
		return err
	}
	// dupe asserts that making or renaming a second row to name (exact and
	// upper-cased) is ErrConflict and changes nothing.
	dupe := func(t *testing.T, k kind, create func(name string) error, other, name string) {
		t.Helper()
		for _, n := range []string{name, strings.ToUpper(name)} {
			wantIs(t, "Create duplicate "+n, create(n), domain.ErrConflict)
			before := snapshot(t, st, k, other)
			wantIs(t, "rename to duplicate "+n, renameTo(t, k, other, n), domain.ErrConflict)
			if after := snapshot(t, st, k, other); after != before {
				t.Errorf("rejected rename changed the row:\n before %s\n after  %s", before, after)
			}
		}
	}

	t.Run("Partner", func(t *testing.T) {
		p, other := newPartner(t, st), newPartner(t, st)
		dupe(t, kindPartner, func(n string) error {
			return st.Partners().Create(ctx, global, &domain.Partner{Name: n})
		}, other.ID, p.Name)
	})
	t.Run("OrgWithinPartner", func(t *testing.T) {
		p, q := newPartner(t, st), newPartner(t, st)
		o, other := newOrg(t, st, p.ID), newOrg(t, st, p.ID)
		dupe(t, kindOrg, func(n string) error {
			return st.Orgs().Create(ctx, global, &domain.Organization{PartnerID: p.ID, Name: n})
		}, other.ID, o.Name)
		must(t, "same org name under another partner", st.Orgs().Create(ctx, global, &domain.Organization{PartnerID: q.ID, Name: o.Name}))
	})
	t.Run("SiteWithinOrg", func(t *testing.T) {
		c := newChain(t, st)
		other := newSite(t, st, c.org.ID)
		org2 := newOrg(t, st, c.partner.ID)
		dupe(t, kindSite, func(n string) error {
			return st.Sites().Create(ctx, global, &domain.Site{OrgID: c.org.ID, Name: n})
		}, other.ID, c.site.Name)
		must(t, "same site name in another org", st.Sites().Create(ctx, global, &domain.Site{OrgID: org2.ID, Name: c.site.Name}))
	})
	t.Run("OrgWideGroupWithinOrg", func(t *testing.T) {
		c := newChain(t, st)
		g, other := newGroup(t, st, c.org.ID, ""), newGroup(t, st, c.org.ID, "")
		dupe(t, kindGroup, func(n string) error {
			return st.DeviceGroups().Create(ctx, global, &domain.DeviceGroup{OrgID: c.org.ID, Name: n})
		}, other.ID, g.Name)
	})
	t.Run("SiteGroupWithinSite", func(t *testing.T) {
		c := newChain(t, st)
		g, other := newGroup(t, st, c.org.ID, c.site.ID), newGroup(t, st, c.org.ID, c.site.ID)
		dupe(t, kindGroup, func(n string) error {
			return st.DeviceGroups().Create(ctx, global, &domain.DeviceGroup{OrgID: c.org.ID, SiteID: c.site.ID, Name: n})
		}, other.ID, g.Name)
	})
	t.Run("GroupNameFreeElsewhere", func(t *testing.T) {
		c := newChain(t, st)
		s2 := newSite(t, st, c.org.ID)
		org2 := newOrg(t, st, c.partner.ID)
		name := uniq("group")
		for _, g := range []*domain.DeviceGroup{
			{OrgID: c.org.ID, SiteID: c.site.ID, Name: name},
			{OrgID: c.org.ID, SiteID: s2.ID, Name: name}, // another site
			{OrgID: c.org.ID, Name: name},                // org-wide in the same org
			{OrgID: org2.ID, Name: name},                 // another org
		} {
			must(t, "Create group "+name+" in site "+g.SiteID, st.DeviceGroups().Create(ctx, global, g))
		}
	})
}

func conflictVersions(t *testing.T, st ports.Store) {
	tr := buildTree(t, st)
	for _, l := range []string{"P1", "A", "S1", "GA", "G1", "D1"} {
		n := tr.byLabel[l]
		t.Run(n.kind.String(), func(t *testing.T) {
			must(t, "first Update", rename(t, st, global, n.kind, n.id)) // now at version 2
			cur := snapshot(t, st, n.kind, n.id)
			for _, v := range []int64{1, 3, 0, -1} {
				err := updateAtVersion(t, st, n.kind, n.id, v)
				wantIs(t, fmt.Sprintf("Update with version %d (stored 2)", v), err, domain.ErrConflict)
				if after := snapshot(t, st, n.kind, n.id); after != cur {
					t.Errorf("stale Update changed the row:\n before %s\n after  %s", cur, after)
				}
			}
		})
	}
}

// updateAtVersion renames a row claiming version v.
func updateAtVersion(t *testing.T, st ports.Store, k kind, id string, v int64) error {
	t.Helper()
	ctx := t.Context()
	var err error
	switch k {
	case kindPartner:
		p, gerr := st.Partners().Get(ctx, global, id)
		must(t, "Get", gerr)
		p.Name, p.Version = uniq("stale"), v
		_, err = st.Partners().Update(ctx, global, p)
	case kindOrg:
		o, gerr := st.Orgs().Get(ctx, global, id)
		must(t, "Get", gerr)
		o.Name, o.Version = uniq("stale"), v
		_, err = st.Orgs().Update(ctx, global, o)
	case kindSite:
		s, gerr := st.Sites().Get(ctx, global, id)
		must(t, "Get", gerr)
		s.Name, s.Version = uniq("stale"), v
		_, err = st.Sites().Update(ctx, global, s)
	case kindGroup:
		g, gerr := st.DeviceGroups().Get(ctx, global, id)
		must(t, "Get", gerr)
		g.Name, g.Version = uniq("stale"), v
		_, err = st.DeviceGroups().Update(ctx, global, g)
	case kindDevice:
		d, gerr := st.Devices().Get(ctx, global, id)
		must(t, "Get", gerr)
		d.Hostname, d.Version = uniq("stale"), v
		_, err = st.Devices().Update(ctx, global, d)
	}
	return err
}

func conflictChildren(t *testing.T, st ports.Store) {
	ctx := t.Context()
	// refuse asserts Delete is ErrConflict and neither the row nor the
	// listed children changed.
	refuse := func(t *testing.T, k kind, id string, children map[kind]string) {
		t.Helper()
		before := snapshot(t, st, k, id)
		kids := map[kind]string{}
		for ck, cid := range children {
			kids[ck] = snapshot(t, st, ck, cid)
		}
		wantIs(t, "Delete "+k.String()+" with children", del(ctx, st, global, k, id), domain.ErrConflict)
		if after := snapshot(t, st, k, id); after != before {
			t.Errorf("refused Delete changed the %s:\n before %s\n after  %s", k, before, after)
		}
		for ck, cid := range children {
			if after := snapshot(t, st, ck, cid); after != kids[ck] {
				t.Errorf("refused Delete changed a child %s:\n before %s\n after  %s", ck, kids[ck], after)
			}
		}
	}

	t.Run("PartnerWithOrg", func(t *testing.T) {
		p := newPartner(t, st)
		o := newOrg(t, st, p.ID)
		refuse(t, kindPartner, p.ID, map[kind]string{kindOrg: o.ID})
		must(t, "Delete the org", del(ctx, st, global, kindOrg, o.ID))
		must(t, "Delete the now empty partner", del(ctx, st, global, kindPartner, p.ID))
	})
	t.Run("OrgWithSite", func(t *testing.T) {
		c := newChain(t, st)
		refuse(t, kindOrg, c.org.ID, map[kind]string{kindSite: c.site.ID})
		must(t, "Delete the site", del(ctx, st, global, kindSite, c.site.ID))
		must(t, "Delete the now empty org", del(ctx, st, global, kindOrg, c.org.ID))
	})
	t.Run("OrgWithOrgWideGroupOnly", func(t *testing.T) {
		p := newPartner(t, st)
		o := newOrg(t, st, p.ID)
		g := newGroup(t, st, o.ID, "")
		refuse(t, kindOrg, o.ID, map[kind]string{kindGroup: g.ID})
		must(t, "Delete the group", del(ctx, st, global, kindGroup, g.ID))
		must(t, "Delete the now empty org", del(ctx, st, global, kindOrg, o.ID))
	})
	t.Run("SiteWithDevice", func(t *testing.T) {
		c := newChain(t, st)
		d := newDevice(t, st, c.site.ID, "")
		refuse(t, kindSite, c.site.ID, map[kind]string{kindDevice: d.ID})
		must(t, "Delete the device", del(ctx, st, global, kindDevice, d.ID))
		must(t, "Delete the now empty site", del(ctx, st, global, kindSite, c.site.ID))
	})
	t.Run("SiteWithGroupOnly", func(t *testing.T) {
		c := newChain(t, st)
		g := newGroup(t, st, c.org.ID, c.site.ID)
		refuse(t, kindSite, c.site.ID, map[kind]string{kindGroup: g.ID})
		must(t, "Delete the group", del(ctx, st, global, kindGroup, g.ID))
		must(t, "Delete the now empty site", del(ctx, st, global, kindSite, c.site.ID))
	})
	t.Run("GroupWithDevice", func(t *testing.T) {
		c := newChain(t, st)
		for _, siteID := range []string{c.site.ID, ""} {
			g := newGroup(t, st, c.org.ID, siteID)
			d := newDevice(t, st, c.site.ID, g.ID)
			refuse(t, kindGroup, g.ID, map[kind]string{kindDevice: d.ID})
			// Taking the device out of the group frees it.
			cur, err := st.Devices().Get(ctx, global, d.ID)
			must(t, "Get", err)
			cur.GroupID = ""
			_, err = st.Devices().Update(ctx, global, cur)
			must(t, "Update the device out of the group", err)
			must(t, "Delete the now empty group", del(ctx, st, global, kindGroup, g.ID))
		}
	})
}
