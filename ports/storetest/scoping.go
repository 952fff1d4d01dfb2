package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// testScoping runs the tenant matrix: for every caller in scopeCases and
// every method of every entity store, rows outside the scope are neither
// read, listed, changed, deleted, upserted nor used as a parent.
func testScoping(t *testing.T, st ports.Store) {
	for _, sc := range scopeCases() {
		t.Run(sc.name, func(t *testing.T) {
			tr := buildTree(t, st)
			m := &matrix{st: st, tr: tr, c: sc, sc: sc.scope(tr)}
			t.Run("Get", m.testGet)
			t.Run("List", m.testList)
			t.Run("ListFiltered", m.testListFiltered)
			t.Run("Update", m.testUpdate)
			t.Run("Delete", m.testDelete)
			t.Run("Create", m.testCreate)
			t.Run("Upsert", m.testUpsert)
		})
	}
}

type matrix struct {
	st ports.Store
	tr *tree
	c  scopeCase
	sc domain.Scope
}

func (m *matrix) name(id string) string { return describe(m.tr.byID, id) }

func (m *matrix) testGet(t *testing.T) {
	ctx := t.Context()
	for _, n := range m.tr.nodes {
		got, err := get(ctx, m.st, m.sc, n.kind, n.id)
		switch a := m.c.access(n.label); a {
		case foreign:
			if !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("Get %s %s (%s): error = %v, want ErrNotFound", n.kind, n.label, a, err)
			}
		case full, readOnly:
			if err != nil {
				t.Errorf("Get %s %s (%s): %v", n.kind, n.label, a, err)
				continue
			}
			if want := snapshot(t, m.st, n.kind, n.id); got != want {
				t.Errorf("Get %s %s under scope:\n got  %s\n want %s", n.kind, n.label, got, want)
			}
		case maybe:
			if err != nil && !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("Get %s %s (%s): error = %v, want nil or ErrNotFound", n.kind, n.label, a, err)
			}
		}
	}
}

// checkListed asserts ids are ascending and unique, include every label of
// must, and hold no fixture row outside must ∪ may. Rows that are not in the
// fixture are allowed only to a Global caller (other subtests' rows).
func (m *matrix) checkListed(t *testing.T, what string, ids []string, must, may []string) {
	t.Helper()
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Errorf("%s: ids not strictly ascending at %d: %s then %s", what, i, ids[i-1], ids[i])
		}
	}
	for _, id := range ids {
		label, ok := m.tr.byID[id]
		switch {
		case !ok && !m.sc.Global:
			t.Errorf("%s: lists %s, a row that is not in this caller's tenants", what, id)
		case ok && !slices.Contains(must, label) && !slices.Contains(may, label):
			t.Errorf("%s: lists %s (%s), which the scope must not show", what, m.name(id), m.c.access(label))
		}
	}
	for _, l := range must {
		if !slices.Contains(ids, m.tr.id(l)) {
			t.Errorf("%s: %s (%s) is missing", what, l, m.c.access(l))
		}
	}
}

// expected returns the labels of kind k that a list filtered by (field,
// value) must show, and those it may show.
func (m *matrix) expected(k kind, field, value string) (must, may []string) {
	for _, n := range m.tr.of(k) {
		if field != "" && n.ref(field) != value {
			continue
		}
		switch m.c.access(n.label) {
		case full, readOnly:
			must = append(must, n.label)
		case maybe:
			may = append(may, n.label)
		}
	}
	return must, may
}

func (m *matrix) testList(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.String(), func(t *testing.T) {
			ids, err := listAll(t.Context(), m.st, m.sc, k, ref{})
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			must, may := m.expected(k, "", "")
			m.checkListed(t, "List "+k.String(), ids, must, may)
		})
	}
}

// listResult is a list's answer reduced to what a caller can observe.
type listResult struct {
	ids      []string
	notFound bool
}

func (m *matrix) listFiltered(t *testing.T, k kind, f ref) (listResult, bool) {
	t.Helper()
	ids, err := listAll(t.Context(), m.st, m.sc, k, f)
	switch {
	case err == nil:
		return listResult{ids: ids}, true
	case errors.Is(err, domain.ErrNotFound):
		return listResult{notFound: true}, true
	default:
		t.Errorf("List %s by %+v: %v", k, f, err)
		return listResult{}, false
	}
}

