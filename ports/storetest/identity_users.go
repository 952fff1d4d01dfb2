package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// nowMicro is the current UTC time at the precision both databases keep.
func identNow() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func eqUser(t testing.TB, what string, got, want *domain.User) {
	t.Helper()
	eqFields(t, what,
		field{"ID", got.ID, want.ID},
		field{"PartnerID", got.PartnerID, want.PartnerID},
		field{"OrgID", got.OrgID, want.OrgID},
		field{"Email", got.Email, want.Email},
		field{"Name", got.Name, want.Name},
		field{"Status", got.Status, want.Status},
		field{"PasswordHash", got.PasswordHash, want.PasswordHash},
		field{"TOTPSecret", got.TOTPSecret, want.TOTPSecret},
		field{"TOTPPending", got.TOTPPending, want.TOTPPending},
		field{"TOTPLastStep", got.TOTPLastStep, want.TOTPLastStep},
		field{"LastLoginAt", got.LastLoginAt, want.LastLoginAt},
		field{"Version", got.Version, want.Version},
		field{"CreatedAt", got.CreatedAt, want.CreatedAt},
		field{"UpdatedAt", got.UpdatedAt, want.UpdatedAt},
	)
}

// globalUser reads a user with the Global scope, stopping the test on error.
func globalUser(t testing.TB, st ports.Store, id string) *domain.User {
	t.Helper()
	u, err := st.Users().Get(t.Context(), global, id)
	must(t, "get user "+id, err)
	return u
}

func wantNoUser(t testing.TB, st ports.Store, what, email string) {
	t.Helper()
	if e, err := domain.NormalizeEmail(email); err == nil {
		email = e
	}
	if u, err := st.Users().GetByEmail(t.Context(), email); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("%s: a refused Create stored a user: GetByEmail = %v, %v", what, u, err)
	}
}

func testIdentUsers(t *testing.T, f IdentityFactory, st ports.Store) {
	t.Run("CRUD", func(t *testing.T) { usersCRUD(t, st) })
	t.Run("EmailNormalisedAndUniqueCaseInsensitively", func(t *testing.T) { usersEmail(t, st) })
	t.Run("InvalidInputIsErrInvalid", func(t *testing.T) { usersInvalid(t, st) })
	t.Run("GetByEmailAndGetByIDAreUnscoped", func(t *testing.T) { usersUnscoped(t, st) })
	t.Run("RecordLogin", func(t *testing.T) { usersRecordLogin(t, st) })
	t.Run("RecordLoginSameStepConcurrentlyOneWins", func(t *testing.T) { usersRecordLoginRace(t, st) })
	t.Run("Count", func(t *testing.T) { usersCount(t, f(t)) })
	t.Run("Scoping", func(t *testing.T) { usersScoping(t, st) })
	t.Run("CreateNeedsCoveredPartnerAndOrg", func(t *testing.T) { usersCreateScope(t, st) })
	t.Run("UpdateNeverMovesTenancy", func(t *testing.T) { usersUpdateTenancy(t, st) })
	t.Run("UpdateWithStaleVersionIsConflict", func(t *testing.T) { usersStale(t, st) })
	t.Run("ListFilters", func(t *testing.T) { usersFilters(t, st) })
	t.Run("ListPaginates", func(t *testing.T) { usersPaging(t, st) })
	t.Run("MalformedIDsAreNotFound", func(t *testing.T) { usersMalformed(t, st) })
	t.Run("DeleteCascadesGrantsKeysAndRefreshTokens", func(t *testing.T) { usersDeleteCascades(t, st) })
	t.Run("OrgOrPartnerWithUsersCannotBeDeleted", func(t *testing.T) { usersBlockTenancyDelete(t, st) })
}

