package storetest

import (
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// testMissing: an id that does not exist, or is not a canonical UUID, is
// ErrNotFound for Get, Update and Delete, and touches no other row.
func testMissing(t *testing.T, st ports.Store) {
	tr := buildTree(t, st)
	for _, l := range []string{"P1", "A", "S1", "GA", "G1", "D1"} {
		n := tr.byLabel[l]
		t.Run(n.kind.String()+"/"+l, func(t *testing.T) {
			ctx := t.Context()
			ids := append([]string{domain.NewID()}, malformedIDs(n.id)...)
			before := snapshot(t, st, n.kind, n.id)
			for _, id := range ids {
				_, err := get(ctx, st, global, n.kind, id)
				wantIs(t, "Get "+id, err, domain.ErrNotFound)
				_, err = updateAs(t, st, n, id)
				wantIs(t, "Update "+id, err, domain.ErrNotFound)
				wantIs(t, "Delete "+id, del(ctx, st, global, n.kind, id), domain.ErrNotFound)
			}
			if after := snapshot(t, st, n.kind, n.id); after != before {
				t.Errorf("writes to missing ids changed %s:\n before %s\n after  %s", l, before, after)
			}
		})
	}
}

// updateAs sends an Update of row n's current content under another id.
func updateAs(t *testing.T, st ports.Store, n *node, id string) (any, error) {
	t.Helper()
	ctx := t.Context()
	switch n.kind {
	case kindPartner:
		p, err := st.Partners().Get(ctx, global, n.id)
		must(t, "Get", err)
		p.ID, p.Name = id, uniq("missing")
		return st.Partners().Update(ctx, global, p)
	case kindOrg:
		o, err := st.Orgs().Get(ctx, global, n.id)
		must(t, "Get", err)
		o.ID, o.Name = id, uniq("missing")
		return st.Orgs().Update(ctx, global, o)
	case kindSite:
		s, err := st.Sites().Get(ctx, global, n.id)
		must(t, "Get", err)
		s.ID, s.Name = id, uniq("missing")
		return st.Sites().Update(ctx, global, s)
	case kindGroup:
		g, err := st.DeviceGroups().Get(ctx, global, n.id)
		must(t, "Get", err)
		g.ID, g.Name = id, uniq("missing")
		return st.DeviceGroups().Update(ctx, global, g)
	case kindDevice:
		d, err := st.Devices().Get(ctx, global, n.id)
		must(t, "Get", err)
		d.ID, d.Hostname = id, uniq("missing")
		return st.Devices().Update(ctx, global, d)
	}
	panic("storetest: unknown kind")
}
