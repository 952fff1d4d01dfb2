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

// enrollKeyIn returns an unsaved enrollment key for siteID of orgID, valid
// for a week, with ten uses.
func enrollKeyIn(orgID, siteID string) *domain.EnrollmentKey {
	h := randomHash()
	return &domain.EnrollmentKey{
		OrgID:     orgID,
		SiteID:    siteID,
		Name:      uniq("enroll"),
		Prefix:    "bek_" + h[:8],
		KeyHash:   h,
		ExpiresAt: identNow().Add(7 * 24 * time.Hour),
		MaxUses:   10,
		CreatedBy: domain.NewID(),
	}
}

func newEnrollKey(t testing.TB, st ports.Store, orgID, siteID string) *domain.EnrollmentKey {
	t.Helper()
	k := enrollKeyIn(orgID, siteID)
	must(t, "create enrollment key", st.EnrollmentKeys().Create(t.Context(), global, k))
	return k
}

func eqEnrollKey(t testing.TB, what string, got, want *domain.EnrollmentKey) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: key is nil", what)
		return
	}
	eqFields(t, what,
		field{"ID", got.ID, want.ID},
		field{"PartnerID", got.PartnerID, want.PartnerID},
		field{"OrgID", got.OrgID, want.OrgID},
		field{"SiteID", got.SiteID, want.SiteID},
		field{"GroupID", got.GroupID, want.GroupID},
		field{"Name", got.Name, want.Name},
		field{"Prefix", got.Prefix, want.Prefix},
		field{"KeyHash", got.KeyHash, want.KeyHash},
		field{"ExpiresAt", got.ExpiresAt, want.ExpiresAt},
		field{"MaxUses", got.MaxUses, want.MaxUses},
		field{"Uses", got.Uses, want.Uses},
		field{"RevokedAt", got.RevokedAt, want.RevokedAt},
		field{"CreatedBy", got.CreatedBy, want.CreatedBy},
		field{"CreatedAt", got.CreatedAt, want.CreatedAt},
	)
	for _, c := range []struct {
		name string
		v    time.Time
	}{{"ExpiresAt", got.ExpiresAt}, {"RevokedAt", got.RevokedAt}, {"CreatedAt", got.CreatedAt}} {
		checkUTC(t, what+" "+c.name, c.v)
	}
}

func globalEnrollKey(t testing.TB, st ports.Store, id string) *domain.EnrollmentKey {
	t.Helper()
	k, err := st.EnrollmentKeys().Get(t.Context(), global, id)
	must(t, "get enrollment key "+id, err)
	return k
}

// wantKeyAbsent asserts no usable key has hash h (a refused Create stored
// nothing). It would spend a use of a key wrongly stored, which is fine:
// the test has already failed then.
func wantKeyAbsent(t testing.TB, st ports.Store, what, h string) {
	t.Helper()
	_, err := st.EnrollmentKeys().Use(t.Context(), h, identNow())
	wantIs(t, what+": Use of the refused key", err, domain.ErrNotFound)
}

func testAgentKeys(t *testing.T, _ AgentFactory, st ports.Store) {
	t.Run("CRUD", func(t *testing.T) { enrollCRUD(t, st) })
	t.Run("CreateFillsPartnerAndOrgFromTheSite", func(t *testing.T) { enrollParents(t, st) })
	t.Run("Validation", func(t *testing.T) { enrollValidation(t, st) })
	t.Run("GroupInTheSameOrgAndSite", func(t *testing.T) { enrollGroups(t, st) })
	t.Run("KeyHashIsUnique", func(t *testing.T) { enrollUniqueHash(t, st) })
	t.Run("VisibleBySiteCoverage", func(t *testing.T) { enrollVisibility(t, st) })
	t.Run("CreateNeedsTheSiteCovered", func(t *testing.T) { enrollCreateScope(t, st) })
	t.Run("RevokeIsIdempotent", func(t *testing.T) { enrollRevoke(t, st) })
	t.Run("ListPaginates", func(t *testing.T) { enrollPaging(t, st) })
	t.Run("MalformedIDsAreNotFound", func(t *testing.T) { enrollMalformed(t, st) })
	t.Run("UseSpendsOneUse", func(t *testing.T) { enrollUse(t, st) })
	t.Run("UseRefusesUnusableKeysAlike", func(t *testing.T) { enrollUseRefused(t, st) })
	t.Run("MaxUsesZeroIsUnlimited", func(t *testing.T) { enrollUnlimited(t, st) })
	t.Run("ConcurrentUseNeverExceedsMaxUses", func(t *testing.T) { enrollRace(t, st) })
	t.Run("SiteDeleteDropsItsKeys", func(t *testing.T) { enrollSiteDelete(t, st) })
}

