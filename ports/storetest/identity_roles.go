package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

func eqRole(t testing.TB, what string, got, want *domain.Role) {
	t.Helper()
	eqFields(t, what,
		field{"ID", got.ID, want.ID},
		field{"PartnerID", got.PartnerID, want.PartnerID},
		field{"Name", got.Name, want.Name},
		field{"Description", got.Description, want.Description},
		field{"Permissions", strings.Join(got.Permissions, ","), strings.Join(want.Permissions, ",")},
		field{"BuiltIn", got.BuiltIn, want.BuiltIn},
		field{"Version", got.Version, want.Version},
	)
	if !want.CreatedAt.IsZero() {
		eqFields(t, what, field{"CreatedAt", got.CreatedAt, want.CreatedAt}, field{"UpdatedAt", got.UpdatedAt, want.UpdatedAt})
	}
}

func globalRole(t testing.TB, st ports.Store, id string) *domain.Role {
	t.Helper()
	r, err := st.Roles().Get(t.Context(), global, id)
	must(t, "get role "+id, err)
	return r
}

// listRoles pages through the roles a scope sees, two at a time.
func listRoles(t testing.TB, st ports.Store, s domain.Scope) []*domain.Role {
	t.Helper()
	var out []*domain.Role
	drain(t, "List roles", func(req domain.PageRequest) (domain.Page[*domain.Role], error) {
		p, err := st.Roles().List(t.Context(), s, req)
		out = append(out, p.Items...)
		return p, err
	}, func(r *domain.Role) string { return r.ID })
	return out
}

func builtInIDs() []string {
	var ids []string
	for _, r := range domain.BuiltInRoles() {
		ids = append(ids, r.ID)
	}
	return ids
}

func testIdentRoles(t *testing.T, _ IdentityFactory, st ports.Store) {
	t.Run("BuiltInsSeededFromDomain", func(t *testing.T) { rolesBuiltIns(t, st) })
	t.Run("BuiltInsVisibleToEveryNonEmptyScope", func(t *testing.T) { rolesBuiltInVisibility(t, st) })
	t.Run("BuiltInsAreImmutable", func(t *testing.T) { rolesBuiltInImmutable(t, st) })
	t.Run("CustomCRUD", func(t *testing.T) { rolesCRUD(t, st) })
	t.Run("InvalidInputIsErrInvalid", func(t *testing.T) { rolesInvalid(t, st) })
	t.Run("NamesUniquePerPartner", func(t *testing.T) { rolesNames(t, st) })
	t.Run("CustomRoleVisibility", func(t *testing.T) { rolesVisibility(t, st) })
	t.Run("WritesNeedThePartnerCovered", func(t *testing.T) { rolesCreateScope(t, st) })
	t.Run("DeleteOfAnAssignedRoleIsConflict", func(t *testing.T) { rolesDeleteAssigned(t, st) })
	t.Run("UpdateWithStaleVersionIsConflict", func(t *testing.T) { rolesStale(t, st) })
	t.Run("ListPaginates", func(t *testing.T) { rolesPaging(t, st) })
	t.Run("MalformedIDsAreNotFound", func(t *testing.T) { rolesMalformed(t, st) })
}

func rolesBuiltIns(t *testing.T, st ports.Store) {
	want := domain.BuiltInRoles()
	if len(want) == 0 {
		t.Fatal("domain.BuiltInRoles() is empty")
	}
	var got []*domain.Role
	for _, r := range listRoles(t, st, global) {
		if r.BuiltIn || r.PartnerID == "" {
			got = append(got, r)
		}
	}
	gotIDs := make([]string, len(got))
	for i, r := range got {
		gotIDs[i] = r.ID
	}
	wantIDs(t, "built-in roles listed", gotIDs, builtInIDs())
	for i := range want {
		w := &want[i]
		r, err := st.Roles().Get(t.Context(), global, w.ID)
		if err != nil {
			t.Errorf("Get built-in %s (%s): %v", w.Name, w.ID, err)
			continue
		}
		exp := *w
		exp.Version = r.Version // re-seeding may bump it
		eqRole(t, "built-in "+w.Name, r, &exp)
		if r.Version < 1 {
			t.Errorf("built-in %s: Version = %d, want ≥ 1", w.Name, r.Version)
		}
		checkUTC(t, "built-in "+w.Name+" CreatedAt", r.CreatedAt)
	}
}

