package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// scriptIn returns an unsaved script of orgID, or shared by partnerID when
// orgID is empty.
func scriptIn(partnerID, orgID string) *domain.Script {
	return &domain.Script{
		PartnerID: partnerID, OrgID: orgID, Name: uniq("script"), Description: "cleans /tmp",
		Language: "bash", Body: "#!/bin/bash\nrm -rf -- \"$BREEZE_PARAM_DIR\"/*\n",
		Params: []domain.ScriptParam{
			{Name: "DIR", Type: domain.ParamString, Required: true, Default: "/tmp/x"},
			{Name: "TOKEN", Type: domain.ParamSecret, PassAs: "arg"},
		},
		TimeoutSeconds: 120, RunAs: "root", OSFilter: []string{"linux", "darwin"}, CreatedBy: domain.NewID(),
	}
}

func newScript(t testing.TB, st ports.Store, partnerID, orgID string) *domain.Script {
	t.Helper()
	sc := scriptIn(partnerID, orgID)
	must(t, "create script", st.Scripts().Create(t.Context(), global, sc))
	return sc
}

func eqScript(t testing.TB, what string, got, want *domain.Script) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: nil script", what)
		return
	}
	eqFields(t, what, field{"ID", got.ID, want.ID}, field{"PartnerID", got.PartnerID, want.PartnerID},
		field{"OrgID", got.OrgID, want.OrgID}, field{"Name", got.Name, want.Name},
		field{"Description", got.Description, want.Description}, field{"Language", got.Language, want.Language},
		field{"Body", got.Body, want.Body}, field{"TimeoutSeconds", got.TimeoutSeconds, want.TimeoutSeconds},
		field{"RunAs", got.RunAs, want.RunAs}, field{"Version", got.Version, want.Version},
		field{"CreatedBy", got.CreatedBy, want.CreatedBy}, field{"CreatedAt", got.CreatedAt, want.CreatedAt},
		field{"UpdatedAt", got.UpdatedAt, want.UpdatedAt})
	if !slices.Equal(got.Params, want.Params) {
		t.Errorf("%s: Params = %+v, want %+v", what, got.Params, want.Params)
	}
	if !slices.Equal(got.OSFilter, want.OSFilter) && (len(got.OSFilter) != 0 || len(want.OSFilter) != 0) {
		t.Errorf("%s: OSFilter = %v, want %v", what, got.OSFilter, want.OSFilter)
	}
	checkUTC(t, what, got.CreatedAt)
	checkUTC(t, what, got.UpdatedAt)
}

// eqVersion compares a kept version with the script content it keeps.
func eqVersion(t testing.TB, what string, got *domain.ScriptVersion, want *domain.Script) {
	t.Helper()
	eqFields(t, what, field{"ScriptID", got.ScriptID, want.ID}, field{"Version", got.Version, want.Version},
		field{"Language", got.Language, want.Language}, field{"Body", got.Body, want.Body},
		field{"TimeoutSeconds", got.TimeoutSeconds, want.TimeoutSeconds}, field{"RunAs", got.RunAs, want.RunAs})
	if !slices.Equal(got.Params, want.Params) {
		t.Errorf("%s: Params = %+v, want %+v", what, got.Params, want.Params)
	}
	if !slices.Equal(got.OSFilter, want.OSFilter) && (len(got.OSFilter) != 0 || len(want.OSFilter) != 0) {
		t.Errorf("%s: OSFilter = %v, want %v", what, got.OSFilter, want.OSFilter)
	}
	checkUTC(t, what, got.CreatedAt)
}

// scriptIDs lists every script a scope sees with f, following cursors.
func scriptIDs(t testing.TB, st ports.Store, s domain.Scope, f ports.ScriptFilter, limit int) []string {
	t.Helper()
	var ids []string
	req := domain.PageRequest{Limit: limit}
	for range 1000 {
		page, err := st.Scripts().List(t.Context(), s, f, req)
		must(t, "list scripts", err)
		for _, sc := range page.Items {
			ids = append(ids, sc.ID)
		}
		if page.NextCursor == "" {
			return ids
		}
		req.Cursor = page.NextCursor
	}
	t.Fatal("list scripts: the cursor never ends")
	return nil
}

