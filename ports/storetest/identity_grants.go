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

func eqGrant(t testing.TB, what string, got, want *domain.RoleAssignment) {
	t.Helper()
	eqFields(t, what,
		field{"ID", got.ID, want.ID},
		field{"UserID", got.UserID, want.UserID},
		field{"RoleID", got.RoleID, want.RoleID},
		field{"PartnerID", got.PartnerID, want.PartnerID},
		field{"OrgID", got.OrgID, want.OrgID},
		field{"SiteID", got.SiteID, want.SiteID},
		field{"CreatedBy", got.CreatedBy, want.CreatedBy},
		field{"CreatedAt", got.CreatedAt, want.CreatedAt},
	)
}

// grantsOfUser lists (Global) the ids of every grant of a user.
func grantsOfUser(t testing.TB, st ports.Store, userID string) []string {
	t.Helper()
	return drain(t, "List grants by user", func(req domain.PageRequest) (domain.Page[*domain.RoleAssignment], error) {
		return st.RoleAssignments().List(t.Context(), global, ports.RoleAssignmentFilter{UserID: userID}, req)
	}, func(a *domain.RoleAssignment) string { return a.ID })
}

func testIdentGrants(t *testing.T, _ IdentityFactory, st ports.Store) {
	t.Run("CreateAtPartnerOrgAndSite", func(t *testing.T) { grantsCreate(t, st) })
	t.Run("DuplicateIsConflict", func(t *testing.T) { grantsDuplicate(t, st) })
	t.Run("UnitOutsideTheUsersPartnerIsInvalid", func(t *testing.T) { grantsForeignUnit(t, st) })
	t.Run("UnitWhosePartsDoNotBelongTogetherIsRefused", func(t *testing.T) { grantsInconsistentUnit(t, st) })
	t.Run("CustomRoleOfAnotherPartner", func(t *testing.T) { grantsForeignRole(t, st) })
	t.Run("UnknownUserOrRoleIsNotFound", func(t *testing.T) { grantsUnknown(t, st) })
	t.Run("CreateNeedsUnitCoveredAndUserVisible", func(t *testing.T) { grantsCreateScope(t, st) })
	t.Run("VisibleByUnitCoverage", func(t *testing.T) { grantsVisibility(t, st) })
	t.Run("ListFiltersAndPaginates", func(t *testing.T) { grantsList(t, st) })
	t.Run("GrantsOfFollowsRolePermissions", func(t *testing.T) { grantsOf(t, st) })
	t.Run("MalformedIDsAreNotFound", func(t *testing.T) { grantsMalformed(t, st) })
}

func grantsCreate(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	admin := newUser(t, st, tr.P1.ID, "")
	uA := newUser(t, st, tr.P1.ID, tr.A.ID)
	custom := newRole(t, st, tr.P1.ID, domain.PermDevicesRead, domain.PermScriptsRead)
	for _, c := range []struct {
		name  string
		a     *domain.RoleAssignment
		level domain.Level
	}{
		{"Partner", grantAt(admin.ID, domain.RolePartnerAdmin, tr.P1.ID, "", ""), domain.LevelPartner},
		{"PartnerUserAtOrg", grantAt(admin.ID, domain.RoleOrgAdmin, tr.P1.ID, tr.B.ID, ""), domain.LevelOrg},
		{"Org", grantAt(uA.ID, domain.RoleOrgAdmin, tr.P1.ID, tr.A.ID, ""), domain.LevelOrg},
		{"Site", grantAt(uA.ID, domain.RoleOrgTechnician, tr.P1.ID, tr.A.ID, tr.S1.ID), domain.LevelSite},
		{"CustomRoleAtSite", grantAt(uA.ID, custom.ID, tr.P1.ID, tr.A.ID, tr.S2.ID), domain.LevelSite},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := c.a
			a.CreatedBy = admin.ID
			in := *a
			must(t, "Create", st.RoleAssignments().Create(ctx, global, a))
			checkNewID(t, "created grant", a.ID)
			checkStamps(t, "created grant", a.CreatedAt, a.CreatedAt)
			eqFields(t, "created grant", field{"Level", a.Level(), c.level},
				field{"PartnerID", a.PartnerID, in.PartnerID}, field{"OrgID", a.OrgID, in.OrgID}, field{"SiteID", a.SiteID, in.SiteID})
			got, err := st.RoleAssignments().Get(ctx, global, a.ID)
			must(t, "Get", err)
			eqGrant(t, "Get after Create", got, a)
		})
	}

	g := newGrant(t, st, grantAt(uA.ID, domain.RoleOrgViewer, tr.P1.ID, tr.A.ID, tr.S1.ID))
	must(t, "Delete", st.RoleAssignments().Delete(ctx, orgScopeOf(tr.A.ID), g.ID))
	_, err := st.RoleAssignments().Get(ctx, global, g.ID)
	wantIs(t, "Get after Delete", err, domain.ErrNotFound)
	wantIs(t, "Delete twice", st.RoleAssignments().Delete(ctx, global, g.ID), domain.ErrNotFound)
	// Deleted, the same grant can be made again.
	newGrant(t, st, grantAt(uA.ID, domain.RoleOrgViewer, tr.P1.ID, tr.A.ID, tr.S1.ID))
}