func rolesBuiltInVisibility(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	for _, c := range []struct {
		name  string
		scope domain.Scope
	}{
		{"PartnerP1", partnerScopeOf(tr.P1.ID)},
		{"OrgA", orgScopeOf(tr.A.ID)},
		{"SiteS1", siteScopeOf(tr.S1.ID)},
		{"OrgCAndSiteS3", domain.Scope{OrgIDs: []string{tr.C.ID}, SiteIDs: []string{tr.S3.ID}}},
		{"UnknownPartner", partnerScopeOf(domain.NewID())},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, id := range builtInIDs() {
				if _, err := st.Roles().Get(ctx, c.scope, id); err != nil {
					t.Errorf("Get built-in %s: %v", id, err)
				}
			}
			var listed []string
			for _, r := range listRoles(t, st, c.scope) {
				listed = append(listed, r.ID)
			}
			for _, id := range builtInIDs() {
				if !slices.Contains(listed, id) {
					t.Errorf("List does not show built-in %s", id)
				}
			}
		})
	}
	t.Run("Empty", func(t *testing.T) {
		for _, id := range builtInIDs() {
			_, err := st.Roles().Get(ctx, domain.Scope{}, id)
			wantIs(t, "Get built-in with an empty scope", err, domain.ErrNotFound)
		}
		p, err := st.Roles().List(ctx, domain.Scope{}, domain.PageRequest{Limit: domain.MaxPageSize})
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("List with an empty scope: %v", err)
		}
		if len(p.Items) != 0 {
			t.Errorf("List with an empty scope shows %d roles, want 0", len(p.Items))
		}
	})
}

func rolesBuiltInImmutable(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	for _, s := range []struct {
		name  string
		scope domain.Scope
	}{{"Global", global}, {"PartnerP1", partnerScopeOf(tr.P1.ID)}} {
		for _, id := range builtInIDs() {
			before := globalRole(t, st, id)
			in := *before
			in.Name = "Hijacked " + uniq("n")
			in.Permissions = domain.AllPermissions()
			in.PartnerID = tr.P1.ID
			_, err := st.Roles().Update(ctx, s.scope, &in)
			wantIs(t, s.name+" Update built-in "+before.Name, err, domain.ErrInvalid)
			wantIs(t, s.name+" Delete built-in "+before.Name, st.Roles().Delete(ctx, s.scope, id), domain.ErrInvalid)
			eqRole(t, "built-in after refused writes", globalRole(t, st, id), before)
		}
	}
}