// testScripts: CRUD, kept versions, stale versions and name clashes.
func testScripts(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	orgScope := domain.Scope{OrgIDs: []string{c.org.ID}}

	t.Run("Create", func(t *testing.T) {
		in := scriptIn("", c.org.ID)
		want := *in
		must(t, "Create an org script", st.Scripts().Create(ctx, orgScope, in))
		checkNewID(t, "Create", in.ID)
		checkStamps(t, "Create", in.CreatedAt, in.UpdatedAt)
		want.ID, want.PartnerID, want.Version, want.CreatedAt, want.UpdatedAt = in.ID, c.partner.ID, 1, in.CreatedAt, in.UpdatedAt
		eqScript(t, "Create's result", in, &want)
		got, err := st.Scripts().Get(ctx, orgScope, in.ID)
		must(t, "Get", err)
		eqScript(t, "Get", got, &want)
		versions, err := st.Scripts().Versions(ctx, orgScope, in.ID)
		must(t, "Versions", err)
		if len(versions) != 1 {
			t.Fatalf("Versions: %d, want 1", len(versions))
		}
		eqVersion(t, "version 1", versions[0], &want)

		shared := scriptIn(c.partner.ID, "")
		must(t, "Create a shared script", st.Scripts().Create(ctx, c.scope(), shared))
		eqFields(t, "shared script", field{"PartnerID", shared.PartnerID, c.partner.ID}, field{"OrgID", shared.OrgID, ""},
			field{"Version", shared.Version, int64(1)})
	})

	t.Run("CreateRefused", func(t *testing.T) {
		foreign := newChain(t, st)
		siteScope := domain.Scope{SiteIDs: []string{c.site.ID}}
		before := scriptIDs(t, st, global, ports.ScriptFilter{}, 0)
		cases := []struct {
			name string
			s    domain.Scope
			in   *domain.Script
			want []error
		}{
			{"SharedByAnOrgCaller", orgScope, scriptIn(c.partner.ID, ""), []error{domain.ErrNotFound}},
			{"OrgScriptByASiteCaller", siteScope, scriptIn("", c.org.ID), []error{domain.ErrNotFound}},
			{"SharedByASiteCaller", siteScope, scriptIn(c.partner.ID, ""), []error{domain.ErrNotFound}},
			{"ForeignOrg", c.scope(), scriptIn("", foreign.org.ID), []error{domain.ErrNotFound}},
			{"ForeignPartner", c.scope(), scriptIn(foreign.partner.ID, ""), []error{domain.ErrNotFound}},
			{"UnknownOrg", global, scriptIn("", domain.NewID()), []error{domain.ErrNotFound}},
			{"UnknownPartner", global, scriptIn(domain.NewID(), ""), []error{domain.ErrNotFound}},
			{"NoOwner", global, scriptIn("", ""), []error{domain.ErrInvalid}},
			{"PartnerOfAnotherOrg", global, scriptIn(foreign.partner.ID, c.org.ID), []error{domain.ErrInvalid, domain.ErrNotFound}},
			{"NoName", global, func() *domain.Script { s := scriptIn("", c.org.ID); s.Name = " "; return s }(), []error{domain.ErrInvalid}},
			{"NoLanguage", global, func() *domain.Script { s := scriptIn("", c.org.ID); s.Language = ""; return s }(), []error{domain.ErrInvalid}},
			{"NegativeTimeout", global, func() *domain.Script { s := scriptIn("", c.org.ID); s.TimeoutSeconds = -1; return s }(), []error{domain.ErrInvalid}},
		}
		for _, tc := range cases {
			wantOneOf(t, tc.name, st.Scripts().Create(ctx, tc.s, tc.in), tc.want...)
		}
		wantIDs(t, "scripts after refused creates", scriptIDs(t, st, global, ports.ScriptFilter{}, 0), before)
	})

	t.Run("NameConflicts", func(t *testing.T) {
		other := newOrg(t, st, c.partner.ID)
		first := newScript(t, st, "", c.org.ID)
		same := scriptIn("", c.org.ID)
		same.Name = strings.ToUpper(first.Name)
		wantIs(t, "the same name (other case) in the org", st.Scripts().Create(ctx, global, same), domain.ErrConflict)
		elsewhere := scriptIn("", other.ID)
		elsewhere.Name = first.Name
		must(t, "the same name in another org", st.Scripts().Create(ctx, global, elsewhere))
		shared := scriptIn(c.partner.ID, "")
		shared.Name = first.Name
		must(t, "the same name shared by the partner", st.Scripts().Create(ctx, global, shared))
		shared2 := scriptIn(c.partner.ID, "")
		shared2.Name = first.Name
		wantIs(t, "two shared scripts of one name", st.Scripts().Create(ctx, global, shared2), domain.ErrConflict)
		// Renaming onto a taken name is refused and changes nothing.
		second := newScript(t, st, "", other.ID)
		rename := *second
		rename.Name = strings.ToLower(first.Name)
		_, err := st.Scripts().Update(ctx, global, &rename)
		wantIs(t, "Update onto a taken name", err, domain.ErrConflict)
		got, err := st.Scripts().Get(ctx, global, second.ID)
		must(t, "Get", err)
		eqScript(t, "after the refused rename", got, second)
	})

	t.Run("UpdateKeepsVersions", func(t *testing.T) {
		sc := newScript(t, st, "", c.org.ID)
		v1 := *sc
		edit := *sc
		edit.Name, edit.Description, edit.Body = uniq("renamed"), "new", "echo v2"
		edit.Language, edit.TimeoutSeconds, edit.RunAs = "sh", 30, ""
		edit.Params, edit.OSFilter = []domain.ScriptParam{{Name: "N", Type: domain.ParamNumber}}, nil
		editor := domain.NewID()
		edit.CreatedBy = editor
		// Immutable fields sent to Update are never stored.
		edit.OrgID, edit.PartnerID = domain.NewID(), domain.NewID()
		time.Sleep(2 * time.Millisecond)
		got, err := st.Scripts().Update(ctx, orgScope, &edit)
		must(t, "Update", err)
		want := edit
		want.OrgID, want.PartnerID, want.CreatedBy, want.Version = c.org.ID, c.partner.ID, v1.CreatedBy, 2
		want.CreatedAt, want.UpdatedAt = v1.CreatedAt, got.UpdatedAt
		eqScript(t, "Update's result", got, &want)
		if !got.UpdatedAt.After(v1.UpdatedAt) {
			t.Errorf("UpdatedAt %v not after %v", got.UpdatedAt, v1.UpdatedAt)
		}
		stored, err := st.Scripts().Get(ctx, global, sc.ID)
		must(t, "Get", err)
		eqScript(t, "Get after Update", stored, &want)

		versions, err := st.Scripts().Versions(ctx, orgScope, sc.ID)
		must(t, "Versions", err)
		if len(versions) != 2 {
			t.Fatalf("Versions: %d, want 2", len(versions))
		}
		eqVersion(t, "newest version", versions[0], &want)
		eqFields(t, "newest version", field{"CreatedBy", versions[0].CreatedBy, editor})
		eqVersion(t, "first version", versions[1], &v1)
		old, err := st.Scripts().Version(ctx, orgScope, sc.ID, 1)
		must(t, "Version 1", err)
		eqVersion(t, "Version 1", old, &v1)
		_, err = st.Scripts().Version(ctx, orgScope, sc.ID, 3)
		wantIs(t, "a version not made yet", err, domain.ErrNotFound)

		// A stale version is refused and keeps nothing.
		stale := edit
		stale.Version, stale.Body = 1, "echo stale"
		_, err = st.Scripts().Update(ctx, orgScope, &stale)
		wantIs(t, "Update at a stale version", err, domain.ErrConflict)
		versions, err = st.Scripts().Versions(ctx, global, sc.ID)
		must(t, "Versions", err)
		if len(versions) != 2 {
			t.Errorf("Versions after a stale update: %d, want 2", len(versions))
		}
		stored, err = st.Scripts().Get(ctx, global, sc.ID)
		must(t, "Get", err)
		eqScript(t, "Get after a stale update", stored, &want)

		unknown := edit
		unknown.ID = domain.NewID()
		_, err = st.Scripts().Update(ctx, global, &unknown)
		wantIs(t, "Update of an unknown script", err, domain.ErrNotFound)
	})

	t.Run("Delete", func(t *testing.T) {
		sc := newScript(t, st, "", c.org.ID)
		must(t, "Delete", st.Scripts().Delete(ctx, orgScope, sc.ID))
		_, err := st.Scripts().Get(ctx, global, sc.ID)
		wantIs(t, "Get a deleted script", err, domain.ErrNotFound)
		_, err = st.Scripts().Versions(ctx, global, sc.ID)
		wantIs(t, "Versions of a deleted script", err, domain.ErrNotFound)
		wantIs(t, "Delete again", st.Scripts().Delete(ctx, global, sc.ID), domain.ErrNotFound)
		for _, id := range malformedIDs(sc.ID) {
			wantIs(t, "Delete("+id+")", st.Scripts().Delete(ctx, global, id), domain.ErrNotFound)
			_, err = st.Scripts().Get(ctx, global, id)
			wantIs(t, "Get("+id+")", err, domain.ErrNotFound)
		}
	})

	t.Run("ListFilters", func(t *testing.T) {
		p := newPartner(t, st)
		a, b := newOrg(t, st, p.ID), newOrg(t, st, p.ID)
		shared, ofA, ofB := newScript(t, st, p.ID, ""), newScript(t, st, "", a.ID), newScript(t, st, "", b.ID)
		named := scriptIn("", a.ID)
		named.Name = uniq("Backup_50%")
		must(t, "create", st.Scripts().Create(ctx, global, named))
		ps := domain.Scope{PartnerIDs: []string{p.ID}}
		wantIDs(t, "List", scriptIDs(t, st, ps, ports.ScriptFilter{}, 1), []string{shared.ID, ofA.ID, ofB.ID, named.ID})
		wantIDs(t, "OrgID filter", scriptIDs(t, st, ps, ports.ScriptFilter{OrgID: a.ID}, 2), []string{shared.ID, ofA.ID, named.ID})
		wantIDs(t, "OrgID filter B", scriptIDs(t, st, ps, ports.ScriptFilter{OrgID: b.ID}, 0), []string{shared.ID, ofB.ID})
		wantIDs(t, "Query", scriptIDs(t, st, ps, ports.ScriptFilter{Query: "backup_50%"}, 0), []string{named.ID})
		wantIDs(t, "Query with a wildcard typed", scriptIDs(t, st, ps, ports.ScriptFilter{Query: "ku__"}, 0), nil)
		wantIDs(t, "OrgID filter of another partner's org", scriptIDs(t, st, ps, ports.ScriptFilter{OrgID: c.org.ID}, 0), nil)
		wantIDs(t, "OrgID filter, malformed", scriptIDs(t, st, ps, ports.ScriptFilter{OrgID: "nope"}, 0), nil)
	})
}