func usersCRUD(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := userIn(tr.P1.ID, tr.A.ID)
	u.TOTPSecret = "JBSWY3DPEHPK3PXP"
	u.TOTPLastStep = 7
	u.TOTPPending = "v1.pending-" + uniq("p")
	in := *u
	must(t, "Create", st.Users().Create(ctx, global, u))
	checkNewID(t, "created user", u.ID)
	checkStamps(t, "created user", u.CreatedAt, u.UpdatedAt)
	eqFields(t, "created user",
		field{"Version", u.Version, int64(1)},
		field{"PartnerID", u.PartnerID, in.PartnerID},
		field{"OrgID", u.OrgID, in.OrgID},
		field{"LastLoginAt", u.LastLoginAt, time.Time{}},
	)

	got, err := st.Users().Get(ctx, global, u.ID)
	must(t, "Get", err)
	eqUser(t, "Get after Create", got, u)
	checkUTC(t, "Get CreatedAt", got.CreatedAt)

	upd := *got
	upd.Email = uniq("renamed") + "@example.org"
	upd.Name = "Renamed " + uniq("n")
	upd.Status = domain.UserDisabled
	upd.PasswordHash = "$argon2id$new$" + uniq("h")
	upd.TOTPSecret = "KRSXG5CTMVRXEZLU"
	upd.TOTPLastStep = 99
	upd.TOTPPending = ""
	res, err := st.Users().Update(ctx, global, &upd)
	must(t, "Update", err)
	want := upd
	want.Version, want.UpdatedAt = got.Version+1, res.UpdatedAt
	eqUser(t, "Update result", res, &want)
	if res.UpdatedAt.Before(got.UpdatedAt) {
		t.Errorf("Update: UpdatedAt %v went back from %v", res.UpdatedAt, got.UpdatedAt)
	}
	again, err := st.Users().Get(ctx, global, u.ID)
	must(t, "Get after Update", err)
	eqUser(t, "Get after Update", again, res)

	// Clearing the second factor is an update like any other.
	upd2 := *again
	upd2.TOTPSecret, upd2.TOTPLastStep = "", 0
	res2, err := st.Users().Update(ctx, global, &upd2)
	must(t, "Update clearing TOTP", err)
	eqFields(t, "Update clearing TOTP", field{"TOTPSecret", res2.TOTPSecret, ""}, field{"TOTPLastStep", res2.TOTPLastStep, int64(0)})

	must(t, "Delete", st.Users().Delete(ctx, global, u.ID))
	_, err = st.Users().Get(ctx, global, u.ID)
	wantIs(t, "Get after Delete", err, domain.ErrNotFound)
	_, err = st.Users().GetByID(ctx, u.ID)
	wantIs(t, "GetByID after Delete", err, domain.ErrNotFound)
	_, err = st.Users().GetByEmail(ctx, res.Email)
	wantIs(t, "GetByEmail after Delete", err, domain.ErrNotFound)
	wantIs(t, "Delete twice", st.Users().Delete(ctx, global, u.ID), domain.ErrNotFound)
	_, err = st.Users().Update(ctx, global, res2)
	wantIs(t, "Update after Delete", err, domain.ErrNotFound)
}

func usersEmail(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	local := uniq("Mixed.Case")
	u := userIn(tr.P1.ID, "")
	u.Email = "  " + local + "@Example.COM "
	must(t, "Create with a mixed-case email", st.Users().Create(ctx, global, u))
	norm := strings.ToLower(local) + "@example.com"
	got := globalUser(t, st, u.ID)
	eqFields(t, "stored email", field{"Email", got.Email, norm})
	if byEmail, err := st.Users().GetByEmail(ctx, norm); err != nil || byEmail.ID != u.ID {
		t.Errorf("GetByEmail(%q) = %v, %v; want user %s", norm, byEmail, err, u.ID)
	}

	// The same address in another case, even in another partner, is taken.
	for _, c := range []struct{ partner, org, email string }{
		{tr.P1.ID, "", norm},
		{tr.P1.ID, tr.A.ID, strings.ToUpper(norm)},
		{tr.P2.ID, tr.C.ID, local + "@EXAMPLE.com"},
	} {
		dup := userIn(c.partner, c.org)
		dup.Email = c.email
		wantIs(t, "Create with taken email "+c.email, st.Users().Create(ctx, global, dup), domain.ErrConflict)
	}

	// Updating another user to the taken address is refused too.
	other := newUser(t, st, tr.P2.ID, "")
	in := *other
	in.Email = strings.ToUpper(norm)
	_, err := st.Users().Update(ctx, global, &in)
	wantIs(t, "Update to a taken email", err, domain.ErrConflict)
	eqUser(t, "user after refused Update", globalUser(t, st, other.ID), other)

	// Updating a user to its own address in another case keeps it.
	in = *got
	in.Email = strings.ToUpper(norm)
	res, err := st.Users().Update(ctx, global, &in)
	must(t, "Update to own email in upper case", err)
	eqFields(t, "Update to own email", field{"Email", res.Email, norm})
}