func enrollCRUD(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	gSite, gOrg := newGroup(t, st, tr.A.ID, tr.S1.ID), newGroup(t, st, tr.A.ID, "")
	for _, c := range []struct {
		name   string
		mutate func(k *domain.EnrollmentKey)
	}{
		{"Plain", func(*domain.EnrollmentKey) {}},
		{"SiteGroup", func(k *domain.EnrollmentKey) { k.GroupID = gSite.ID }},
		{"OrgWideGroup", func(k *domain.EnrollmentKey) { k.GroupID = gOrg.ID }},
		{"Unlimited", func(k *domain.EnrollmentKey) { k.MaxUses = 0 }},
		{"OneUseShortLived", func(k *domain.EnrollmentKey) { k.MaxUses, k.ExpiresAt = 1, identNow().Add(time.Minute) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := enrollKeyIn(tr.A.ID, tr.S1.ID)
			c.mutate(k)
			must(t, "Create", st.EnrollmentKeys().Create(ctx, global, k))
			checkNewID(t, "created key", k.ID)
			checkStamps(t, "created key", k.CreatedAt, k.CreatedAt)
			eqFields(t, "created key",
				field{"PartnerID", k.PartnerID, tr.P1.ID},
				field{"OrgID", k.OrgID, tr.A.ID},
				field{"Uses", k.Uses, 0},
				field{"RevokedAt", k.RevokedAt, time.Time{}},
			)
			eqEnrollKey(t, "Get after Create", globalEnrollKey(t, st, k.ID), k)
			if !k.Usable(time.Now()) {
				t.Error("a new key is not Usable")
			}
		})
	}
}

func enrollParents(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	t.Run("OrgLeftEmpty", func(t *testing.T) {
		k := enrollKeyIn("", tr.S3.ID)
		must(t, "Create", st.EnrollmentKeys().Create(ctx, global, k))
		got := globalEnrollKey(t, st, k.ID)
		eqFields(t, "stored key", field{"PartnerID", got.PartnerID, tr.P1.ID}, field{"OrgID", got.OrgID, tr.B.ID},
			field{"SiteID", got.SiteID, tr.S3.ID})
	})
	t.Run("PartnerSentIsIgnoredOrRefused", func(t *testing.T) {
		k := enrollKeyIn(tr.A.ID, tr.S1.ID)
		k.PartnerID = tr.P2.ID
		checkParentsNeverStored(t, st, k, tr.P1.ID, tr.A.ID)
	})
	for _, c := range []struct {
		name  string
		org   string
		scope domain.Scope
	}{
		{"OrgOfAnotherPartner", tr.C.ID, global},
		{"SiblingOrg", tr.B.ID, global},
		// A caller names its own org beside another org's site.
		{"CallersOrgForeignSite", tr.B.ID, orgScopeOf(tr.B.ID)},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := enrollKeyIn(c.org, tr.S1.ID)
			if c.scope.Global {
				checkParentsNeverStored(t, st, k, tr.P1.ID, tr.A.ID)
				return
			}
			wantOneOf(t, "Create", st.EnrollmentKeys().Create(ctx, c.scope, k), domain.ErrNotFound, domain.ErrInvalid)
			wantKeyAbsent(t, st, "Create", k.KeyHash)
		})
	}
}