func grantsDuplicate(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, "")
	units := [][3]string{{tr.P1.ID, "", ""}, {tr.P1.ID, tr.A.ID, ""}, {tr.P1.ID, tr.A.ID, tr.S1.ID}}
	for _, unit := range units {
		newGrant(t, st, grantAt(u.ID, domain.RoleOrgViewer, unit[0], unit[1], unit[2]))
	}
	for _, unit := range units {
		dup := grantAt(u.ID, domain.RoleOrgViewer, unit[0], unit[1], unit[2])
		dup.CreatedBy = u.ID // a different granter does not make it a different grant
		wantIs(t, fmt.Sprintf("duplicate grant at %v", unit), st.RoleAssignments().Create(ctx, partnerScopeOf(tr.P1.ID), dup), domain.ErrConflict)
	}
	if n := len(grantsOfUser(t, st, u.ID)); n != len(units) {
		t.Errorf("user has %d grants after refused duplicates, want %d", n, len(units))
	}
	// Another role at the same unit, or the same role at another unit, is a new grant.
	newGrant(t, st, grantAt(u.ID, domain.RoleOrgTechnician, tr.P1.ID, tr.A.ID, ""))
	newGrant(t, st, grantAt(u.ID, domain.RoleOrgViewer, tr.P1.ID, tr.A.ID, tr.S2.ID))
	newGrant(t, st, grantAt(u.ID, domain.RoleOrgViewer, tr.P1.ID, tr.B.ID, ""))
}

// wantNoNewGrants asserts a user still has exactly the grants in before.
func wantNoNewGrants(t testing.TB, st ports.Store, what, userID string, before []string) {
	t.Helper()
	if after := grantsOfUser(t, st, userID); !slices.Equal(after, before) {
		t.Errorf("%s: grants of the user changed from %v to %v", what, before, after)
	}
}

func grantsForeignUnit(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	for _, u := range []*domain.User{newUser(t, st, tr.P1.ID, ""), newUser(t, st, tr.P1.ID, tr.A.ID)} {
		before := grantsOfUser(t, st, u.ID)
		for _, unit := range [][3]string{{tr.P2.ID, "", ""}, {tr.P2.ID, tr.C.ID, ""}, {tr.P2.ID, tr.C.ID, tr.S4.ID}} {
			a := grantAt(u.ID, domain.RoleOrgViewer, unit[0], unit[1], unit[2])
			wantIs(t, fmt.Sprintf("grant at %v to a user of P1", unit), st.RoleAssignments().Create(ctx, global, a), domain.ErrInvalid)
		}
		wantNoNewGrants(t, st, "refused grants", u.ID, before)
	}
}