func usersInvalid(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	cases := []struct {
		name string
		mut  func(u *domain.User)
	}{
		{"BadEmail", func(u *domain.User) { u.Email = "not-an-email" }},
		{"EmptyEmail", func(u *domain.User) { u.Email = "  " }},
		{"EmailWithDisplayName", func(u *domain.User) { u.Email = "Eve <" + uniq("eve") + "@example.com>" }},
		{"EmptyName", func(u *domain.User) { u.Name = " " }},
		{"ControlCharInName", func(u *domain.User) { u.Name = "bad\x00name" }},
		{"UnknownStatus", func(u *domain.User) { u.Status = "root" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := userIn(tr.P1.ID, tr.A.ID)
			c.mut(u)
			wantIs(t, "Create", st.Users().Create(ctx, global, u), domain.ErrInvalid)
			if !strings.Contains(u.Email, "<") && strings.Contains(u.Email, "@") {
				wantNoUser(t, st, "Create", u.Email)
			}

			ok := newUser(t, st, tr.P1.ID, tr.A.ID)
			in := *ok
			c.mut(&in)
			_, err := st.Users().Update(ctx, global, &in)
			wantIs(t, "Update", err, domain.ErrInvalid)
			eqUser(t, "user after refused Update", globalUser(t, st, ok.ID), ok)
		})
	}
}

func usersUnscoped(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	for _, u := range []*domain.User{
		newUser(t, st, tr.P1.ID, ""), newUser(t, st, tr.P1.ID, tr.B.ID), newUser(t, st, tr.P2.ID, tr.C.ID),
	} {
		got, err := st.Users().GetByEmail(ctx, u.Email)
		must(t, "GetByEmail", err)
		eqUser(t, "GetByEmail", got, u)
		got, err = st.Users().GetByID(ctx, u.ID)
		must(t, "GetByID", err)
		eqUser(t, "GetByID", got, u)
	}
	_, err := st.Users().GetByEmail(ctx, uniq("nobody")+"@example.com")
	wantIs(t, "GetByEmail unknown", err, domain.ErrNotFound)
	_, err = st.Users().GetByID(ctx, domain.NewID())
	wantIs(t, "GetByID unknown", err, domain.ErrNotFound)
	for _, pat := range []string{"%", "%@example.com", "_%", "' OR '1'='1"} {
		_, err = st.Users().GetByEmail(ctx, pat)
		wantIs(t, fmt.Sprintf("GetByEmail(%q)", pat), err, domain.ErrNotFound)
	}
}

func usersRecordLogin(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, tr.A.ID)
	base := identNow().Add(-time.Hour)
	at := func(i int) time.Time { return base.Add(time.Duration(i) * time.Minute) }
	check := func(what string, wantLogin time.Time, wantStep int64) {
		t.Helper()
		got := globalUser(t, st, u.ID)
		eqFields(t, what, field{"LastLoginAt", got.LastLoginAt, wantLogin}, field{"TOTPLastStep", got.TOTPLastStep, wantStep})
		checkUTC(t, what+" LastLoginAt", got.LastLoginAt)
	}

	must(t, "RecordLogin without TOTP", st.Users().RecordLogin(ctx, u.ID, at(1), 0))
	check("after a login without TOTP", at(1), 0)
	must(t, "RecordLogin step 100", st.Users().RecordLogin(ctx, u.ID, at(2), 100))
	check("after step 100", at(2), 100)
	wantIs(t, "RecordLogin replaying step 100", st.Users().RecordLogin(ctx, u.ID, at(3), 100), domain.ErrConflict)
	wantIs(t, "RecordLogin with lower step 99", st.Users().RecordLogin(ctx, u.ID, at(4), 99), domain.ErrConflict)
	check("after refused steps", at(2), 100)
	must(t, "RecordLogin step 101", st.Users().RecordLogin(ctx, u.ID, at(5), 101))
	check("after step 101", at(5), 101)
	must(t, "RecordLogin without TOTP after a step", st.Users().RecordLogin(ctx, u.ID, at(6), 0))
	check("a login without TOTP keeps the step", at(6), 101)

	// Another user's steps are independent.
	v := newUser(t, st, tr.P1.ID, "")
	must(t, "RecordLogin of another user at step 100", st.Users().RecordLogin(ctx, v.ID, at(7), 100))

	wantIs(t, "RecordLogin unknown user", st.Users().RecordLogin(ctx, domain.NewID(), at(8), 0), domain.ErrNotFound)
	wantIs(t, "RecordLogin malformed id", st.Users().RecordLogin(ctx, "' OR '1'='1", at(8), 0), domain.ErrNotFound)
	check("after other users' logins", at(6), 101)
}