// checkParentsNeverStored creates k with the Global scope: either it is
// refused and stores nothing, or it is stored with the site's parents.
func checkParentsNeverStored(t *testing.T, st ports.Store, k *domain.EnrollmentKey, partnerID, orgID string) {
	t.Helper()
	err := st.EnrollmentKeys().Create(t.Context(), global, k)
	if err != nil {
		wantOneOf(t, "Create", err, domain.ErrInvalid, domain.ErrNotFound)
		wantKeyAbsent(t, st, "Create", k.KeyHash)
		return
	}
	got := globalEnrollKey(t, st, k.ID)
	eqFields(t, "stored key (parents come from the site)",
		field{"PartnerID", got.PartnerID, partnerID}, field{"OrgID", got.OrgID, orgID})
}

func enrollValidation(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	for _, c := range []struct {
		name   string
		mutate func(k *domain.EnrollmentKey)
	}{
		{"EmptyName", func(k *domain.EnrollmentKey) { k.Name = "" }},
		{"BlankName", func(k *domain.EnrollmentKey) { k.Name = "   " }},
		{"LongName", func(k *domain.EnrollmentKey) { k.Name = strings.Repeat("n", 201) }},
		{"ControlCharacterInName", func(k *domain.EnrollmentKey) { k.Name = "key\nname" }},
		{"PastExpiry", func(k *domain.EnrollmentKey) { k.ExpiresAt = identNow().Add(-time.Minute) }},
		{"ZeroExpiry", func(k *domain.EnrollmentKey) { k.ExpiresAt = time.Time{} }},
		{"NegativeMaxUses", func(k *domain.EnrollmentKey) { k.MaxUses = -1 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := enrollKeyIn(tr.A.ID, tr.S1.ID)
			c.mutate(k)
			wantIs(t, "Create", st.EnrollmentKeys().Create(ctx, global, k), domain.ErrInvalid)
			wantKeyAbsent(t, st, "Create", k.KeyHash)
		})
	}
	t.Run("LongestNameFits", func(t *testing.T) {
		k := enrollKeyIn(tr.A.ID, tr.S1.ID)
		k.Name = strings.Repeat("é", 200)
		must(t, "Create", st.EnrollmentKeys().Create(ctx, global, k))
		eqEnrollKey(t, "Get", globalEnrollKey(t, st, k.ID), k)
	})
	for _, c := range []struct {
		name string
		site string
		kind []error
	}{
		{"MissingSite", "", []error{domain.ErrNotFound, domain.ErrInvalid}},
		{"UnknownSite", domain.NewID(), []error{domain.ErrNotFound}},
		{"MalformedSite", "not-a-site", []error{domain.ErrNotFound, domain.ErrInvalid}},
		{"SiteSpelledUpperCase", strings.ToUpper(tr.S1.ID), []error{domain.ErrNotFound, domain.ErrInvalid}},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := enrollKeyIn("", c.site)
			wantOneOf(t, "Create", st.EnrollmentKeys().Create(ctx, global, k), c.kind...)
			wantKeyAbsent(t, st, "Create", k.KeyHash)
		})
	}
}