func (m *matrix) testListFiltered(t *testing.T) {
	refKind := map[string]kind{"PartnerID": kindPartner, "OrgID": kindOrg, "SiteID": kindSite, "GroupID": kindGroup}
	for _, k := range kinds {
		for _, field := range k.filterFields() {
			t.Run(k.String()+"By"+field, func(t *testing.T) {
				// The answer to an unknown id is the yardstick: a foreign id
				// must get the very same answer, so it reveals nothing.
				unknown, ok := m.listFiltered(t, k, withField(field, domain.NewID()))
				if !ok {
					return
				}
				if len(unknown.ids) != 0 {
					t.Errorf("List %s by an unknown %s: %v, want no rows", k, field, unknown.ids)
				}
				for _, bad := range []string{"abc", "'; DROP TABLE devices; --", strings.ToUpper(m.tr.id("D1"))} {
					res, ok := m.listFiltered(t, k, withField(field, bad))
					if ok && len(res.ids) != 0 {
						t.Errorf("List %s by malformed %s %q: %v, want no rows", k, field, bad, res.ids)
					}
				}
				for _, target := range m.tr.of(refKind[field]) {
					what := fmt.Sprintf("List %s by %s=%s", k, field, target.label)
					res, ok := m.listFiltered(t, k, withField(field, target.id))
					if !ok {
						continue
					}
					if m.c.access(target.label) == foreign {
						if len(res.ids) != 0 || res.notFound != unknown.notFound {
							t.Errorf("%s (foreign): answered %s, but an unknown id answers %s", what, m.describeResult(res), m.describeResult(unknown))
						}
						continue
					}
					if res.notFound {
						t.Errorf("%s (%s): ErrNotFound, want a list", what, m.c.access(target.label))
						continue
					}
					must, may := m.expected(k, field, target.id)
					m.checkListed(t, what, res.ids, must, may)
				}
			})
		}
	}
}

func (m *matrix) describeResult(r listResult) string {
	if r.notFound {
		return "ErrNotFound"
	}
	names := make([]string, 0, len(r.ids))
	for _, id := range r.ids {
		names = append(names, m.name(id))
	}
	return fmt.Sprintf("rows %v", names)
}

func (m *matrix) testUpdate(t *testing.T) {
	for _, n := range m.tr.nodes {
		a := m.c.access(n.label)
		before := snapshot(t, m.st, n.kind, n.id)
		err := rename(t, m.st, m.sc, n.kind, n.id)
		if a == full {
			if err != nil && !(m.groupUnclear(n) && errors.Is(err, domain.ErrNotFound)) {
				t.Errorf("Update %s %s (covered): %v", n.kind, n.label, err)
			}
			if err != nil {
				if after := snapshot(t, m.st, n.kind, n.id); after != before {
					t.Errorf("rejected Update changed %s %s:\n before %s\n after  %s", n.kind, n.label, before, after)
				}
			}
			continue
		}
		if !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("Update %s %s (%s): error = %v, want ErrNotFound", n.kind, n.label, a, err)
		}
		if after := snapshot(t, m.st, n.kind, n.id); after != before {
			t.Errorf("rejected Update changed %s %s:\n before %s\n after  %s", n.kind, n.label, before, after)
		}
	}
}

// groupUnclear: a covered device in an org-wide group the caller may not
// be able to see (a site holder). Whether writing such a device, keeping its
// group, passes the "group covered by the scope" rule is left open: the
// write may succeed or answer ErrNotFound, but must not half-apply.
func (m *matrix) groupUnclear(n *node) bool {
	return n.kind == kindDevice && n.gLab != "" && m.c.access(n.gLab) == maybe
}

func (m *matrix) testDelete(t *testing.T) {
	ctx := t.Context()
	for _, n := range m.tr.nodes {
		a := m.c.access(n.label)
		if a == full {
			continue // covered rows are deleted below, on fresh leaves
		}
		before := snapshot(t, m.st, n.kind, n.id)
		err := del(ctx, m.st, m.sc, n.kind, n.id)
		// ErrConflict ("still has children") would reveal the row exists.
		if !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("Delete %s %s (%s): error = %v, want ErrNotFound", n.kind, n.label, a, err)
		}
		if after := snapshot(t, m.st, n.kind, n.id); after != before {
			t.Errorf("rejected Delete changed %s %s:\n before %s\n after  %s", n.kind, n.label, before, after)
		}
	}
	// Fresh childless rows under every covered parent can be deleted.
	for _, n := range m.tr.nodes {
		if m.c.access(n.label) != full {
			continue
		}
		var leaves []struct {
			k  kind
			id string
		}
		add := func(k kind, id string) {
			leaves = append(leaves, struct {
				k  kind
				id string
			}{k, id})
		}
		switch n.kind {
		case kindPartner:
			add(kindOrg, newOrg(t, m.st, n.id).ID)
		case kindOrg:
			add(kindSite, newSite(t, m.st, n.id).ID)
			add(kindGroup, newGroup(t, m.st, n.id, "").ID)
		case kindSite:
			add(kindGroup, newGroup(t, m.st, n.org, n.id).ID)
			add(kindDevice, newDevice(t, m.st, n.id, "").ID)
		case kindGroup:
			add(kindDevice, newDevice(t, m.st, siteFor(m.tr, n), n.id).ID)
		}
		for _, l := range leaves {
			if err := del(ctx, m.st, m.sc, l.k, l.id); err != nil {
				t.Errorf("Delete a fresh %s under %s (covered): %v", l.k, n.label, err)
				continue
			}
			if _, err := get(ctx, m.st, global, l.k, l.id); !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("fresh %s under %s still there after Delete: %v", l.k, n.label, err)
			}
		}
	}
	if m.sc.Global {
		p := newPartner(t, m.st)
		must(t, "Delete a fresh partner with the Global scope", del(ctx, m.st, m.sc, kindPartner, p.ID))
	}
}