func grantsInconsistentUnit(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, "")
	before := grantsOfUser(t, st, u.ID)
	for _, c := range []struct {
		name  string
		scope domain.Scope
		unit  [3]string
	}{
		{"OrgOfAnotherPartner", global, [3]string{tr.P1.ID, tr.C.ID, ""}},
		{"SiteOfAnotherOrg", global, [3]string{tr.P1.ID, tr.A.ID, tr.S3.ID}},
		{"SiteOfAnotherPartner", global, [3]string{tr.P1.ID, tr.A.ID, tr.S4.ID}},
		{"UnknownOrg", global, [3]string{tr.P1.ID, domain.NewID(), ""}},
		{"UnknownSite", global, [3]string{tr.P1.ID, tr.A.ID, domain.NewID()}},
		// The caller covers the org it names but not the site it smuggles in.
		{"CoveredOrgForeignSite", orgScopeOf(tr.A.ID), [3]string{tr.P1.ID, tr.A.ID, tr.S3.ID}},
		// The caller covers the site but claims an org it does not hold.
		{"CoveredSiteWrongOrg", orgScopeOf(tr.B.ID), [3]string{tr.P1.ID, tr.B.ID, tr.S1.ID}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := grantAt(u.ID, domain.RoleOrgViewer, c.unit[0], c.unit[1], c.unit[2])
			wantOneOf(t, "Create", st.RoleAssignments().Create(ctx, c.scope, a), domain.ErrInvalid, domain.ErrNotFound)
			wantNoNewGrants(t, st, "refused grant", u.ID, before)
		})
	}
}

func grantsForeignRole(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, tr.A.ID)
	rP2 := newRole(t, st, tr.P2.ID)
	before := grantsOfUser(t, st, u.ID)
	// Visible to the caller but of another partner than the unit's.
	a := grantAt(u.ID, rP2.ID, tr.P1.ID, tr.A.ID, "")
	wantIs(t, "Global granting P2's role at P1's org", st.RoleAssignments().Create(ctx, global, a), domain.ErrInvalid)
	a = grantAt(u.ID, rP2.ID, tr.P1.ID, tr.A.ID, "")
	wantIs(t, "caller of both partners granting P2's role at P1's org",
		st.RoleAssignments().Create(ctx, partnerScopeOf(tr.P1.ID, tr.P2.ID), a), domain.ErrInvalid)
	// Invisible to the caller: it does not exist for them.
	for _, s := range []domain.Scope{partnerScopeOf(tr.P1.ID), orgScopeOf(tr.A.ID)} {
		a = grantAt(u.ID, rP2.ID, tr.P1.ID, tr.A.ID, "")
		wantIs(t, fmt.Sprintf("caller %v granting P2's role", s), st.RoleAssignments().Create(ctx, s, a), domain.ErrNotFound)
	}
	wantNoNewGrants(t, st, "refused grants", u.ID, before)
	// P1's own role is fine, also for an org caller that can read it.
	rP1 := newRole(t, st, tr.P1.ID)
	must(t, "org caller granting its partner's role", st.RoleAssignments().Create(ctx, orgScopeOf(tr.A.ID), grantAt(u.ID, rP1.ID, tr.P1.ID, tr.A.ID, "")))
}

func grantsUnknown(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, tr.A.ID)
	for _, c := range []struct{ name, user, role string }{
		{"UnknownUser", domain.NewID(), domain.RoleOrgViewer},
		{"MalformedUser", "' OR '1'='1", domain.RoleOrgViewer},
		{"UnknownRole", u.ID, domain.NewID()},
		{"MalformedRole", u.ID, strings.ToUpper(domain.NewID())},
	} {
		a := grantAt(c.user, c.role, tr.P1.ID, tr.A.ID, "")
		wantOneOf(t, c.name, st.RoleAssignments().Create(ctx, global, a), domain.ErrNotFound, domain.ErrInvalid)
	}
	if n := len(grantsOfUser(t, st, u.ID)); n != 0 {
		t.Errorf("user has %d grants after refused Creates", n)
	}
}