func enrollGroups(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	gS1, gS2, gA := newGroup(t, st, tr.A.ID, tr.S1.ID), newGroup(t, st, tr.A.ID, tr.S2.ID), newGroup(t, st, tr.A.ID, "")
	gS3, gB, gS4 := newGroup(t, st, tr.B.ID, tr.S3.ID), newGroup(t, st, tr.B.ID, ""), newGroup(t, st, tr.C.ID, tr.S4.ID)
	for _, c := range []struct {
		name  string
		scope domain.Scope
		group string
		ok    bool
		kind  []error // when refused
	}{
		{"SameSite", global, gS1.ID, true, nil},
		{"OrgWideOfTheSameOrg", global, gA.ID, true, nil},
		{"OrgCallerOrgWideGroup", orgScopeOf(tr.A.ID), gA.ID, true, nil},
		{"SiteCallerSiteGroup", siteScopeOf(tr.S1.ID), gS1.ID, true, nil},
		{"AnotherSiteOfTheOrg", global, gS2.ID, false, []error{domain.ErrInvalid}},
		{"AnotherSiteVisibleToTheCaller", orgScopeOf(tr.A.ID), gS2.ID, false, []error{domain.ErrInvalid}},
		{"SiteOfAnotherOrg", global, gS3.ID, false, []error{domain.ErrInvalid}},
		{"OrgWideOfAnotherOrg", global, gB.ID, false, []error{domain.ErrInvalid}},
		{"OrgWideOfAnotherOrgVisibleToTheCaller", partnerScopeOf(tr.P1.ID), gB.ID, false, []error{domain.ErrInvalid}},
		{"AnotherPartner", global, gS4.ID, false, []error{domain.ErrInvalid}},
		{"InvisibleToTheCaller", partnerScopeOf(tr.P1.ID), gS4.ID, false, []error{domain.ErrInvalid, domain.ErrNotFound}},
		{"Unknown", global, domain.NewID(), false, []error{domain.ErrInvalid, domain.ErrNotFound}},
		{"Malformed", global, "' OR '1'='1", false, []error{domain.ErrInvalid, domain.ErrNotFound}},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := enrollKeyIn(tr.A.ID, tr.S1.ID)
			k.GroupID = c.group
			err := st.EnrollmentKeys().Create(ctx, c.scope, k)
			if c.ok {
				must(t, "Create", err)
				eqEnrollKey(t, "Get", globalEnrollKey(t, st, k.ID), k)
				return
			}
			wantOneOf(t, "Create", err, c.kind...)
			wantKeyAbsent(t, st, "Create", k.KeyHash)
		})
	}
}

func enrollUniqueHash(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	k := newEnrollKey(t, st, tr.A.ID, tr.S1.ID)
	dup := enrollKeyIn(tr.C.ID, tr.S4.ID)
	dup.KeyHash = k.KeyHash
	wantIs(t, "Create with a taken key hash", st.EnrollmentKeys().Create(ctx, global, dup), domain.ErrConflict)
	eqEnrollKey(t, "key after the refused duplicate", globalEnrollKey(t, st, k.ID), k)
	got, err := st.EnrollmentKeys().Use(ctx, k.KeyHash, identNow())
	must(t, "Use", err)
	eqFields(t, "Use after the refused duplicate", field{"ID", got.ID, k.ID}, field{"SiteID", got.SiteID, tr.S1.ID})
}

// enrollFixture is the identTree with one key at every site.
type enrollFixture struct {
	tr      *identTree
	keys    map[string]*domain.EnrollmentKey
	labels  idLabels
	byLabel map[string]string
}

func newEnrollFixture(t testing.TB, st ports.Store) *enrollFixture {
	t.Helper()
	tr := newIdentTree(t, st)
	fx := &enrollFixture{tr: tr, keys: map[string]*domain.EnrollmentKey{}, labels: idLabels{}, byLabel: map[string]string{}}
	for _, c := range []struct {
		label string
		org   *domain.Organization
		site  *domain.Site
	}{
		{"eS1", tr.A, tr.S1}, {"eS2", tr.A, tr.S2}, {"eS3", tr.B, tr.S3}, {"eS4", tr.C, tr.S4},
	} {
		k := newEnrollKey(t, st, c.org.ID, c.site.ID)
		fx.keys[c.label] = k
		fx.labels[k.ID] = c.label
		fx.byLabel[c.label] = k.ID
	}
	return fx
}

// sees returns the fixture labels a unit scope must see (keys exist at
// sites only).
func (fx *enrollFixture) sees(units []string) []string {
	var out []string
	for _, l := range labelsWith("e", units) {
		if _, ok := fx.keys[l]; ok {
			out = append(out, l)
		}
	}
	return out
}