func rolesCRUD(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	r := &domain.Role{
		PartnerID:   tr.P1.ID,
		Name:        uniq("Helpdesk"),
		Description: "Answers the phone",
		// Unsorted with a duplicate: the store keeps them validated and sorted.
		Permissions: []domain.Permission{domain.PermScriptsRead, domain.PermDevicesRead, domain.PermAlertsAck, domain.PermDevicesRead},
	}
	must(t, "Create", st.Roles().Create(ctx, partnerScopeOf(tr.P1.ID), r))
	checkNewID(t, "created role", r.ID)
	checkStamps(t, "created role", r.CreatedAt, r.UpdatedAt)
	wantPerms := []domain.Permission{domain.PermAlertsAck, domain.PermDevicesRead, domain.PermScriptsRead}
	eqFields(t, "created role",
		field{"Version", r.Version, int64(1)},
		field{"BuiltIn", r.BuiltIn, false},
		field{"PartnerID", r.PartnerID, tr.P1.ID},
		field{"Permissions", strings.Join(r.Permissions, ","), strings.Join(wantPerms, ",")},
	)
	got := globalRole(t, st, r.ID)
	eqRole(t, "Get after Create", got, r)

	in := *got
	in.Name, in.Description = uniq("Helpdesk-2"), "Answers and fixes"
	in.Permissions = []domain.Permission{domain.PermUsersRead, domain.PermDevicesExecute}
	res, err := st.Roles().Update(ctx, partnerScopeOf(tr.P1.ID), &in)
	must(t, "Update", err)
	want := in
	want.Permissions = []domain.Permission{domain.PermDevicesExecute, domain.PermUsersRead}
	want.Version, want.UpdatedAt = got.Version+1, res.UpdatedAt
	eqRole(t, "Update result", res, &want)
	eqRole(t, "Get after Update", globalRole(t, st, r.ID), res)

	// An empty permission list is a valid (if useless) role.
	in = *res
	in.Permissions = nil
	res2, err := st.Roles().Update(ctx, global, &in)
	must(t, "Update to no permissions", err)
	if len(res2.Permissions) != 0 {
		t.Errorf("Update to no permissions: Permissions = %v", res2.Permissions)
	}

	must(t, "Delete", st.Roles().Delete(ctx, partnerScopeOf(tr.P1.ID), r.ID))
	_, err = st.Roles().Get(ctx, global, r.ID)
	wantIs(t, "Get after Delete", err, domain.ErrNotFound)
	wantIs(t, "Delete twice", st.Roles().Delete(ctx, global, r.ID), domain.ErrNotFound)
	_, err = st.Roles().Update(ctx, global, res2)
	wantIs(t, "Update after Delete", err, domain.ErrNotFound)

	// A caller cannot mint a built-in role: the flag is ignored or refused.
	fake := &domain.Role{PartnerID: tr.P1.ID, Name: uniq("Sneaky"), Permissions: []domain.Permission{domain.PermDevicesRead}, BuiltIn: true}
	if err := st.Roles().Create(ctx, partnerScopeOf(tr.P1.ID), fake); err == nil {
		stored := globalRole(t, st, fake.ID)
		eqFields(t, "role created with BuiltIn set", field{"BuiltIn", stored.BuiltIn, false}, field{"PartnerID", stored.PartnerID, tr.P1.ID})
		must(t, "Delete it", st.Roles().Delete(ctx, partnerScopeOf(tr.P1.ID), fake.ID))
	}
}

func rolesInvalid(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	for _, c := range []struct {
		name string
		mut  func(r *domain.Role)
	}{
		{"UnknownPermission", func(r *domain.Role) { r.Permissions = []domain.Permission{domain.PermDevicesRead, "devices:own"} }},
		{"WildcardPermission", func(r *domain.Role) { r.Permissions = []domain.Permission{"*"} }},
		{"EmptyName", func(r *domain.Role) { r.Name = "  " }},
		{"LongDescription", func(r *domain.Role) { r.Description = strings.Repeat("d", 1001) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &domain.Role{PartnerID: tr.P1.ID, Name: uniq("role"), Permissions: []domain.Permission{domain.PermDevicesRead}}
			c.mut(r)
			wantIs(t, "Create", st.Roles().Create(ctx, global, r), domain.ErrInvalid)
			for _, x := range listRoles(t, st, partnerScopeOf(tr.P1.ID)) {
				if !x.BuiltIn {
					t.Errorf("refused Create stored role %s %q", x.ID, x.Name)
				}
			}
			ok := newRole(t, st, tr.P1.ID)
			in := *ok
			c.mut(&in)
			_, err := st.Roles().Update(ctx, global, &in)
			wantIs(t, "Update", err, domain.ErrInvalid)
			eqRole(t, "role after refused Update", globalRole(t, st, ok.ID), ok)
			must(t, "cleanup", st.Roles().Delete(ctx, global, ok.ID))
		})
	}
}