func grantsCreateScope(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	uP1 := newUser(t, st, tr.P1.ID, "")
	uA := newUser(t, st, tr.P1.ID, tr.A.ID)
	uC := newUser(t, st, tr.P2.ID, tr.C.ID)
	for _, c := range []struct {
		name  string
		scope domain.Scope
		user  *domain.User
		unit  [3]string
		ok    bool
	}{
		{"PartnerAtItsPartner", partnerScopeOf(tr.P1.ID), uP1, [3]string{tr.P1.ID, "", ""}, true},
		{"PartnerAtItsSite", partnerScopeOf(tr.P1.ID), uA, [3]string{tr.P1.ID, tr.A.ID, tr.S1.ID}, true},
		{"OrgAtItsOrg", orgScopeOf(tr.A.ID), uA, [3]string{tr.P1.ID, tr.A.ID, ""}, true},
		{"OrgAtItsSite", orgScopeOf(tr.A.ID), uA, [3]string{tr.P1.ID, tr.A.ID, tr.S2.ID}, true},
		{"OrgAtItsPartner", orgScopeOf(tr.A.ID), uA, [3]string{tr.P1.ID, "", ""}, false},
		{"OrgAtSiblingOrg", orgScopeOf(tr.A.ID), uA, [3]string{tr.P1.ID, tr.B.ID, ""}, false},
		{"OrgAtSiblingSite", orgScopeOf(tr.A.ID), uA, [3]string{tr.P1.ID, tr.B.ID, tr.S3.ID}, false},
		// A partner-level user is invisible to an org caller.
		{"OrgGrantingPartnerLevelUser", orgScopeOf(tr.A.ID), uP1, [3]string{tr.P1.ID, tr.A.ID, ""}, false},
		// A site caller sees no users, so it cannot grant.
		{"SiteAtItsSite", siteScopeOf(tr.S1.ID), uA, [3]string{tr.P1.ID, tr.A.ID, tr.S1.ID}, false},
		{"PartnerAtAnotherPartner", partnerScopeOf(tr.P1.ID), uC, [3]string{tr.P2.ID, tr.C.ID, ""}, false},
		{"Empty", domain.Scope{}, uA, [3]string{tr.P1.ID, tr.A.ID, ""}, false},
		{"WrongLevelIDs", wrongLevelScope(tr), uA, [3]string{tr.P1.ID, tr.A.ID, tr.S1.ID}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := grantsOfUser(t, st, c.user.ID)
			a := grantAt(c.user.ID, domain.RoleOrgViewer, c.unit[0], c.unit[1], c.unit[2])
			err := st.RoleAssignments().Create(ctx, c.scope, a)
			if c.ok {
				must(t, "Create", err)
				return
			}
			wantIs(t, "Create", err, domain.ErrNotFound)
			wantNoNewGrants(t, st, "refused grant", c.user.ID, before)
		})
	}
}

// grantFixture is the identTree with grants at every level.
type grantFixture struct {
	tr      *identTree
	grants  map[string]*domain.RoleAssignment
	labels  idLabels
	byLabel map[string]string
}

func newGrantFixture(t testing.TB, st ports.Store) *grantFixture {
	t.Helper()
	tr := newIdentTree(t, st)
	uP1, uA, uC := newUser(t, st, tr.P1.ID, ""), newUser(t, st, tr.P1.ID, tr.A.ID), newUser(t, st, tr.P2.ID, tr.C.ID)
	fx := &grantFixture{tr: tr, grants: map[string]*domain.RoleAssignment{}, labels: idLabels{}, byLabel: map[string]string{}}
	for _, c := range []struct {
		label string
		a     *domain.RoleAssignment
	}{
		{"gP1", grantAt(uP1.ID, domain.RolePartnerViewer, tr.P1.ID, "", "")},
		{"gA", grantAt(uA.ID, domain.RoleOrgViewer, tr.P1.ID, tr.A.ID, "")},
		{"gS1", grantAt(uA.ID, domain.RoleOrgTechnician, tr.P1.ID, tr.A.ID, tr.S1.ID)},
		{"gS2", grantAt(uA.ID, domain.RoleOrgTechnician, tr.P1.ID, tr.A.ID, tr.S2.ID)},
		{"gB", grantAt(uP1.ID, domain.RoleOrgAdmin, tr.P1.ID, tr.B.ID, "")},
		{"gS3", grantAt(uP1.ID, domain.RoleOrgAdmin, tr.P1.ID, tr.B.ID, tr.S3.ID)},
		{"gC", grantAt(uC.ID, domain.RoleOrgViewer, tr.P2.ID, tr.C.ID, "")},
		{"gS4", grantAt(uC.ID, domain.RoleOrgTechnician, tr.P2.ID, tr.C.ID, tr.S4.ID)},
	} {
		newGrant(t, st, c.a)
		fx.grants[c.label] = c.a
		fx.labels[c.a.ID] = c.label
		fx.byLabel[c.label] = c.a.ID
	}
	return fx
}