func enrollVisibility(t *testing.T, st ports.Store) {
	for _, sc := range unitScopes() {
		t.Run(sc.name, func(t *testing.T) {
			fx := newEnrollFixture(t, st)
			scope := sc.scope(fx.tr)
			sees := fx.sees(sc.sees)
			access := keyAccess[domain.EnrollmentKey]{
				id:        func(k *domain.EnrollmentKey) string { return k.ID },
				revokedAt: func(k *domain.EnrollmentKey) time.Time { return k.RevokedAt },
				eq:        eqEnrollKey,
				global:    func(t testing.TB, id string) *domain.EnrollmentKey { return globalEnrollKey(t, st, id) },
			}
			revocableVisibility(t, st.EnrollmentKeys(), access, scope, fx.keys, fx.labels, fx.byLabel, sees)
		})
	}
}

func enrollCreateScope(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	for _, c := range []struct {
		name  string
		scope domain.Scope
		org   *domain.Organization
		site  *domain.Site
		ok    bool
	}{
		{"PartnerAtItsSite", partnerScopeOf(tr.P1.ID), tr.B, tr.S3, true},
		{"OrgAtItsSite", orgScopeOf(tr.A.ID), tr.A, tr.S2, true},
		{"SiteAtItsSite", siteScopeOf(tr.S1.ID), tr.A, tr.S1, true},
		{"OrgAtSiblingOrgSite", orgScopeOf(tr.A.ID), tr.B, tr.S3, false},
		{"SiteAtSiblingSite", siteScopeOf(tr.S1.ID), tr.A, tr.S2, false},
		{"PartnerAtAnotherPartnersSite", partnerScopeOf(tr.P1.ID), tr.C, tr.S4, false},
		{"Empty", domain.Scope{}, tr.A, tr.S1, false},
		{"WrongLevelIDs", wrongLevelScope(tr), tr.A, tr.S1, false},
		{"EmptyAndMalformedIDs", emptyIDsScope, tr.A, tr.S1, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := enrollKeyIn(c.org.ID, c.site.ID)
			err := st.EnrollmentKeys().Create(ctx, c.scope, k)
			if c.ok {
				must(t, "Create", err)
				eqEnrollKey(t, "Get", globalEnrollKey(t, st, k.ID), k)
				return
			}
			wantIs(t, "Create", err, domain.ErrNotFound)
			wantKeyAbsent(t, st, "Create", k.KeyHash)
		})
	}
}

func enrollRevoke(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	k := newEnrollKey(t, st, tr.A.ID, tr.S1.ID)
	other := newEnrollKey(t, st, tr.A.ID, tr.S1.ID)

	first := identNow().Add(-time.Minute)
	must(t, "Revoke", st.EnrollmentKeys().Revoke(ctx, siteScopeOf(tr.S1.ID), k.ID, first))
	must(t, "Revoke again", st.EnrollmentKeys().Revoke(ctx, global, k.ID, first.Add(time.Hour)))
	want := *k
	want.RevokedAt = first
	eqEnrollKey(t, "key after two Revokes", globalEnrollKey(t, st, k.ID), &want)
	// A revoked key stays invisible to other tenants.
	wantIs(t, "Revoke of the revoked key by another partner",
		st.EnrollmentKeys().Revoke(ctx, partnerScopeOf(tr.P2.ID), k.ID, identNow()), domain.ErrNotFound)
	eqEnrollKey(t, "the other key", globalEnrollKey(t, st, other.ID), other)
	wantIs(t, "Revoke unknown", st.EnrollmentKeys().Revoke(ctx, global, domain.NewID(), first), domain.ErrNotFound)
}

func enrollPaging(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	var want []string
	for i := range 5 {
		site := []*domain.Site{tr.S1, tr.S2}[i%2]
		want = append(want, newEnrollKey(t, st, tr.A.ID, site.ID).ID)
	}
	newEnrollKey(t, st, tr.B.ID, tr.S3.ID) // outside the caller's org
	for _, limit := range []int{1, 2, 5, 6} {
		got := identPages(t, fmt.Sprintf("List limit %d", limit), limit, func(req domain.PageRequest) ([]string, string, error) {
			p, err := st.EnrollmentKeys().List(ctx, orgScopeOf(tr.A.ID), req)
			ids := make([]string, len(p.Items))
			for i, k := range p.Items {
				ids[i] = k.ID
			}
			return ids, p.NextCursor, err
		})
		wantIDs(t, fmt.Sprintf("List limit %d", limit), got, want)
	}
	_, err := st.EnrollmentKeys().List(ctx, global, domain.PageRequest{Cursor: "@@"})
	wantIs(t, "List with a malformed cursor", err, domain.ErrInvalid)
}

