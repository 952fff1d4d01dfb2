package storetest

import (
	"errors"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// testDeviceMove checks Update and Upsert that change SiteID/GroupID: a move
// stays inside the device's org and the caller's scope, the group is org-wide
// or in the target site, and a refused move changes nothing.
func testDeviceMove(t *testing.T, st ports.Store) {
	tr := buildTree(t, st)
	scopes := map[string]domain.Scope{
		"Global":    global,
		"PartnerP1": {PartnerIDs: tr.ids("P1")},
		"OrgA":      {OrgIDs: tr.ids("A")},
		"SiteS1":    {SiteIDs: tr.ids("S1")},
	}
	notFoundOrInvalid := []error{domain.ErrNotFound, domain.ErrInvalid}
	cases := []struct {
		name            string
		scope           string
		from, fromGroup string  // the fresh device's site and group labels
		site, group     string  // target labels; "?" an unknown id; other text is used as is
		want            []error // nil: the move succeeds
	}{
		{"WithinOrgToSiteAndItsGroup", "OrgA", "S1", "G1", "S2", "G2", nil},
		{"WithinOrgToOrgWideGroup", "OrgA", "S1", "G1", "S2", "GA", nil},
		{"LeaveGroup", "OrgA", "S1", "G1", "S1", "", nil},
		{"PartnerCallerWithinOrg", "PartnerP1", "S1", "G1", "S2", "G2", nil},
		{"GlobalWithinOrg", "Global", "S1", "G1", "S2", "", nil},
		{"KeepGroupOfOldSite", "OrgA", "S1", "G1", "S2", "G1", []error{domain.ErrInvalid}},
		{"GroupOfAnotherSiteSameOrg", "OrgA", "S1", "G1", "S1", "G2", []error{domain.ErrInvalid}},
		{"ToSiteOfOtherOrgOutOfScope", "OrgA", "S1", "G1", "S3", "", notFoundOrInvalid},
		{"ToSiteAndGroupOfOtherOrgOutOfScope", "OrgA", "S1", "G1", "S3", "G3", notFoundOrInvalid},
		{"ToOtherOrgOfSamePartnerInScope", "PartnerP1", "S1", "G1", "S3", "", notFoundOrInvalid},
		{"ToOtherOrgWithItsGroupInScope", "PartnerP1", "S1", "G1", "S3", "G3", notFoundOrInvalid},
		{"ToOtherPartnerGlobal", "Global", "S1", "G1", "S4", "", notFoundOrInvalid},
		{"ToOtherPartnerWithGroupGlobal", "Global", "S1", "G1", "S4", "G4", notFoundOrInvalid},
		{"GroupOfOtherOrg", "OrgA", "S1", "G1", "S1", "G3", notFoundOrInvalid},
		{"OrgWideGroupOfOtherPartner", "OrgA", "S1", "G1", "S1", "GC", notFoundOrInvalid},
		{"GroupOfOtherOrgGlobal", "Global", "S1", "G1", "S1", "G3", notFoundOrInvalid},
		{"SiteCallerToSiblingSite", "SiteS1", "S1", "G1", "S2", "", notFoundOrInvalid},
		{"SiteCallerToGroupOfSiblingSite", "SiteS1", "S1", "G1", "S1", "G2", notFoundOrInvalid},
		{"UnknownSite", "OrgA", "S1", "G1", "?", "", notFoundOrInvalid},
		{"MalformedSite", "OrgA", "S1", "G1", "'; DROP TABLE sites; --", "", notFoundOrInvalid},
		{"EmptySite", "OrgA", "S1", "G1", "", "", notFoundOrInvalid},
		{"UnknownGroup", "OrgA", "S1", "G1", "S1", "?", notFoundOrInvalid},
		{"ForeignDeviceIntoOwnSite", "OrgA", "S3", "G3", "S1", "", []error{domain.ErrNotFound}},
		{"ForeignDeviceIntoOwnSiteAndGroup", "OrgA", "S3", "G3", "S1", "G1", []error{domain.ErrNotFound}},
	}
	resolve := func(v string) string {
		switch {
		case v == "":
			return ""
		case v == "?":
			return domain.NewID()
		}
		if n, ok := tr.byLabel[v]; ok {
			return n.id
		}
		return v
	}
	for _, tc := range cases {
		for _, via := range []string{"Update", "Upsert"} {
			t.Run(tc.name+"/"+via, func(t *testing.T) {
				ctx := t.Context()
				sc := scopes[tc.scope]
				d := newDevice(t, st, tr.id(tc.from), tr.id(tc.fromGroup))
				before := snapshot(t, st, kindDevice, d.ID)
				in := *d
				in.SiteID, in.GroupID = resolve(tc.site), resolve(tc.group)
				in.Hostname = uniq("moved")
				var res *domain.Device
				var err error
				if via == "Update" {
					res, err = st.Devices().Update(ctx, sc, &in)
				} else {
					in.Version = 0
					res, err = st.Devices().Upsert(ctx, sc, &in)
				}
				if tc.want != nil {
					wantOneOf(t, via, err, tc.want...)
					if after := snapshot(t, st, kindDevice, d.ID); after != before {
						t.Errorf("refused move changed the device:\n before %s\n after  %s", before, after)
					}
					return
				}
				if err != nil {
					t.Fatalf("%s: %v", via, err)
				}
				eqFields(t, via+" result", field{"SiteID", res.SiteID, in.SiteID}, field{"GroupID", res.GroupID, in.GroupID},
					field{"OrgID", res.OrgID, d.OrgID}, field{"PartnerID", res.PartnerID, d.PartnerID},
					field{"Hostname", res.Hostname, in.Hostname}, field{"Version", res.Version, d.Version + 1})
				got, err := st.Devices().Get(ctx, global, d.ID)
				must(t, "Get", err)
				eqDevice(t, "Get after move", got, res)
				// The moved device follows its new site in lists.
				ids, err := listAll(ctx, st, global, kindDevice, ref{SiteID: in.SiteID})
				must(t, "List by the new site", err)
				if !contains(ids, d.ID) {
					t.Errorf("moved device missing from List by its new site")
				}
				if in.SiteID != tr.id(tc.from) {
					ids, err = listAll(ctx, st, global, kindDevice, ref{SiteID: tr.id(tc.from)})
					must(t, "List by the old site", err)
					if contains(ids, d.ID) {
						t.Errorf("moved device still listed in its old site")
					}
				}
				if _, err := st.Devices().Get(ctx, sc, d.ID); err != nil && !errors.Is(err, domain.ErrNotFound) {
					t.Errorf("Get after move with the caller's scope: %v", err)
				}
			})
		}
	}
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