// siteFor returns a site a device of group n may live in.
func siteFor(tr *tree, n *node) string {
	if n.site != "" {
		return n.site
	}
	for _, s := range tr.of(kindSite) {
		if s.org == n.org {
			return s.id
		}
	}
	panic("storetest: org without a site")
}

// createCase is one child create under one parent of the tree.
type createCase struct {
	what   string
	parent *node
	create func(ctx context.Context, sc domain.Scope, name string) error
	// count lists (Global scope) the rows named name under the parent.
	count func(ctx context.Context, name string) (int, error)
}

func (m *matrix) createCases() []createCase {
	st := m.st
	var cases []createCase
	for _, p := range m.tr.of(kindPartner) {
		cases = append(cases, createCase{"org under " + p.label, p,
			func(ctx context.Context, sc domain.Scope, name string) error {
				return st.Orgs().Create(ctx, sc, &domain.Organization{PartnerID: p.id, Name: name})
			},
			func(ctx context.Context, name string) (int, error) {
				pg, err := st.Orgs().List(ctx, global, ports.OrgFilter{PartnerID: p.id, Query: name}, domain.PageRequest{})
				return len(pg.Items), err
			}})
	}
	for _, o := range m.tr.of(kindOrg) {
		cases = append(cases, createCase{"site in " + o.label, o,
			func(ctx context.Context, sc domain.Scope, name string) error {
				return st.Sites().Create(ctx, sc, &domain.Site{OrgID: o.id, Name: name})
			},
			func(ctx context.Context, name string) (int, error) {
				pg, err := st.Sites().List(ctx, global, ports.SiteFilter{OrgID: o.id, Query: name}, domain.PageRequest{})
				return len(pg.Items), err
			}})
		cases = append(cases, createCase{"org-wide group in " + o.label, o,
			func(ctx context.Context, sc domain.Scope, name string) error {
				return st.DeviceGroups().Create(ctx, sc, &domain.DeviceGroup{OrgID: o.id, Name: name})
			},
			m.countGroups(o.id)})
	}
	for _, s := range m.tr.of(kindSite) {
		cases = append(cases, createCase{"group in " + s.label, s,
			func(ctx context.Context, sc domain.Scope, name string) error {
				return st.DeviceGroups().Create(ctx, sc, &domain.DeviceGroup{OrgID: s.org, SiteID: s.id, Name: name})
			},
			m.countGroups(s.org)})
		cases = append(cases, createCase{"device (Create) in " + s.label, s,
			func(ctx context.Context, sc domain.Scope, name string) error {
				d := deviceIn(s.id, "")
				d.Hostname = name
				return st.Devices().Create(ctx, sc, d)
			},
			m.countDevices(s.org)})
		cases = append(cases, createCase{"device (Create, OrgID given) in " + s.label, s,
			func(ctx context.Context, sc domain.Scope, name string) error {
				d := deviceIn(s.id, "")
				d.Hostname, d.OrgID = name, s.org
				return st.Devices().Create(ctx, sc, d)
			},
			m.countDevices(s.org)})
		cases = append(cases, createCase{"device (Upsert) in " + s.label, s,
			func(ctx context.Context, sc domain.Scope, name string) error {
				d := deviceIn(s.id, "")
				d.ID, d.Hostname = domain.NewID(), name
				_, err := st.Devices().Upsert(ctx, sc, d)
				return err
			},
			m.countDevices(s.org)})
	}
	return cases
}

func (m *matrix) countGroups(orgID string) func(ctx context.Context, name string) (int, error) {
	return func(ctx context.Context, name string) (int, error) {
		pg, err := m.st.DeviceGroups().List(ctx, global, ports.DeviceGroupFilter{OrgID: orgID, Query: name}, domain.PageRequest{})
		return len(pg.Items), err
	}
}

func (m *matrix) countDevices(orgID string) func(ctx context.Context, name string) (int, error) {
	return func(ctx context.Context, name string) (int, error) {
		pg, err := m.st.Devices().List(ctx, global, ports.DeviceFilter{OrgID: orgID, Query: name}, domain.PageRequest{})
		return len(pg.Items), err
	}
}

