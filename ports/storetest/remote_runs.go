package storetest

import (
	"maps"
	"slices"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

func runOf(sc *domain.Script, orgID string, devices ...string) *domain.ScriptRun {
	return &domain.ScriptRun{
		OrgID: orgID, ScriptID: sc.ID, ScriptVersion: sc.Version, TargetKind: domain.TargetDevices,
		DeviceIDs: devices, Params: map[string]string{"DIR": "/tmp/x", "TOKEN": "***"}, RequestedBy: domain.NewID(),
	}
}

func eqRun(t testing.TB, what string, got, want *domain.ScriptRun) {
	t.Helper()
	eqFields(t, what, field{"ID", got.ID, want.ID}, field{"PartnerID", got.PartnerID, want.PartnerID},
		field{"OrgID", got.OrgID, want.OrgID}, field{"ScriptID", got.ScriptID, want.ScriptID},
		field{"ScriptVersion", got.ScriptVersion, want.ScriptVersion}, field{"TargetKind", got.TargetKind, want.TargetKind},
		field{"TargetID", got.TargetID, want.TargetID}, field{"RequestedBy", got.RequestedBy, want.RequestedBy},
		field{"CreatedAt", got.CreatedAt, want.CreatedAt})
	if !slices.Equal(got.DeviceIDs, want.DeviceIDs) && (len(got.DeviceIDs) != 0 || len(want.DeviceIDs) != 0) {
		t.Errorf("%s: DeviceIDs = %v, want %v", what, got.DeviceIDs, want.DeviceIDs)
	}
	if !maps.Equal(got.Params, want.Params) && (len(got.Params) != 0 || len(want.Params) != 0) {
		t.Errorf("%s: Params = %v, want %v", what, got.Params, want.Params)
	}
	checkUTC(t, what, got.CreatedAt)
}

func runIDs(t testing.TB, st ports.Store, s domain.Scope, scriptID string, limit int) []string {
	t.Helper()
	var ids []string
	req := domain.PageRequest{Limit: limit}
	for range 1000 {
		page, err := st.Scripts().ListRuns(t.Context(), s, scriptID, req)
		must(t, "list runs", err)
		for _, r := range page.Items {
			ids = append(ids, r.ID)
		}
		if page.NextCursor == "" {
			return ids
		}
		req.Cursor = page.NextCursor
	}
	t.Fatal("list runs: the cursor never ends")
	return nil
}

// testScriptRuns: create, get and list runs, within scope.
func testScriptRuns(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d1, d2 := newDevice(t, st, c.site.ID, ""), newDevice(t, st, c.site.ID, "")
	orgScope := domain.Scope{OrgIDs: []string{c.org.ID}}
	own, shared := newScript(t, st, "", c.org.ID), newScript(t, st, c.partner.ID, "")

	in := runOf(own, c.org.ID, d1.ID, d2.ID)
	want := *in
	must(t, "CreateRun", st.Scripts().CreateRun(ctx, orgScope, in))
	checkNewID(t, "CreateRun", in.ID)
	checkStamps(t, "CreateRun", in.CreatedAt, in.CreatedAt)
	want.ID, want.PartnerID, want.CreatedAt = in.ID, c.partner.ID, in.CreatedAt
	eqRun(t, "CreateRun's result", in, &want)
	got, err := st.Scripts().GetRun(ctx, orgScope, in.ID)
	must(t, "GetRun", err)
	eqRun(t, "GetRun", got, &want)

	// A run of the partner's shared script, targeting a site, with a
	// caller-chosen id (the app names the batch before its commands).
	siteRun := runOf(shared, c.org.ID)
	siteRun.ID, siteRun.TargetKind, siteRun.TargetID, siteRun.DeviceIDs = domain.NewID(), domain.TargetSite, c.site.ID, nil
	chosen := siteRun.ID
	must(t, "CreateRun of a shared script", st.Scripts().CreateRun(ctx, orgScope, siteRun))
	eqFields(t, "CreateRun with a chosen id", field{"ID", siteRun.ID, chosen})
	third := runOf(own, c.org.ID, d1.ID)
	must(t, "CreateRun", st.Scripts().CreateRun(ctx, global, third))

	newestFirst := []string{third.ID, siteRun.ID, in.ID}
	if got := runIDs(t, st, orgScope, "", 1); !slices.Equal(got, newestFirst) {
		t.Errorf("ListRuns = %v, want %v (newest first)", got, newestFirst)
	}
	if got := runIDs(t, st, orgScope, own.ID, 0); !slices.Equal(got, []string{third.ID, in.ID}) {
		t.Errorf("ListRuns of one script = %v, want %v", got, []string{third.ID, in.ID})
	}
	if got := runIDs(t, st, orgScope, "nope", 0); len(got) != 0 {
		t.Errorf("ListRuns of a malformed script id = %v, want none", got)
	}

	// Refusals and scoping.
	foreign := newChain(t, st)
	foreignScript := newScript(t, st, "", foreign.org.ID)
	otherOrg := newOrg(t, st, c.partner.ID)
	siteScope := domain.Scope{SiteIDs: []string{c.site.ID}}
	cases := []struct {
		name string
		s    domain.Scope
		in   *domain.ScriptRun
		want []error
	}{
		{"ForeignScope", foreign.scope(), runOf(own, c.org.ID), []error{domain.ErrNotFound}},
		{"SiteCaller", siteScope, runOf(own, c.org.ID), []error{domain.ErrNotFound}},
		{"ScriptOfAnotherTenant", global, runOf(foreignScript, c.org.ID), []error{domain.ErrNotFound}},
		{"ScriptOfASisterOrg", global, runOf(own, otherOrg.ID), []error{domain.ErrNotFound}},
		{"UnknownScript", global, runOf(&domain.Script{ID: domain.NewID(), Version: 1}, c.org.ID), []error{domain.ErrNotFound}},
		{"UnknownOrg", global, runOf(own, domain.NewID()), []error{domain.ErrNotFound}},
		{"NoOrg", global, runOf(own, ""), []error{domain.ErrInvalid, domain.ErrNotFound}},
		{"BadTargetKind", global, func() *domain.ScriptRun { r := runOf(own, c.org.ID); r.TargetKind = "planet"; return r }(), []error{domain.ErrInvalid}},
		{"GroupWithoutID", global, func() *domain.ScriptRun { r := runOf(own, c.org.ID); r.TargetKind = domain.TargetGroup; return r }(), []error{domain.ErrInvalid}},
		{"NoVersion", global, func() *domain.ScriptRun { r := runOf(own, c.org.ID); r.ScriptVersion = 0; return r }(), []error{domain.ErrInvalid}},
	}
	for _, tc := range cases {
		wantOneOf(t, "CreateRun: "+tc.name, st.Scripts().CreateRun(ctx, tc.s, tc.in), tc.want...)
	}
	if got := runIDs(t, st, global, "", 0); len(got) != 3 {
		t.Errorf("runs after refused creates: %d, want 3", len(got))
	}
	for _, s := range []domain.Scope{foreign.scope(), siteScope, {OrgIDs: []string{otherOrg.ID}}, {}} {
		_, err := st.Scripts().GetRun(ctx, s, in.ID)
		wantIs(t, "GetRun from a scope not covering the org", err, domain.ErrNotFound)
		if got := runIDs(t, st, s, "", 0); len(got) != 0 {
			t.Errorf("ListRuns from %+v = %v, want none", s, got)
		}
	}
	got, err = st.Scripts().GetRun(ctx, c.scope(), in.ID)
	must(t, "GetRun by the partner", err)
	eqRun(t, "GetRun by the partner", got, &want)
	_, err = st.Scripts().GetRun(ctx, global, domain.NewID())
	wantIs(t, "GetRun of an unknown run", err, domain.ErrNotFound)

	// A run outlives its script (history).
	must(t, "Delete the script", st.Scripts().Delete(ctx, global, own.ID))
	got, err = st.Scripts().GetRun(ctx, orgScope, in.ID)
	must(t, "GetRun after the script is deleted", err)
	eqRun(t, "GetRun after the script is deleted", got, &want)
}