func usersRecordLoginRace(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, "")
	const step = 500
	errs := identRace(workers, func(int) error { return st.Users().RecordLogin(ctx, u.ID, identNow(), step) })
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, domain.ErrConflict):
			t.Errorf("worker %d: error = %v, want ErrConflict", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%d of %d concurrent logins with TOTP step %d succeeded, want exactly 1 (a replayed code)", wins, workers, step)
	}
	eqFields(t, "after the race", field{"TOTPLastStep", globalUser(t, st, u.ID).TOTPLastStep, int64(step)})
}

func usersCount(t *testing.T, st ports.Store) {
	ctx := t.Context()
	n, err := st.Users().Count(ctx)
	must(t, "Count on a new store", err)
	if n != 0 {
		t.Fatalf("Count on a new store = %d, want 0", n)
	}
	tr := newIdentTree(t, st)
	a := newUser(t, st, tr.P1.ID, "")
	newUser(t, st, tr.P1.ID, tr.A.ID)
	newUser(t, st, tr.P2.ID, tr.C.ID)
	n, err = st.Users().Count(ctx)
	must(t, "Count", err)
	eqFields(t, "Count after 3 creates", field{"n", n, int64(3)})
	must(t, "Delete", st.Users().Delete(ctx, global, a.ID))
	n, err = st.Users().Count(ctx)
	must(t, "Count", err)
	eqFields(t, "Count after a delete", field{"n", n, int64(2)})
}

// userFixture is the identTree with one user at each level.
type userFixture struct {
	tr      *identTree
	users   map[string]*domain.User // label → user
	labels  idLabels
	byLabel map[string]string
}

func newUserFixture(t testing.TB, st ports.Store) *userFixture {
	t.Helper()
	tr := newIdentTree(t, st)
	fx := &userFixture{tr: tr, users: map[string]*domain.User{}, labels: idLabels{}, byLabel: map[string]string{}}
	for _, c := range []struct{ label, partner, org string }{
		{"uP1", tr.P1.ID, ""}, {"uA", tr.P1.ID, tr.A.ID}, {"uB", tr.P1.ID, tr.B.ID},
		{"uP2", tr.P2.ID, ""}, {"uC", tr.P2.ID, tr.C.ID},
	} {
		u := newUser(t, st, c.partner, c.org)
		fx.users[c.label] = u
		fx.labels[u.ID] = c.label
		fx.byLabel[c.label] = u.ID
	}
	return fx
}

// userScopes are the callers of the user visibility matrix.
func userScopes() []identScope {
	return []identScope{
		{"Global", func(*identTree) domain.Scope { return global }, []string{"uP1", "uA", "uB", "uP2", "uC"}},
		{"PartnerP1", func(tr *identTree) domain.Scope { return partnerScopeOf(tr.P1.ID) }, []string{"uP1", "uA", "uB"}},
		{"PartnerP2", func(tr *identTree) domain.Scope { return partnerScopeOf(tr.P2.ID) }, []string{"uP2", "uC"}},
		{"OrgA", func(tr *identTree) domain.Scope { return orgScopeOf(tr.A.ID) }, []string{"uA"}},
		{"OrgsAAndC", func(tr *identTree) domain.Scope { return orgScopeOf(tr.A.ID, tr.C.ID) }, []string{"uA", "uC"}},
		{"SiteS1", func(tr *identTree) domain.Scope { return siteScopeOf(tr.S1.ID) }, nil},
		{"SitesS1S3S4", func(tr *identTree) domain.Scope { return siteScopeOf(tr.S1.ID, tr.S3.ID, tr.S4.ID) }, nil},
		{"Empty", func(*identTree) domain.Scope { return domain.Scope{} }, nil},
		{"IDsAtTheWrongLevel", wrongLevelScope, nil},
		// An empty org id must not match partner-level users.
		{"EmptyAndMalformedIDs", func(*identTree) domain.Scope { return emptyIDsScope }, nil},
	}
}