// unitScopes are the callers of the grant and API key visibility matrices;
// the labels are the units they cover (P1, A, S1, ...).
func unitScopes() []identScope {
	return []identScope{
		{"Global", func(*identTree) domain.Scope { return global }, []string{"P1", "A", "S1", "S2", "B", "S3", "C", "S4"}},
		{"PartnerP1", func(tr *identTree) domain.Scope { return partnerScopeOf(tr.P1.ID) }, []string{"P1", "A", "S1", "S2", "B", "S3"}},
		{"OrgA", func(tr *identTree) domain.Scope { return orgScopeOf(tr.A.ID) }, []string{"A", "S1", "S2"}},
		{"SiteS1", func(tr *identTree) domain.Scope { return siteScopeOf(tr.S1.ID) }, []string{"S1"}},
		{"OrgCAndSiteS3", func(tr *identTree) domain.Scope {
			return domain.Scope{OrgIDs: []string{tr.C.ID}, SiteIDs: []string{tr.S3.ID}}
		}, []string{"C", "S4", "S3"}},
		{"SitesOfTwoPartners", func(tr *identTree) domain.Scope { return siteScopeOf(tr.S2.ID, tr.S4.ID) }, []string{"S2", "S4"}},
		{"Empty", func(*identTree) domain.Scope { return domain.Scope{} }, nil},
		{"IDsAtTheWrongLevel", wrongLevelScope, nil},
		{"EmptyAndMalformedIDs", func(*identTree) domain.Scope { return emptyIDsScope }, nil},
		{"UnknownIDs", func(*identTree) domain.Scope {
			return domain.Scope{PartnerIDs: []string{domain.NewID()}, OrgIDs: []string{domain.NewID()}, SiteIDs: []string{domain.NewID()}}
		}, nil},
	}
}

// prefixed maps unit labels to row labels: "P1" → "gP1".
func labelsWith(prefix string, units []string) []string {
	out := make([]string, len(units))
	for i, u := range units {
		out[i] = prefix + u
	}
	return out
}

func grantsVisibility(t *testing.T, st ports.Store) {
	for _, sc := range unitScopes() {
		t.Run(sc.name, func(t *testing.T) {
			ctx := t.Context()
			fx := newGrantFixture(t, st)
			scope := sc.scope(fx.tr)
			sees := labelsWith("g", sc.sees)
			for label, a := range fx.grants {
				got, err := st.RoleAssignments().Get(ctx, scope, a.ID)
				if hasLabel(sees, label) {
					if err != nil {
						t.Errorf("Get %s: %v", label, err)
					} else {
						eqGrant(t, "Get "+label, got, a)
					}
				} else if !errors.Is(err, domain.ErrNotFound) {
					t.Errorf("Get %s: error = %v, want ErrNotFound", label, err)
				}
			}
			ids := drain(t, "List", func(req domain.PageRequest) (domain.Page[*domain.RoleAssignment], error) {
				return st.RoleAssignments().List(ctx, scope, ports.RoleAssignmentFilter{}, req)
			}, func(a *domain.RoleAssignment) string { return a.ID })
			wantVisible(t, "List", ids, fx.labels, fx.byLabel, sees, scope.Global)

			for label, a := range fx.grants {
				err := st.RoleAssignments().Delete(ctx, scope, a.ID)
				if hasLabel(sees, label) {
					if err != nil {
						t.Errorf("Delete %s: %v", label, err)
					} else if _, err := st.RoleAssignments().Get(ctx, global, a.ID); !errors.Is(err, domain.ErrNotFound) {
						t.Errorf("%s after Delete: Get error = %v, want ErrNotFound", label, err)
					}
					continue
				}
				wantIs(t, "Delete "+label, err, domain.ErrNotFound)
				if _, err := st.RoleAssignments().Get(ctx, global, a.ID); err != nil {
					t.Errorf("%s after refused Delete: %v", label, err)
				}
			}
		})
	}
}