func rolesNames(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	name := uniq("Helpdesk")
	r := &domain.Role{PartnerID: tr.P1.ID, Name: name, Permissions: []domain.Permission{domain.PermDevicesRead}}
	must(t, "Create", st.Roles().Create(ctx, global, r))
	for _, n := range []string{name, strings.ToUpper(name), strings.ToLower(name)} {
		dup := &domain.Role{PartnerID: tr.P1.ID, Name: n, Permissions: []domain.Permission{domain.PermDevicesRead}}
		wantIs(t, "Create duplicate "+n, st.Roles().Create(ctx, global, dup), domain.ErrConflict)
	}
	other := &domain.Role{PartnerID: tr.P2.ID, Name: name, Permissions: []domain.Permission{domain.PermAlertsRead}}
	must(t, "Create the same name in another partner", st.Roles().Create(ctx, global, other))

	second := newRole(t, st, tr.P1.ID)
	in := *second
	in.Name = strings.ToUpper(name)
	_, err := st.Roles().Update(ctx, global, &in)
	wantIs(t, "Update to a taken name", err, domain.ErrConflict)
	eqRole(t, "role after refused rename", globalRole(t, st, second.ID), second)

	// Renaming a role to its own name in another case is fine.
	in = *globalRole(t, st, r.ID)
	in.Name = strings.ToUpper(name)
	_, err = st.Roles().Update(ctx, global, &in)
	must(t, "Update to own name in upper case", err)
}

// roleFixture is the identTree with a custom role in each partner.
type roleFixture struct {
	tr       *identTree
	rP1, rP2 *domain.Role
	labels   idLabels
	byLabel  map[string]string
}

func newRoleFixture(t testing.TB, st ports.Store) *roleFixture {
	t.Helper()
	tr := newIdentTree(t, st)
	fx := &roleFixture{tr: tr, rP1: newRole(t, st, tr.P1.ID, domain.PermDevicesRead), rP2: newRole(t, st, tr.P2.ID, domain.PermAlertsRead)}
	fx.labels = idLabels{fx.rP1.ID: "rP1", fx.rP2.ID: "rP2"}
	fx.byLabel = map[string]string{"rP1": fx.rP1.ID, "rP2": fx.rP2.ID}
	return fx
}