func enrollMalformed(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	k := newEnrollKey(t, st, tr.A.ID, tr.S1.ID)
	for _, id := range malformedIDs(k.ID) {
		_, err := st.EnrollmentKeys().Get(ctx, global, id)
		wantIs(t, fmt.Sprintf("Get(%q)", id), err, domain.ErrNotFound)
		wantIs(t, fmt.Sprintf("Revoke(%q)", id), st.EnrollmentKeys().Revoke(ctx, global, id, identNow()), domain.ErrNotFound)
	}
	eqEnrollKey(t, "key after malformed-id calls", globalEnrollKey(t, st, k.ID), k)
}

func enrollUse(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	g := newGroup(t, st, tr.C.ID, tr.S4.ID)
	k := enrollKeyIn(tr.C.ID, tr.S4.ID)
	k.GroupID, k.MaxUses = g.ID, 3
	must(t, "Create", st.EnrollmentKeys().Create(ctx, global, k))
	other := newEnrollKey(t, st, tr.C.ID, tr.S4.ID)

	want := *k
	for i := 1; i <= 3; i++ {
		got, err := st.EnrollmentKeys().Use(ctx, k.KeyHash, identNow())
		must(t, fmt.Sprintf("Use %d", i), err)
		want.Uses = i
		eqEnrollKey(t, fmt.Sprintf("key returned by Use %d", i), got, &want)
		eqEnrollKey(t, fmt.Sprintf("key after Use %d", i), globalEnrollKey(t, st, k.ID), &want)
	}
	eqEnrollKey(t, "the other key", globalEnrollKey(t, st, other.ID), other)
}

func enrollUseRefused(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	now := identNow()

	t.Run("Unknown", func(t *testing.T) {
		k := newEnrollKey(t, st, tr.A.ID, tr.S1.ID)
		for _, h := range []string{randomHash(), "", "%", strings.ToUpper(k.KeyHash), k.KeyHash[:32], k.Prefix, "' OR '1'='1"} {
			_, err := st.EnrollmentKeys().Use(ctx, h, now)
			wantIs(t, fmt.Sprintf("Use(%q)", h), err, domain.ErrNotFound)
		}
		eqEnrollKey(t, "key after unknown Uses", globalEnrollKey(t, st, k.ID), k)
	})
	t.Run("Expired", func(t *testing.T) {
		k := newEnrollKey(t, st, tr.A.ID, tr.S1.ID)
		for _, at := range []time.Time{k.ExpiresAt, k.ExpiresAt.Add(time.Millisecond), k.ExpiresAt.Add(24 * time.Hour)} {
			_, err := st.EnrollmentKeys().Use(ctx, k.KeyHash, at)
			wantIs(t, fmt.Sprintf("Use at %v (expiry %v)", at, k.ExpiresAt), err, domain.ErrNotFound)
		}
		eqEnrollKey(t, "key after expired Uses", globalEnrollKey(t, st, k.ID), k)
		got, err := st.EnrollmentKeys().Use(ctx, k.KeyHash, k.ExpiresAt.Add(-time.Millisecond))
		must(t, "Use just before expiry", err)
		eqFields(t, "Use just before expiry", field{"Uses", got.Uses, 1})
	})
	t.Run("UsedUp", func(t *testing.T) {
		k := enrollKeyIn(tr.A.ID, tr.S1.ID)
		k.MaxUses = 2
		must(t, "Create", st.EnrollmentKeys().Create(ctx, global, k))
		for i := range 2 {
			_, err := st.EnrollmentKeys().Use(ctx, k.KeyHash, now)
			must(t, fmt.Sprintf("Use %d", i+1), err)
		}
		for i := range 3 {
			_, err := st.EnrollmentKeys().Use(ctx, k.KeyHash, now)
			wantIs(t, fmt.Sprintf("Use %d of a 2-use key", i+3), err, domain.ErrNotFound)
		}
		want := *k
		want.Uses = 2
		eqEnrollKey(t, "used-up key", globalEnrollKey(t, st, k.ID), &want)
	})
	t.Run("Revoked", func(t *testing.T) {
		k := newEnrollKey(t, st, tr.A.ID, tr.S1.ID)
		_, err := st.EnrollmentKeys().Use(ctx, k.KeyHash, now)
		must(t, "Use before Revoke", err)
		at := identNow()
		must(t, "Revoke", st.EnrollmentKeys().Revoke(ctx, global, k.ID, at))
		_, err = st.EnrollmentKeys().Use(ctx, k.KeyHash, now)
		wantIs(t, "Use of a revoked key", err, domain.ErrNotFound)
		want := *k
		want.Uses, want.RevokedAt = 1, at
		eqEnrollKey(t, "revoked key", globalEnrollKey(t, st, k.ID), &want)
	})
}

