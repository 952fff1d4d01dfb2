package storetest

// The identity part of the suite: users, roles, grants, API keys, refresh
// tokens and the audit log (ports/identity.go), run by both adapters with
// RunIdentity.
//
// Choices the contract leaves open, fixed here so both adapters agree:
//   - a user is visible to a partner scope (OrgID empty) or an org scope
//     (OrgID set) only; a site scope never sees users, so it cannot grant
//     roles either (the grantee must be visible);
//   - a grant or an API key names its whole unit (PartnerID, OrgID, SiteID);
//     a unit whose parts do not belong together is refused (ErrInvalid or
//     ErrNotFound) and stores nothing;
//   - a custom role invisible to the caller is ErrNotFound when granted; a
//     visible custom role of another partner than the unit's is ErrInvalid;
//   - Update of a user checks Version like every other Update; PartnerID and
//     OrgID sent to it are ignored or refused, never stored;
//   - RecordLogin on an unknown user is ErrNotFound; a refused step changes
//     nothing (LastLoginAt included);
//   - Rotate overwrites next.FamilyID and next.UserID with the spent row's,
//     whatever the caller put there, and fills next.ID;
//   - audit Append keeps a caller's ID and At; List pages newest first.

import (
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// IdentityFactory returns a new, migrated, EMPTY store (built-in roles
// seeded, no users, an empty audit log); the suite may call it several times.
// It registers the store's cleanup on t.
type IdentityFactory func(t testing.TB) ports.Store

// RunIdentity runs the identity suite against stores made by f.
func RunIdentity(t *testing.T, f IdentityFactory) {
	t.Helper()
	groups := []struct {
		name string
		fn   func(t *testing.T, f IdentityFactory, st ports.Store)
	}{
		{"Users", testIdentUsers},
		{"Roles", testIdentRoles},
		{"RoleAssignments", testIdentGrants},
		{"APIKeys", testIdentAPIKeys},
		{"RefreshTokens", testIdentRefresh},
		{"Audit", testIdentAudit},
		{"Transactions", testIdentTx},
		{"PartnerRequireTOTP", testIdentPartnerTOTP},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.fn(t, f, f(t)) })
	}
}

// identTree is the tenancy fixture of the identity tests:
//
//	P1 ─ A ─ S1, S2
//	   └ B ─ S3
//	P2 ─ C ─ S4
type identTree struct {
	P1, P2         *domain.Partner
	A, B, C        *domain.Organization
	S1, S2, S3, S4 *domain.Site
}

func newIdentTree(t testing.TB, st ports.Store) *identTree {
	t.Helper()
	tr := &identTree{P1: newPartner(t, st), P2: newPartner(t, st)}
	tr.A, tr.B, tr.C = newOrg(t, st, tr.P1.ID), newOrg(t, st, tr.P1.ID), newOrg(t, st, tr.P2.ID)
	tr.S1, tr.S2 = newSite(t, st, tr.A.ID), newSite(t, st, tr.A.ID)
	tr.S3, tr.S4 = newSite(t, st, tr.B.ID), newSite(t, st, tr.C.ID)
	return tr
}

func partnerScopeOf(ids ...string) domain.Scope { return domain.Scope{PartnerIDs: ids} }
func orgScopeOf(ids ...string) domain.Scope     { return domain.Scope{OrgIDs: ids} }
func siteScopeOf(ids ...string) domain.Scope    { return domain.Scope{SiteIDs: ids} }

// identScope is one named caller of a visibility check, with the labels of
// the fixture rows it must see; every other fixture row must stay invisible.
type identScope struct {
	name  string
	scope func(tr *identTree) domain.Scope
	sees  []string
}

// userIn returns an unsaved active user with a unique email.
func userIn(partnerID, orgID string) *domain.User {
	name := uniq("user")
	return &domain.User{
		PartnerID:    partnerID,
		OrgID:        orgID,
		Email:        name + "@example.com",
		Name:         "User " + name,
		Status:       domain.UserActive,
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$" + uniq("salt") + "$" + uniq("hash"),
	}
}

func newUser(t testing.TB, st ports.Store, partnerID, orgID string) *domain.User {
	t.Helper()
	u := userIn(partnerID, orgID)
	must(t, "create user", st.Users().Create(t.Context(), global, u))
	return u
}

func newRole(t testing.TB, st ports.Store, partnerID string, perms ...domain.Permission) *domain.Role {
	t.Helper()
	if len(perms) == 0 {
		perms = []domain.Permission{domain.PermDevicesRead}
	}
	r := &domain.Role{PartnerID: partnerID, Name: uniq("role"), Description: "test role", Permissions: perms}
	must(t, "create role", st.Roles().Create(t.Context(), global, r))
	return r
}

// grantAt returns an unsaved grant of roleID to userID at the unit named by
// partner, org and site ids (empty below the unit's level).
func grantAt(userID, roleID, partnerID, orgID, siteID string) *domain.RoleAssignment {
	return &domain.RoleAssignment{UserID: userID, RoleID: roleID, PartnerID: partnerID, OrgID: orgID, SiteID: siteID}
}

func newGrant(t testing.TB, st ports.Store, a *domain.RoleAssignment) *domain.RoleAssignment {
	t.Helper()
	must(t, "create grant", st.RoleAssignments().Create(t.Context(), global, a))
	return a
}

// idLabels maps fixture ids to labels for failure messages.
type idLabels map[string]string

func (l idLabels) names(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = describe(l, id)
	}
	return out
}

// wantVisible asserts that the ids a scope listed hold every fixture label in
// sees and no other fixture row; rows outside the fixture (other subtests')
// are tolerated only when allowOthers is set (a Global caller).
func wantVisible(t testing.TB, what string, got []string, labels idLabels, byLabel map[string]string, sees []string, allowOthers bool) {
	t.Helper()
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Errorf("%s: ids not strictly ascending at %d: %s then %s", what, i, got[i-1], got[i])
		}
	}
	want := map[string]bool{}
	for _, l := range sees {
		want[byLabel[l]] = true
	}
	seen := map[string]bool{}
	for _, id := range got {
		seen[id] = true
		if _, fixture := labels[id]; fixture && !want[id] {
			t.Errorf("%s: lists %s, which the scope must not see", what, describe(labels, id))
		}
		if _, fixture := labels[id]; !fixture && !allowOthers {
			t.Errorf("%s: lists %s, which is not in this test's fixture", what, id)
		}
	}
	for _, l := range sees {
		if !seen[byLabel[l]] {
			t.Errorf("%s: does not list %s(%s)", what, l, byLabel[l])
		}
	}
}

// drainPages calls next with each cursor until the list ends and returns
// every id in order; it stops the test when a cursor repeats or never ends.
func identPages(t testing.TB, what string, limit int, next func(req domain.PageRequest) ([]string, string, error)) []string {
	t.Helper()
	var all []string
	req := domain.PageRequest{Limit: limit}
	for range 1000 {
		ids, cursor, err := next(req)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if len(ids) > limit {
			t.Errorf("%s: page of %d items, limit %d", what, len(ids), limit)
		}
		all = append(all, ids...)
		if cursor == "" {
			return all
		}
		if cursor == req.Cursor {
			t.Fatalf("%s: cursor %q repeats", what, cursor)
		}
		req.Cursor = cursor
	}
	t.Fatalf("%s: list never ends", what)
	return nil
}

// raceN runs fn(i) on n goroutines released together and returns the errors
// by goroutine.
func identRace(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	done := make(chan struct{})
	for i := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	for range n {
		<-done
	}
	return errs
}