// wrongLevelScope names the fixture's rows at levels they are not.
func wrongLevelScope(tr *identTree) domain.Scope {
	return domain.Scope{
		PartnerIDs: []string{tr.A.ID, tr.S1.ID, tr.C.ID},
		OrgIDs:     []string{tr.P1.ID, tr.S1.ID, tr.P2.ID},
		SiteIDs:    []string{tr.P1.ID, tr.A.ID, tr.C.ID},
	}
}

// emptyIDsScope holds empty and malformed ids at every level: an adapter
// storing "" for a missing parent must not match it.
var emptyIDsScope = domain.Scope{
	PartnerIDs: []string{"", "%", "' OR '1'='1"},
	OrgIDs:     []string{"", "%", "NULL"},
	SiteIDs:    []string{"", "_"},
}

func usersScoping(t *testing.T, st ports.Store) {
	for _, sc := range userScopes() {
		t.Run(sc.name, func(t *testing.T) {
			ctx := t.Context()
			fx := newUserFixture(t, st)
			scope := sc.scope(fx.tr)
			visible := func(label string) bool { return hasLabel(sc.sees, label) }

			for label, u := range fx.users {
				got, err := st.Users().Get(ctx, scope, u.ID)
				if visible(label) {
					if err != nil {
						t.Errorf("Get %s: %v", label, err)
					} else {
						eqUser(t, "Get "+label, got, u)
					}
				} else if !errors.Is(err, domain.ErrNotFound) {
					t.Errorf("Get %s: error = %v, want ErrNotFound", label, err)
				}
			}

			ids := drain(t, "List", func(req domain.PageRequest) (domain.Page[*domain.User], error) {
				return st.Users().List(ctx, scope, ports.UserFilter{}, req)
			}, func(u *domain.User) string { return u.ID })
			wantVisible(t, "List", ids, fx.labels, fx.byLabel, sc.sees, scope.Global)

			for label, u := range fx.users {
				in := *u
				in.Name = "Renamed " + uniq("n")
				res, err := st.Users().Update(ctx, scope, &in)
				if visible(label) {
					if err != nil {
						t.Errorf("Update %s: %v", label, err)
						continue
					}
					eqFields(t, "Update "+label, field{"Name", res.Name, in.Name}, field{"Version", res.Version, u.Version + 1})
					fx.users[label] = res
					continue
				}
				wantIs(t, "Update "+label, err, domain.ErrNotFound)
				eqUser(t, label+" after refused Update", globalUser(t, st, u.ID), u)
			}

			for label, u := range fx.users {
				err := st.Users().Delete(ctx, scope, u.ID)
				if visible(label) {
					if err != nil {
						t.Errorf("Delete %s: %v", label, err)
					} else if _, err := st.Users().GetByID(ctx, u.ID); !errors.Is(err, domain.ErrNotFound) {
						t.Errorf("%s after Delete: GetByID error = %v, want ErrNotFound", label, err)
					}
					continue
				}
				wantIs(t, "Delete "+label, err, domain.ErrNotFound)
				eqUser(t, label+" after refused Delete", globalUser(t, st, u.ID), u)
			}
		})
	}
}

