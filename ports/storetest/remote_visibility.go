package storetest

import (
	"slices"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// scriptAccess is what each caller of the scoping matrix may do with the
// scripts of the tree: shared by P1 (sP1) or P2 (sP2), or of orgs A, B, C.
// A partner-wide script is read by any caller touching its partner (the
// partner, one of its orgs or sites) and written by the partner only; an
// org script is written by callers covering its org and read by them and
// by holders of one of its sites. open lists what the contract leaves open
// (nothing today).
var scriptAccess = map[string]struct{ read, write, open []string }{
	"Global":             {read: []string{"sP1", "sP2", "sA", "sB", "sC"}, write: []string{"sP1", "sP2", "sA", "sB", "sC"}},
	"PartnerP1":          {read: []string{"sP1", "sA", "sB"}, write: []string{"sP1", "sA", "sB"}},
	"OrgA":               {read: []string{"sP1", "sA"}, write: []string{"sA"}},
	"SiteS1":             {read: []string{"sP1", "sA"}},
	"OrgCAndSiteS3":      {read: []string{"sP1", "sP2", "sB", "sC"}, write: []string{"sC"}},
	"SitesOfTwoPartners": {read: []string{"sP1", "sP2", "sA", "sC"}},
}

// testScriptVisibility runs the scoping matrix over scripts.
func testScriptVisibility(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := buildTree(t, st)
	scripts := map[string]*domain.Script{
		"sP1": newScript(t, st, tr.id("P1"), ""),
		"sP2": newScript(t, st, tr.id("P2"), ""),
		"sA":  newScript(t, st, "", tr.id("A")),
		"sB":  newScript(t, st, "", tr.id("B")),
		"sC":  newScript(t, st, "", tr.id("C")),
	}
	labels := []string{"sP1", "sP2", "sA", "sB", "sC"}
	for _, sc := range scopeCases() {
		t.Run(sc.name, func(t *testing.T) {
			s := sc.scope(tr)
			acc := scriptAccess[sc.name] // the zero value: nothing
			var want []string
			for _, l := range labels {
				script := scripts[l]
				readable, open := slices.Contains(acc.read, l), slices.Contains(acc.open, l)
				got, err := st.Scripts().Get(ctx, s, script.ID)
				switch {
				case readable && err != nil:
					t.Errorf("Get %s: %v", l, err)
				case readable:
					want = append(want, script.ID)
					eqScript(t, "Get "+l, got, script)
				case !open:
					wantIs(t, "Get foreign "+l, err, domain.ErrNotFound)
					_, err = st.Scripts().Versions(ctx, s, script.ID)
					wantIs(t, "Versions of foreign "+l, err, domain.ErrNotFound)
					_, err = st.Scripts().Version(ctx, s, script.ID, 1)
					wantIs(t, "Version of foreign "+l, err, domain.ErrNotFound)
				}
			}
			got := scriptIDs(t, st, s, ports.ScriptFilter{}, 2)
			got = slices.DeleteFunc(got, func(id string) bool {
				for _, l := range acc.open {
					if scripts[l].ID == id {
						return true
					}
				}
				return false
			})
			wantIDs(t, "List", got, want)

			// Writes: refused ones are ErrNotFound and change nothing.
			for _, l := range labels {
				script := scripts[l]
				edit := *script
				edit.Body = "echo " + sc.name
				updated, err := st.Scripts().Update(ctx, s, &edit)
				if slices.Contains(acc.write, l) {
					must(t, "Update "+l, err)
					scripts[l] = updated
					continue
				}
				wantIs(t, "Update of "+l, err, domain.ErrNotFound)
				wantIs(t, "Delete of "+l, st.Scripts().Delete(ctx, s, script.ID), domain.ErrNotFound)
				stored, err := st.Scripts().Get(ctx, global, script.ID)
				must(t, "Get "+l, err)
				eqScript(t, l+" after refused writes", stored, script)
			}
		})
	}
}