func rolesVisibility(t *testing.T, st ports.Store) {
	for _, c := range []struct {
		name             string
		scope            func(tr *identTree) domain.Scope
		reads, writes    []string
		builtInsReadable bool
	}{
		{"Global", func(*identTree) domain.Scope { return global }, []string{"rP1", "rP2"}, []string{"rP1", "rP2"}, true},
		{"PartnerP1", func(tr *identTree) domain.Scope { return partnerScopeOf(tr.P1.ID) }, []string{"rP1"}, []string{"rP1"}, true},
		{"PartnerP2", func(tr *identTree) domain.Scope { return partnerScopeOf(tr.P2.ID) }, []string{"rP2"}, []string{"rP2"}, true},
		{"OrgA", func(tr *identTree) domain.Scope { return orgScopeOf(tr.A.ID) }, []string{"rP1"}, nil, true},
		{"SiteS1", func(tr *identTree) domain.Scope { return siteScopeOf(tr.S1.ID) }, []string{"rP1"}, nil, true},
		{"OrgC", func(tr *identTree) domain.Scope { return orgScopeOf(tr.C.ID) }, []string{"rP2"}, nil, true},
		{"SiteS4", func(tr *identTree) domain.Scope { return siteScopeOf(tr.S4.ID) }, []string{"rP2"}, nil, true},
		{"OrgAAndSiteS4", func(tr *identTree) domain.Scope {
			return domain.Scope{OrgIDs: []string{tr.A.ID}, SiteIDs: []string{tr.S4.ID}}
		}, []string{"rP1", "rP2"}, nil, true},
		{"PartnerP1AndOrgC", func(tr *identTree) domain.Scope {
			return domain.Scope{PartnerIDs: []string{tr.P1.ID}, OrgIDs: []string{tr.C.ID}}
		}, []string{"rP1", "rP2"}, []string{"rP1"}, true},
		{"IDsAtTheWrongLevel", wrongLevelScope, nil, nil, true},
		{"EmptyAndMalformedIDs", func(*identTree) domain.Scope { return emptyIDsScope }, nil, nil, true},
		{"Empty", func(*identTree) domain.Scope { return domain.Scope{} }, nil, nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := t.Context()
			fx := newRoleFixture(t, st)
			scope := c.scope(fx.tr)
			roles := map[string]*domain.Role{"rP1": fx.rP1, "rP2": fx.rP2}

			for label, r := range roles {
				got, err := st.Roles().Get(ctx, scope, r.ID)
				if hasLabel(c.reads, label) {
					if err != nil {
						t.Errorf("Get %s: %v", label, err)
					} else {
						eqRole(t, "Get "+label, got, r)
					}
				} else if !errors.Is(err, domain.ErrNotFound) {
					t.Errorf("Get %s: error = %v, want ErrNotFound", label, err)
				}
			}

			var custom []string
			builtIns := 0
			for _, r := range listRoles(t, st, scope) {
				if slices.Contains(builtInIDs(), r.ID) {
					builtIns++
					continue
				}
				custom = append(custom, r.ID)
			}
			if want := len(builtInIDs()); c.builtInsReadable && builtIns != want {
				t.Errorf("List shows %d built-in roles, want %d", builtIns, want)
			}
			if !c.builtInsReadable && builtIns != 0 {
				t.Errorf("List shows %d built-in roles, want 0", builtIns)
			}
			wantVisible(t, "List custom roles", custom, fx.labels, fx.byLabel, c.reads, scope.Global)

			for label, r := range roles {
				in := *r
				in.Name = uniq("Renamed")
				in.Permissions = domain.AllPermissions()
				res, err := st.Roles().Update(ctx, scope, &in)
				if hasLabel(c.writes, label) {
					if err != nil {
						t.Errorf("Update %s: %v", label, err)
						continue
					}
					roles[label] = res
					continue
				}
				wantIs(t, "Update "+label, err, domain.ErrNotFound)
				eqRole(t, label+" after refused Update", globalRole(t, st, r.ID), r)
			}
			for label, r := range roles {
				err := st.Roles().Delete(ctx, scope, r.ID)
				if hasLabel(c.writes, label) {
					if err != nil {
						t.Errorf("Delete %s: %v", label, err)
					}
					continue
				}
				wantIs(t, "Delete "+label, err, domain.ErrNotFound)
				eqRole(t, label+" after refused Delete", globalRole(t, st, r.ID), r)
			}
		})
	}
}

func rolesCreateScope(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	for _, c := range []struct {
		name    string
		scope   domain.Scope
		partner string
		ok      bool
	}{
		{"PartnerCoversIt", partnerScopeOf(tr.P1.ID), tr.P1.ID, true},
		{"GlobalAnyPartner", global, tr.P2.ID, true},
		{"OrgOfThePartner", orgScopeOf(tr.A.ID), tr.P1.ID, false},
		{"SiteOfThePartner", siteScopeOf(tr.S1.ID), tr.P1.ID, false},
		{"AnotherPartner", partnerScopeOf(tr.P1.ID), tr.P2.ID, false},
		{"Empty", domain.Scope{}, tr.P1.ID, false},
		{"UnknownPartner", global, domain.NewID(), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &domain.Role{PartnerID: c.partner, Name: uniq("role"), Permissions: []domain.Permission{domain.PermDevicesRead}}
			err := st.Roles().Create(ctx, c.scope, r)
			if c.ok {
				must(t, "Create", err)
				eqFields(t, "created role", field{"PartnerID", r.PartnerID, c.partner})
				return
			}
			wantIs(t, "Create", err, domain.ErrNotFound)
			for _, x := range listRoles(t, st, global) {
				if x.Name == r.Name {
					t.Errorf("refused Create stored role %s", x.ID)
				}
			}
		})
	}
	// A partner caller cannot create a role without a partner (a new
	// built-in visible to everyone).
	r := &domain.Role{Name: uniq("global-role"), Permissions: []domain.Permission{domain.PermDevicesRead}}
	wantOneOf(t, "partner caller creating a role without partner", st.Roles().Create(ctx, partnerScopeOf(tr.P1.ID), r),
		domain.ErrNotFound, domain.ErrInvalid)
}