func hasLabel(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func usersCreateScope(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	ok := func(what string, s domain.Scope, partner, org string) {
		t.Helper()
		u := userIn(partner, org)
		if err := st.Users().Create(ctx, s, u); err != nil {
			t.Errorf("%s: %v", what, err)
			return
		}
		eqFields(t, what, field{"PartnerID", u.PartnerID, partner}, field{"OrgID", u.OrgID, org})
	}
	refused := func(what string, s domain.Scope, partner, org string, kinds ...error) {
		t.Helper()
		u := userIn(partner, org)
		wantOneOf(t, what, st.Users().Create(ctx, s, u), kinds...)
		wantNoUser(t, st, what, u.Email)
	}
	nf, inv := domain.ErrNotFound, domain.ErrInvalid

	ok("partner scope, partner-level user", partnerScopeOf(tr.P1.ID), tr.P1.ID, "")
	ok("partner scope, user of its org", partnerScopeOf(tr.P1.ID), tr.P1.ID, tr.B.ID)
	ok("org scope, user of its org", orgScopeOf(tr.A.ID), tr.P1.ID, tr.A.ID)
	ok("Global, user of P2's org", global, tr.P2.ID, tr.C.ID)

	refused("partner scope, user of another partner", partnerScopeOf(tr.P1.ID), tr.P2.ID, "", nf)
	refused("partner scope, user of another partner's org", partnerScopeOf(tr.P1.ID), tr.P2.ID, tr.C.ID, nf)
	refused("org scope, partner-level user", orgScopeOf(tr.A.ID), tr.P1.ID, "", nf)
	refused("org scope, user of a sibling org", orgScopeOf(tr.A.ID), tr.P1.ID, tr.B.ID, nf)
	refused("org scope, user of another partner's org", orgScopeOf(tr.A.ID), tr.P2.ID, tr.C.ID, nf)
	refused("site scope, user of the site's org", siteScopeOf(tr.S1.ID), tr.P1.ID, tr.A.ID, nf)
	refused("empty scope", domain.Scope{}, tr.P1.ID, tr.A.ID, nf)
	refused("Global, unknown partner", global, domain.NewID(), "", nf)
	refused("Global, unknown org", global, tr.P1.ID, domain.NewID(), nf)
	refused("Global, malformed partner", global, "' OR '1'='1", "", nf, inv)
	refused("Global, no partner", global, "", "", nf, inv)
	refused("Global, org of another partner", global, tr.P1.ID, tr.C.ID, inv)
	// The caller covers the partner but not the other partner's org: either
	// answer is fine, storing the user is not.
	refused("partner scope, org of another partner", partnerScopeOf(tr.P1.ID), tr.P1.ID, tr.C.ID, nf, inv)
	// Covering the org alone does not let the caller claim another partner.
	refused("org scope, its org under another partner", orgScopeOf(tr.C.ID), tr.P1.ID, tr.C.ID, nf, inv)
}

func usersUpdateTenancy(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	for _, c := range []struct {
		name         string
		scope        domain.Scope
		partner, org string
	}{
		{"ToSiblingOrg", global, tr.P1.ID, tr.B.ID},
		{"ToPartnerLevel", global, tr.P1.ID, ""},
		{"ToAnotherPartner", global, tr.P2.ID, tr.C.ID},
		{"ToAnotherPartnerByOrgCaller", orgScopeOf(tr.A.ID, tr.C.ID), tr.P2.ID, tr.C.ID},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := newUser(t, st, tr.P1.ID, tr.A.ID)
			in := *u
			in.PartnerID, in.OrgID = c.partner, c.org
			in.Name = "Moved " + uniq("n")
			_, _ = st.Users().Update(ctx, c.scope, &in) // ignored or refused: both fine
			got := globalUser(t, st, u.ID)
			eqFields(t, "user after Update with other tenancy",
				field{"PartnerID", got.PartnerID, tr.P1.ID}, field{"OrgID", got.OrgID, tr.A.ID})
		})
	}
}

func usersStale(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, "")
	for _, v := range []int64{0, -1, u.Version + 1} {
		in := *u
		in.Version, in.Name = v, "Stale "+uniq("n")
		_, err := st.Users().Update(ctx, global, &in)
		wantIs(t, fmt.Sprintf("Update at version %d (stored %d)", v, u.Version), err, domain.ErrConflict)
	}
	eqUser(t, "user after stale Updates", globalUser(t, st, u.ID), u)

	in := *u
	in.Name = "Fresh " + uniq("n")
	res, err := st.Users().Update(ctx, global, &in)
	must(t, "Update at the stored version", err)
	_, err = st.Users().Update(ctx, global, &in)
	wantIs(t, "second Update with the version already used", err, domain.ErrConflict)
	eqUser(t, "user after the second Update", globalUser(t, st, u.ID), res)
}