func grantsList(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u1, u2 := newUser(t, st, tr.P1.ID, ""), newUser(t, st, tr.P1.ID, tr.A.ID)
	r := newRole(t, st, tr.P1.ID)
	labels, byLabel := idLabels{}, map[string]string{}
	add := func(label string, a *domain.RoleAssignment) {
		newGrant(t, st, a)
		labels[a.ID], byLabel[label] = label, a.ID
	}
	add("u1-viewer-A", grantAt(u1.ID, domain.RoleOrgViewer, tr.P1.ID, tr.A.ID, ""))
	add("u1-custom-P1", grantAt(u1.ID, r.ID, tr.P1.ID, "", ""))
	add("u1-custom-B", grantAt(u1.ID, r.ID, tr.P1.ID, tr.B.ID, ""))
	add("u2-viewer-A", grantAt(u2.ID, domain.RoleOrgViewer, tr.P1.ID, tr.A.ID, ""))
	add("u2-viewer-S1", grantAt(u2.ID, domain.RoleOrgViewer, tr.P1.ID, tr.A.ID, tr.S1.ID))
	add("u2-custom-S2", grantAt(u2.ID, r.ID, tr.P1.ID, tr.A.ID, tr.S2.ID))

	p1 := partnerScopeOf(tr.P1.ID)
	for _, c := range []struct {
		name  string
		scope domain.Scope
		f     ports.RoleAssignmentFilter
		sees  []string
	}{
		{"User", p1, ports.RoleAssignmentFilter{UserID: u1.ID}, []string{"u1-viewer-A", "u1-custom-P1", "u1-custom-B"}},
		{"Role", p1, ports.RoleAssignmentFilter{RoleID: r.ID}, []string{"u1-custom-P1", "u1-custom-B", "u2-custom-S2"}},
		{"BuiltInRole", p1, ports.RoleAssignmentFilter{RoleID: domain.RoleOrgViewer}, []string{"u1-viewer-A", "u2-viewer-A", "u2-viewer-S1"}},
		{"UserAndRole", p1, ports.RoleAssignmentFilter{UserID: u2.ID, RoleID: domain.RoleOrgViewer}, []string{"u2-viewer-A", "u2-viewer-S1"}},
		{"UserUnderOrgScope", orgScopeOf(tr.A.ID), ports.RoleAssignmentFilter{UserID: u1.ID}, []string{"u1-viewer-A"}},
		{"RoleUnderSiteScope", siteScopeOf(tr.S2.ID), ports.RoleAssignmentFilter{RoleID: r.ID}, []string{"u2-custom-S2"}},
		{"UnknownUser", p1, ports.RoleAssignmentFilter{UserID: domain.NewID()}, nil},
		{"MalformedRole", p1, ports.RoleAssignmentFilter{RoleID: "%"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var ids []string
			req := domain.PageRequest{Limit: 1}
			for range maxPages {
				p, err := st.RoleAssignments().List(ctx, c.scope, c.f, req)
				if err != nil && c.sees == nil && errors.Is(err, domain.ErrNotFound) {
					break
				}
				must(t, "List", err)
				if len(p.Items) > 1 {
					t.Fatalf("List: %d items on a page of 1", len(p.Items))
				}
				for _, a := range p.Items {
					ids = append(ids, a.ID)
				}
				if p.NextCursor == "" {
					break
				}
				req.Cursor = p.NextCursor
			}
			wantVisible(t, "List", ids, labels, byLabel, c.sees, false)
		})
	}
	_, err := st.RoleAssignments().List(ctx, p1, ports.RoleAssignmentFilter{}, domain.PageRequest{Cursor: "xyz"})
	wantIs(t, "List with a malformed cursor", err, domain.ErrInvalid)
}