func rolesDeleteAssigned(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	r := newRole(t, st, tr.P1.ID)
	u := newUser(t, st, tr.P1.ID, tr.A.ID)
	g := newGrant(t, st, grantAt(u.ID, r.ID, tr.P1.ID, tr.A.ID, tr.S1.ID))
	wantIs(t, "Delete assigned role", st.Roles().Delete(ctx, partnerScopeOf(tr.P1.ID), r.ID), domain.ErrConflict)
	eqRole(t, "role after refused Delete", globalRole(t, st, r.ID), r)
	must(t, "Delete the grant", st.RoleAssignments().Delete(ctx, global, g.ID))
	must(t, "Delete the role once unassigned", st.Roles().Delete(ctx, partnerScopeOf(tr.P1.ID), r.ID))
}

func rolesStale(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	r := newRole(t, st, tr.P1.ID)
	for _, v := range []int64{0, -1, r.Version + 1} {
		in := *r
		in.Version, in.Name = v, uniq("stale")
		_, err := st.Roles().Update(ctx, global, &in)
		wantIs(t, fmt.Sprintf("Update at version %d (stored %d)", v, r.Version), err, domain.ErrConflict)
	}
	eqRole(t, "role after stale Updates", globalRole(t, st, r.ID), r)
	in := *r
	in.Name = uniq("fresh")
	res, err := st.Roles().Update(ctx, global, &in)
	must(t, "Update at the stored version", err)
	eqFields(t, "Update", field{"Version", res.Version, r.Version + 1})
	in.Name = uniq("again")
	_, err = st.Roles().Update(ctx, global, &in)
	wantIs(t, "second Update with the version already used", err, domain.ErrConflict)
	eqRole(t, "role after second Update", globalRole(t, st, r.ID), res)
}

func rolesPaging(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	want := builtInIDs()
	for range 5 {
		want = append(want, newRole(t, st, tr.P1.ID).ID)
	}
	newRole(t, st, tr.P2.ID) // never listed for P1
	for _, limit := range []int{1, 3, 12, 13} {
		got := identPages(t, fmt.Sprintf("List limit %d", limit), limit, func(req domain.PageRequest) ([]string, string, error) {
			p, err := st.Roles().List(ctx, partnerScopeOf(tr.P1.ID), req)
			ids := make([]string, len(p.Items))
			for i, r := range p.Items {
				ids[i] = r.ID
			}
			return ids, p.NextCursor, err
		})
		wantIDs(t, fmt.Sprintf("List limit %d", limit), got, want)
	}
	_, err := st.Roles().List(ctx, global, domain.PageRequest{Cursor: "bogus"})
	wantIs(t, "List with a malformed cursor", err, domain.ErrInvalid)
}

func rolesMalformed(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	r := newRole(t, st, tr.P1.ID)
	for _, id := range malformedIDs(r.ID) {
		_, err := st.Roles().Get(ctx, global, id)
		wantIs(t, fmt.Sprintf("Get(%q)", id), err, domain.ErrNotFound)
		wantIs(t, fmt.Sprintf("Delete(%q)", id), st.Roles().Delete(ctx, global, id), domain.ErrNotFound)
		in := *r
		in.ID = id
		_, err = st.Roles().Update(ctx, global, &in)
		wantIs(t, fmt.Sprintf("Update(%q)", id), err, domain.ErrNotFound)
	}
	eqRole(t, "role after malformed-id calls", globalRole(t, st, r.ID), r)
}