func (m *matrix) testCreate(t *testing.T) {
	ctx := t.Context()
	for _, c := range m.createCases() {
		name := uniq("scoped")
		err := c.create(ctx, m.sc, name)
		a := m.c.access(c.parent.label)
		want := 0
		if a == full {
			if err != nil {
				t.Errorf("Create %s (covered): %v", c.what, err)
			} else {
				want = 1
			}
		} else if !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("Create %s (parent %s): error = %v, want ErrNotFound", c.what, a, err)
		}
		n, err := c.count(ctx, name)
		if err != nil {
			t.Errorf("count %s: %v", c.what, err)
		} else if n != want {
			t.Errorf("after Create %s: %d rows named %s, want %d", c.what, n, name, want)
		}
	}

	t.Run("Partner", func(t *testing.T) {
		p := &domain.Partner{Name: uniq("partner")}
		err := m.st.Partners().Create(ctx, m.sc, p)
		if m.sc.Global {
			must(t, "Create partner with the Global scope", err)
			return
		}
		wantIs(t, "Create partner without the Global scope", err, domain.ErrNotFound)
		// Nothing was stored: the same name is still free.
		must(t, "Create the same name with the Global scope", m.st.Partners().Create(ctx, global, &domain.Partner{Name: p.Name}))
	})

	// A covered parent with a foreign second parent is still refused.
	t.Run("MixedParents", func(t *testing.T) {
		for _, s := range m.tr.of(kindSite) {
			if m.c.access(s.label) != full {
				continue
			}
			for _, o := range m.tr.of(kindOrg) {
				if o.id == s.org {
					continue
				}
				d := deviceIn(s.id, "")
				d.OrgID = o.id
				wantOneOf(t, fmt.Sprintf("Create device in %s claiming org %s", s.label, o.label),
					m.st.Devices().Create(ctx, m.sc, d), domain.ErrInvalid, domain.ErrNotFound)
				g := &domain.DeviceGroup{OrgID: o.id, SiteID: s.id, Name: uniq("mixed")}
				wantOneOf(t, fmt.Sprintf("Create group in %s claiming org %s", s.label, o.label),
					m.st.DeviceGroups().Create(ctx, m.sc, g), domain.ErrInvalid, domain.ErrNotFound)
				if n, err := m.countGroups(o.id)(ctx, g.Name); err != nil || n != 0 {
					t.Errorf("group %s claiming org %s: %d rows, %v; want none", g.Name, o.label, n, err)
				}
			}
			for _, g := range m.tr.of(kindGroup) {
				if g.org == s.org {
					continue
				}
				d := deviceIn(s.id, g.id)
				wantOneOf(t, fmt.Sprintf("Create device in %s with group %s of another org", s.label, g.label),
					m.st.Devices().Create(ctx, m.sc, d), domain.ErrInvalid, domain.ErrNotFound)
			}
		}
	})
}

func (m *matrix) testUpsert(t *testing.T) {
	ctx := t.Context()
	var ownSite *node
	for _, s := range m.tr.of(kindSite) {
		if m.c.access(s.label) == full {
			ownSite = s
			break
		}
	}
	for _, n := range m.tr.of(kindDevice) {
		before := snapshot(t, m.st, kindDevice, n.id)
		cur, err := m.st.Devices().Get(ctx, global, n.id)
		must(t, "read device", err)
		in := *cur
		in.Hostname = uniq("upserted")
		res, err := m.st.Devices().Upsert(ctx, m.sc, &in)
		if m.c.access(n.label) == full {
			if err != nil {
				if !(m.groupUnclear(n) && errors.Is(err, domain.ErrNotFound)) {
					t.Errorf("Upsert %s (covered): %v", n.label, err)
				}
				if after := snapshot(t, m.st, kindDevice, n.id); after != before {
					t.Errorf("rejected Upsert changed device %s:\n before %s\n after  %s", n.label, before, after)
				}
			} else if res.Version != cur.Version+1 || res.Hostname != in.Hostname {
				t.Errorf("Upsert %s: version %d hostname %q, want %d %q", n.label, res.Version, res.Hostname, cur.Version+1, in.Hostname)
			}
			continue
		}
		wantIs(t, "Upsert foreign device "+n.label, err, domain.ErrNotFound)
		if ownSite != nil {
			// The attack: claim a foreign device id and pull it into one's own site.
			hijack := deviceIn(ownSite.id, "")
			hijack.ID = n.id
			_, err := m.st.Devices().Upsert(ctx, m.sc, hijack)
			wantIs(t, fmt.Sprintf("Upsert foreign device %s into covered site %s", n.label, ownSite.label), err, domain.ErrNotFound)
		}
		if after := snapshot(t, m.st, kindDevice, n.id); after != before {
			t.Errorf("rejected Upsert changed device %s:\n before %s\n after  %s", n.label, before, after)
		}
	}
}