func grantsOf(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, tr.A.ID)
	other := newUser(t, st, tr.P1.ID, tr.A.ID)
	r := newRole(t, st, tr.P1.ID, domain.PermScriptsWrite, domain.PermDevicesRead)
	gA := newGrant(t, st, grantAt(u.ID, domain.RoleOrgViewer, tr.P1.ID, tr.A.ID, ""))
	gS1 := newGrant(t, st, grantAt(u.ID, r.ID, tr.P1.ID, tr.A.ID, tr.S1.ID))
	newGrant(t, st, grantAt(other.ID, domain.RoleOrgAdmin, tr.P1.ID, tr.A.ID, ""))

	check := func(what string, want map[string][]domain.Permission, assignments ...*domain.RoleAssignment) {
		t.Helper()
		grants, err := st.RoleAssignments().GrantsOf(ctx, u.ID)
		must(t, what, err)
		if len(grants) != len(assignments) {
			t.Errorf("%s: %d grants, want %d", what, len(grants), len(assignments))
		}
		for _, a := range assignments {
			i := slices.IndexFunc(grants, func(g domain.Grant) bool { return g.Assignment.ID == a.ID })
			if i < 0 {
				t.Errorf("%s: grant %s missing", what, a.ID)
				continue
			}
			eqGrant(t, what+" assignment", &grants[i].Assignment, a)
			got := slices.Clone(grants[i].Permissions)
			slices.Sort(got)
			eqFields(t, what+" permissions", field{"Permissions", strings.Join(got, ","), strings.Join(want[a.ID], ",")})
		}
	}
	viewer := globalRole(t, st, domain.RoleOrgViewer).Permissions
	check("GrantsOf", map[string][]domain.Permission{
		gA.ID:  viewer,
		gS1.ID: {domain.PermDevicesRead, domain.PermScriptsWrite},
	}, gA, gS1)

	in := *r
	in.Permissions = []domain.Permission{domain.PermRemoteAccess}
	_, err := st.Roles().Update(ctx, global, &in)
	must(t, "Update role permissions", err)
	check("GrantsOf after the role changed", map[string][]domain.Permission{
		gA.ID:  viewer,
		gS1.ID: {domain.PermRemoteAccess},
	}, gA, gS1)

	must(t, "Delete grant", st.RoleAssignments().Delete(ctx, global, gA.ID))
	check("GrantsOf after a Delete", map[string][]domain.Permission{gS1.ID: {domain.PermRemoteAccess}}, gS1)

	for _, id := range []string{domain.NewID(), "' OR '1'='1", ""} {
		grants, err := st.RoleAssignments().GrantsOf(ctx, id)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("GrantsOf(%q): %v", id, err)
		}
		if len(grants) != 0 {
			t.Errorf("GrantsOf(%q) = %d grants, want 0", id, len(grants))
		}
	}
}

func grantsMalformed(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, "")
	g := newGrant(t, st, grantAt(u.ID, domain.RolePartnerViewer, tr.P1.ID, "", ""))
	for _, id := range malformedIDs(g.ID) {
		_, err := st.RoleAssignments().Get(ctx, global, id)
		wantIs(t, fmt.Sprintf("Get(%q)", id), err, domain.ErrNotFound)
		wantIs(t, fmt.Sprintf("Delete(%q)", id), st.RoleAssignments().Delete(ctx, global, id), domain.ErrNotFound)
	}
	if _, err := st.RoleAssignments().Get(ctx, global, g.ID); err != nil {
		t.Errorf("grant after malformed-id calls: %v", err)
	}
}