func usersFilters(t *testing.T, st ports.Store) {
	ctx := t.Context()
	fx := newUserFixture(t, st)
	tr := fx.tr
	tok := uniq("Needle")
	byName := userIn(tr.P1.ID, tr.A.ID)
	byName.Name = "Ann " + tok + " Smith"
	must(t, "create", st.Users().Create(ctx, global, byName))
	byEmail := userIn(tr.P1.ID, tr.B.ID)
	byEmail.Email = "x." + strings.ToLower(tok) + "@example.net"
	must(t, "create", st.Users().Create(ctx, global, byEmail))
	fx.labels[byName.ID], fx.byLabel["byName"] = "byName", byName.ID
	fx.labels[byEmail.ID], fx.byLabel["byEmail"] = "byEmail", byEmail.ID

	p1 := partnerScopeOf(tr.P1.ID)
	list := func(s domain.Scope, f ports.UserFilter) ([]string, error) {
		var ids []string
		req := domain.PageRequest{Limit: 2}
		for range maxPages {
			p, err := st.Users().List(ctx, s, f, req)
			if err != nil {
				return nil, err
			}
			for _, u := range p.Items {
				ids = append(ids, u.ID)
			}
			if p.NextCursor == "" {
				return ids, nil
			}
			req.Cursor = p.NextCursor
		}
		return nil, fmt.Errorf("list did not end")
	}
	for _, c := range []struct {
		name  string
		scope domain.Scope
		f     ports.UserFilter
		sees  []string
	}{
		{"OrgA", p1, ports.UserFilter{OrgID: tr.A.ID}, []string{"uA", "byName"}},
		{"OrgB", p1, ports.UserFilter{OrgID: tr.B.ID}, []string{"uB", "byEmail"}},
		{"QueryMatchesNameOrEmailAnyCase", p1, ports.UserFilter{Query: strings.ToUpper(tok)}, []string{"byName", "byEmail"}},
		{"QueryAndOrg", p1, ports.UserFilter{Query: strings.ToLower(tok), OrgID: tr.B.ID}, []string{"byEmail"}},
		{"QueryOutsideScope", partnerScopeOf(tr.P2.ID), ports.UserFilter{Query: tok}, nil},
		{"QueryPercentIsLiteral", p1, ports.UserFilter{Query: "%"}, nil},
		{"QueryUnderscoreIsLiteral", p1, ports.UserFilter{Query: "_"}, nil},
		{"QueryBackslashIsLiteral", p1, ports.UserFilter{Query: `\`}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			ids, err := list(c.scope, c.f)
			must(t, "List", err)
			wantVisible(t, "List", ids, fx.labels, fx.byLabel, c.sees, false)
		})
	}

	// Filtering by an org the caller cannot see answers as for an unknown org.
	t.Run("OrgOutsideScopeLikeUnknownOrg", func(t *testing.T) {
		hidden, errHidden := list(p1, ports.UserFilter{OrgID: tr.C.ID})
		unknown, errUnknown := list(p1, ports.UserFilter{OrgID: domain.NewID()})
		if len(hidden) != 0 || len(unknown) != 0 {
			t.Errorf("List by hidden org = %v, by unknown org = %v; want both empty", hidden, unknown)
		}
		if errors.Is(errHidden, domain.ErrNotFound) != errors.Is(errUnknown, domain.ErrNotFound) ||
			(errHidden != nil && !errors.Is(errHidden, domain.ErrNotFound)) {
			t.Errorf("List by hidden org error = %v, by unknown org error = %v; want the same (nil or ErrNotFound)", errHidden, errUnknown)
		}
	})
}

func usersPaging(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	var want []string
	for range 5 {
		want = append(want, newUser(t, st, tr.P1.ID, tr.A.ID).ID)
	}
	for _, limit := range []int{1, 2, 5, 6} {
		got := identPages(t, fmt.Sprintf("List limit %d", limit), limit, func(req domain.PageRequest) ([]string, string, error) {
			p, err := st.Users().List(ctx, orgScopeOf(tr.A.ID), ports.UserFilter{}, req)
			ids := make([]string, len(p.Items))
			for i, u := range p.Items {
				ids[i] = u.ID
			}
			return ids, p.NextCursor, err
		})
		wantIDs(t, fmt.Sprintf("List limit %d", limit), got, want)
	}
	_, err := st.Users().List(ctx, global, ports.UserFilter{}, domain.PageRequest{Cursor: "not-a-cursor"})
	wantIs(t, "List with a malformed cursor", err, domain.ErrInvalid)
}

func usersMalformed(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, "")
	for _, id := range malformedIDs(u.ID) {
		_, err := st.Users().Get(ctx, global, id)
		wantIs(t, fmt.Sprintf("Get(%q)", id), err, domain.ErrNotFound)
		_, err = st.Users().GetByID(ctx, id)
		wantIs(t, fmt.Sprintf("GetByID(%q)", id), err, domain.ErrNotFound)
		wantIs(t, fmt.Sprintf("Delete(%q)", id), st.Users().Delete(ctx, global, id), domain.ErrNotFound)
		in := *u
		in.ID = id
		_, err = st.Users().Update(ctx, global, &in)
		wantIs(t, fmt.Sprintf("Update(%q)", id), err, domain.ErrNotFound)
	}
	eqUser(t, "user after malformed-id calls", globalUser(t, st, u.ID), u)
}

func usersDeleteCascades(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, tr.A.ID)
	keep := newUser(t, st, tr.P1.ID, tr.A.ID)
	role := newRole(t, st, tr.P1.ID, domain.PermDevicesRead)
	g1 := newGrant(t, st, grantAt(u.ID, role.ID, tr.P1.ID, tr.A.ID, ""))
	g2 := newGrant(t, st, grantAt(u.ID, domain.RoleOrgViewer, tr.P1.ID, tr.A.ID, tr.S1.ID))
	gKeep := newGrant(t, st, grantAt(keep.ID, role.ID, tr.P1.ID, tr.A.ID, ""))
	key := newAPIKey(t, st, u.ID, tr.P1.ID, tr.A.ID, "")
	keyKeep := newAPIKey(t, st, keep.ID, tr.P1.ID, tr.A.ID, "")
	tok := newRefresh(t, st, u.ID, "")
	tokKeep := newRefresh(t, st, keep.ID, "")

	must(t, "Delete user", st.Users().Delete(ctx, orgScopeOf(tr.A.ID), u.ID))

	grants, err := st.RoleAssignments().GrantsOf(ctx, u.ID)
	must(t, "GrantsOf deleted user", err)
	if len(grants) != 0 {
		t.Errorf("GrantsOf deleted user = %d grants, want 0", len(grants))
	}
	for _, g := range []*domain.RoleAssignment{g1, g2} {
		_, err := st.RoleAssignments().Get(ctx, global, g.ID)
		wantIs(t, "Get grant of deleted user", err, domain.ErrNotFound)
	}
	_, err = st.APIKeys().Get(ctx, global, key.ID)
	wantIs(t, "Get API key of deleted user", err, domain.ErrNotFound)
	_, err = st.APIKeys().GetByHash(ctx, key.SecretHash)
	wantIs(t, "GetByHash API key of deleted user", err, domain.ErrNotFound)
	_, err = st.RefreshTokens().Rotate(ctx, tok.TokenHash, refreshIn("", ""), identNow())
	wantIs(t, "Rotate refresh token of deleted user", err, domain.ErrNotFound)
	active, err := st.RefreshTokens().FamilyActive(ctx, tok.FamilyID, identNow())
	must(t, "FamilyActive", err)
	if active {
		t.Error("FamilyActive of a deleted user's session = true")
	}

	// The other user keeps everything.
	if _, err := st.RoleAssignments().Get(ctx, global, gKeep.ID); err != nil {
		t.Errorf("other user's grant: %v", err)
	}
	if _, err := st.APIKeys().GetByHash(ctx, keyKeep.SecretHash); err != nil {
		t.Errorf("other user's API key: %v", err)
	}
	active, err = st.RefreshTokens().FamilyActive(ctx, tokKeep.FamilyID, identNow())
	if err != nil || !active {
		t.Errorf("other user's session: FamilyActive = %v, %v; want true", active, err)
	}
}

func usersBlockTenancyDelete(t *testing.T, st ports.Store) {
	ctx := t.Context()
	p := newPartner(t, st)
	o := newOrg(t, st, p.ID) // no sites: only the user holds it
	u := newUser(t, st, p.ID, o.ID)
	wantIs(t, "Delete org with a user", st.Orgs().Delete(ctx, global, o.ID), domain.ErrConflict)
	if _, err := st.Orgs().Get(ctx, global, o.ID); err != nil {
		t.Errorf("org after refused Delete: %v", err)
	}
	eqUser(t, "user after refused org Delete", globalUser(t, st, u.ID), u)
	must(t, "Delete user", st.Users().Delete(ctx, global, u.ID))
	must(t, "Delete org once empty", st.Orgs().Delete(ctx, global, o.ID))

	pu := newUser(t, st, p.ID, "")
	wantIs(t, "Delete partner with a partner-level user", st.Partners().Delete(ctx, global, p.ID), domain.ErrConflict)
	if _, err := st.Partners().Get(ctx, global, p.ID); err != nil {
		t.Errorf("partner after refused Delete: %v", err)
	}
	must(t, "Delete partner-level user", st.Users().Delete(ctx, global, pu.ID))
	must(t, "Delete partner once empty", st.Partners().Delete(ctx, global, p.ID))
}