func enrollUnlimited(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	k := enrollKeyIn(tr.A.ID, tr.S2.ID)
	k.MaxUses = 0
	must(t, "Create", st.EnrollmentKeys().Create(ctx, global, k))
	const n = 25
	for i := range n {
		got, err := st.EnrollmentKeys().Use(ctx, k.KeyHash, identNow())
		must(t, fmt.Sprintf("Use %d of an unlimited key", i+1), err)
		eqFields(t, "key returned by Use", field{"Uses", got.Uses, i + 1}, field{"MaxUses", got.MaxUses, 0})
	}
	want := *k
	want.Uses = n
	eqEnrollKey(t, "unlimited key", globalEnrollKey(t, st, k.ID), &want)
	// Unlimited uses, but the expiry still holds.
	_, err := st.EnrollmentKeys().Use(ctx, k.KeyHash, k.ExpiresAt)
	wantIs(t, "Use of an expired unlimited key", err, domain.ErrNotFound)
}

func enrollRace(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	k := enrollKeyIn(tr.A.ID, tr.S1.ID)
	k.MaxUses = 5
	must(t, "Create", st.EnrollmentKeys().Create(ctx, global, k))
	const n = 32
	uses := make([]int, n)
	errs := identRace(n, func(i int) error {
		got, err := st.EnrollmentKeys().Use(ctx, k.KeyHash, identNow())
		if err == nil {
			uses[i] = got.Uses
		}
		return err
	})
	ok := 0
	seen := map[int]bool{}
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
			if uses[i] < 1 || uses[i] > k.MaxUses || seen[uses[i]] {
				t.Errorf("Use %d returned Uses = %d (returned so far: %v)", i, uses[i], seen)
			}
			seen[uses[i]] = true
		case !errors.Is(err, domain.ErrNotFound):
			t.Errorf("Use %d: %v, want nil or ErrNotFound", i, err)
		}
	}
	if ok != k.MaxUses {
		t.Errorf("%d concurrent Uses of a %d-use key: %d succeeded, want %d", n, k.MaxUses, ok, k.MaxUses)
	}
	eqFields(t, "key after the race", field{"Uses", globalEnrollKey(t, st, k.ID).Uses, k.MaxUses})
}

func enrollSiteDelete(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	doomed := newSite(t, st, c.org.ID)
	k := newEnrollKey(t, st, c.org.ID, doomed.ID)
	kept := newEnrollKey(t, st, c.org.ID, c.site.ID)
	must(t, "Delete a site holding only an enrollment key", st.Sites().Delete(ctx, global, doomed.ID))
	_, err := st.EnrollmentKeys().Get(ctx, global, k.ID)
	wantIs(t, "Get the deleted site's key", err, domain.ErrNotFound)
	wantKeyAbsent(t, st, "deleted site's key", k.KeyHash)
	eqEnrollKey(t, "key of the other site", globalEnrollKey(t, st, kept.ID), kept)
}
