package storetest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// secretHash returns the hex SHA-256 of a fresh random secret.
func randomHash() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	sum := sha256.Sum256(b[:])
	return hex.EncodeToString(sum[:])
}

// apiKeyIn returns an unsaved key of userID at the unit.
func apiKeyIn(userID, partnerID, orgID, siteID string) *domain.APIKey {
	h := randomHash()
	return &domain.APIKey{
		UserID:      userID,
		PartnerID:   partnerID,
		OrgID:       orgID,
		SiteID:      siteID,
		Name:        uniq("key"),
		Prefix:      "bzk_" + h[:8],
		SecretHash:  h,
		Permissions: []domain.Permission{domain.PermDevicesRead, domain.PermScriptsRead},
		ExpiresAt:   identNow().Add(30 * 24 * time.Hour),
	}
}

func newAPIKey(t testing.TB, st ports.Store, userID, partnerID, orgID, siteID string) *domain.APIKey {
	t.Helper()
	k := apiKeyIn(userID, partnerID, orgID, siteID)
	must(t, "create API key", st.APIKeys().Create(t.Context(), global, k))
	return k
}

func eqAPIKey(t testing.TB, what string, got, want *domain.APIKey) {
	t.Helper()
	eqFields(t, what,
		field{"ID", got.ID, want.ID},
		field{"UserID", got.UserID, want.UserID},
		field{"PartnerID", got.PartnerID, want.PartnerID},
		field{"OrgID", got.OrgID, want.OrgID},
		field{"SiteID", got.SiteID, want.SiteID},
		field{"Name", got.Name, want.Name},
		field{"Prefix", got.Prefix, want.Prefix},
		field{"SecretHash", got.SecretHash, want.SecretHash},
		field{"Permissions", strings.Join(got.Permissions, ","), strings.Join(want.Permissions, ",")},
		field{"ExpiresAt", got.ExpiresAt, want.ExpiresAt},
		field{"LastUsedAt", got.LastUsedAt, want.LastUsedAt},
		field{"RevokedAt", got.RevokedAt, want.RevokedAt},
		field{"CreatedAt", got.CreatedAt, want.CreatedAt},
	)
	for _, c := range []struct {
		name string
		v    time.Time
	}{{"ExpiresAt", got.ExpiresAt}, {"LastUsedAt", got.LastUsedAt}, {"RevokedAt", got.RevokedAt}, {"CreatedAt", got.CreatedAt}} {
		checkUTC(t, what+" "+c.name, c.v)
	}
}

func globalKey(t testing.TB, st ports.Store, id string) *domain.APIKey {
	t.Helper()
	k, err := st.APIKeys().Get(t.Context(), global, id)
	must(t, "get API key "+id, err)
	return k
}

func testIdentAPIKeys(t *testing.T, _ IdentityFactory, st ports.Store) {
	t.Run("CRUD", func(t *testing.T) { keysCRUD(t, st) })
	t.Run("GetByHashIsUnscopedAndFindsRevokedKeys", func(t *testing.T) { keysByHash(t, st) })
	t.Run("RevokeIsIdempotent", func(t *testing.T) { keysRevoke(t, st) })
	t.Run("Touch", func(t *testing.T) { keysTouch(t, st) })
	t.Run("SecretHashIsUnique", func(t *testing.T) { keysUniqueHash(t, st) })
	t.Run("VisibleByUnitCoverage", func(t *testing.T) { keysVisibility(t, st) })
	t.Run("CreateNeedsTheUnitCovered", func(t *testing.T) { keysCreateScope(t, st) })
	t.Run("ListPaginates", func(t *testing.T) { keysPaging(t, st) })
	t.Run("MalformedIDsAreNotFound", func(t *testing.T) { keysMalformed(t, st) })
}

func keysCRUD(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, tr.A.ID)
	for _, c := range []struct {
		name string
		k    *domain.APIKey
	}{
		{"Partner", apiKeyIn(u.ID, tr.P1.ID, "", "")},
		{"Org", apiKeyIn(u.ID, tr.P1.ID, tr.A.ID, "")},
		{"Site", apiKeyIn(u.ID, tr.P1.ID, tr.A.ID, tr.S1.ID)},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := c.k
			must(t, "Create", st.APIKeys().Create(ctx, global, k))
			checkNewID(t, "created key", k.ID)
			checkStamps(t, "created key", k.CreatedAt, k.CreatedAt)
			got := globalKey(t, st, k.ID)
			eqAPIKey(t, "Get after Create", got, k)
		})
	}
	t.Run("NeverExpires", func(t *testing.T) {
		k := apiKeyIn(u.ID, tr.P1.ID, tr.A.ID, "")
		k.ExpiresAt = time.Time{}
		must(t, "Create", st.APIKeys().Create(ctx, global, k))
		got := globalKey(t, st, k.ID)
		eqFields(t, "key without expiry", field{"ExpiresAt", got.ExpiresAt, time.Time{}})
		if !got.Usable(time.Now().Add(100 * 365 * 24 * time.Hour)) {
			t.Error("key without expiry is not usable in a hundred years")
		}
	})
	t.Run("AllPermissions", func(t *testing.T) {
		k := apiKeyIn(u.ID, tr.P1.ID, "", "")
		k.Permissions = domain.AllPermissions()
		must(t, "Create", st.APIKeys().Create(ctx, global, k))
		eqAPIKey(t, "Get", globalKey(t, st, k.ID), k)
	})
}

func keysByHash(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	k1 := newAPIKey(t, st, newUser(t, st, tr.P1.ID, "").ID, tr.P1.ID, "", "")
	k2 := newAPIKey(t, st, newUser(t, st, tr.P2.ID, tr.C.ID).ID, tr.P2.ID, tr.C.ID, tr.S4.ID)
	for _, k := range []*domain.APIKey{k1, k2} {
		got, err := st.APIKeys().GetByHash(ctx, k.SecretHash)
		must(t, "GetByHash", err)
		eqAPIKey(t, "GetByHash", got, k)
	}
	at := identNow()
	must(t, "Revoke", st.APIKeys().Revoke(ctx, global, k2.ID, at))
	got, err := st.APIKeys().GetByHash(ctx, k2.SecretHash)
	must(t, "GetByHash of a revoked key", err)
	eqFields(t, "revoked key", field{"RevokedAt", got.RevokedAt, at})
	if got.Usable(time.Now()) {
		t.Error("revoked key is Usable")
	}
	for _, h := range []string{randomHash(), "", "%", strings.ToUpper(k1.SecretHash), k1.SecretHash[:32], "' OR '1'='1"} {
		_, err := st.APIKeys().GetByHash(ctx, h)
		wantIs(t, fmt.Sprintf("GetByHash(%q)", h), err, domain.ErrNotFound)
	}
}

func keysRevoke(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, tr.A.ID)
	k := newAPIKey(t, st, u.ID, tr.P1.ID, tr.A.ID, tr.S1.ID)
	other := newAPIKey(t, st, u.ID, tr.P1.ID, tr.A.ID, tr.S1.ID)

	// Callers that cannot see the key cannot revoke it.
	for _, s := range []domain.Scope{partnerScopeOf(tr.P2.ID), orgScopeOf(tr.B.ID), siteScopeOf(tr.S2.ID), {}} {
		wantIs(t, fmt.Sprintf("Revoke by %v", s), st.APIKeys().Revoke(ctx, s, k.ID, identNow()), domain.ErrNotFound)
	}
	eqAPIKey(t, "key after refused Revokes", globalKey(t, st, k.ID), k)

	first := identNow().Add(-time.Minute)
	must(t, "Revoke", st.APIKeys().Revoke(ctx, siteScopeOf(tr.S1.ID), k.ID, first))
	must(t, "Revoke again", st.APIKeys().Revoke(ctx, global, k.ID, first.Add(time.Hour)))
	want := *k
	want.RevokedAt = first
	eqAPIKey(t, "key after two Revokes", globalKey(t, st, k.ID), &want)
	eqAPIKey(t, "the other key", globalKey(t, st, other.ID), other)
	wantIs(t, "Revoke unknown", st.APIKeys().Revoke(ctx, global, domain.NewID(), first), domain.ErrNotFound)
}

func keysTouch(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, "")
	k := newAPIKey(t, st, u.ID, tr.P1.ID, "", "")
	other := newAPIKey(t, st, u.ID, tr.P1.ID, "", "")
	at1 := identNow().Add(-time.Hour)
	must(t, "Touch", st.APIKeys().Touch(ctx, k.ID, at1))
	got := globalKey(t, st, k.ID)
	eqFields(t, "after Touch", field{"LastUsedAt", got.LastUsedAt, at1})
	checkUTC(t, "LastUsedAt", got.LastUsedAt)
	at2 := at1.Add(30 * time.Minute)
	must(t, "Touch again", st.APIKeys().Touch(ctx, k.ID, at2))
	eqFields(t, "after second Touch", field{"LastUsedAt", globalKey(t, st, k.ID).LastUsedAt, at2})
	eqAPIKey(t, "the other key", globalKey(t, st, other.ID), other)
	if err := st.APIKeys().Touch(ctx, domain.NewID(), at2); err != nil && !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Touch unknown: %v, want nil or ErrNotFound", err)
	}
}

func keysUniqueHash(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	k := newAPIKey(t, st, newUser(t, st, tr.P1.ID, "").ID, tr.P1.ID, "", "")
	dup := apiKeyIn(newUser(t, st, tr.P2.ID, "").ID, tr.P2.ID, "", "")
	dup.SecretHash = k.SecretHash
	wantIs(t, "Create with a taken secret hash", st.APIKeys().Create(ctx, global, dup), domain.ErrConflict)
	got, err := st.APIKeys().GetByHash(ctx, k.SecretHash)
	must(t, "GetByHash", err)
	eqAPIKey(t, "GetByHash after refused duplicate", got, k)
}

// keyFixture is the identTree with a key at every unit.
type keyFixture struct {
	tr      *identTree
	keys    map[string]*domain.APIKey
	labels  idLabels
	byLabel map[string]string
}

func newKeyFixture(t testing.TB, st ports.Store) *keyFixture {
	t.Helper()
	tr := newIdentTree(t, st)
	uP1, uP2 := newUser(t, st, tr.P1.ID, ""), newUser(t, st, tr.P2.ID, "")
	fx := &keyFixture{tr: tr, keys: map[string]*domain.APIKey{}, labels: idLabels{}, byLabel: map[string]string{}}
	for _, c := range []struct {
		label string
		k     *domain.APIKey
	}{
		{"kP1", apiKeyIn(uP1.ID, tr.P1.ID, "", "")},
		{"kA", apiKeyIn(uP1.ID, tr.P1.ID, tr.A.ID, "")},
		{"kS1", apiKeyIn(uP1.ID, tr.P1.ID, tr.A.ID, tr.S1.ID)},
		{"kS2", apiKeyIn(uP1.ID, tr.P1.ID, tr.A.ID, tr.S2.ID)},
		{"kB", apiKeyIn(uP1.ID, tr.P1.ID, tr.B.ID, "")},
		{"kS3", apiKeyIn(uP1.ID, tr.P1.ID, tr.B.ID, tr.S3.ID)},
		{"kC", apiKeyIn(uP2.ID, tr.P2.ID, tr.C.ID, "")},
		{"kS4", apiKeyIn(uP2.ID, tr.P2.ID, tr.C.ID, tr.S4.ID)},
	} {
		must(t, "create API key", st.APIKeys().Create(t.Context(), global, c.k))
		fx.keys[c.label] = c.k
		fx.labels[c.k.ID] = c.label
		fx.byLabel[c.label] = c.k.ID
	}
	return fx
}

func keysVisibility(t *testing.T, st ports.Store) {
	for _, sc := range unitScopes() {
		t.Run(sc.name, func(t *testing.T) {
			fx := newKeyFixture(t, st)
			scope := sc.scope(fx.tr)
			sees := labelsWith("k", sc.sees)
			access := keyAccess[domain.APIKey]{
				id:        func(k *domain.APIKey) string { return k.ID },
				revokedAt: func(k *domain.APIKey) time.Time { return k.RevokedAt },
				eq:        eqAPIKey,
				global:    func(t testing.TB, id string) *domain.APIKey { return globalKey(t, st, id) },
			}
			revocableVisibility(t, st.APIKeys(), access, scope, fx.keys, fx.labels, fx.byLabel, sees)
		})
	}
}

func keysCreateScope(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	uP1 := newUser(t, st, tr.P1.ID, "")
	for _, c := range []struct {
		name  string
		scope domain.Scope
		unit  [3]string
		ok    bool
	}{
		{"PartnerAtItsPartner", partnerScopeOf(tr.P1.ID), [3]string{tr.P1.ID, "", ""}, true},
		{"OrgAtItsOrg", orgScopeOf(tr.A.ID), [3]string{tr.P1.ID, tr.A.ID, ""}, true},
		{"SiteAtItsSite", siteScopeOf(tr.S1.ID), [3]string{tr.P1.ID, tr.A.ID, tr.S1.ID}, true},
		{"OrgAtItsPartner", orgScopeOf(tr.A.ID), [3]string{tr.P1.ID, "", ""}, false},
		{"OrgAtSiblingOrg", orgScopeOf(tr.A.ID), [3]string{tr.P1.ID, tr.B.ID, ""}, false},
		{"SiteAtItsOrg", siteScopeOf(tr.S1.ID), [3]string{tr.P1.ID, tr.A.ID, ""}, false},
		{"SiteAtSiblingSite", siteScopeOf(tr.S1.ID), [3]string{tr.P1.ID, tr.A.ID, tr.S2.ID}, false},
		{"PartnerAtAnotherPartner", partnerScopeOf(tr.P1.ID), [3]string{tr.P2.ID, tr.C.ID, ""}, false},
		{"Empty", domain.Scope{}, [3]string{tr.P1.ID, "", ""}, false},
		{"WrongLevelIDs", wrongLevelScope(tr), [3]string{tr.P1.ID, tr.A.ID, tr.S1.ID}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := apiKeyIn(uP1.ID, c.unit[0], c.unit[1], c.unit[2])
			err := st.APIKeys().Create(ctx, c.scope, k)
			if c.ok {
				must(t, "Create", err)
				eqAPIKey(t, "Get", globalKey(t, st, k.ID), k)
				return
			}
			wantIs(t, "Create", err, domain.ErrNotFound)
			_, err = st.APIKeys().GetByHash(ctx, k.SecretHash)
			wantIs(t, "GetByHash after refused Create", err, domain.ErrNotFound)
		})
	}
	// Units whose parts do not belong together, even when the caller
	// covers the part it names first.
	for _, c := range []struct {
		name  string
		scope domain.Scope
		unit  [3]string
	}{
		{"OrgOfAnotherPartner", global, [3]string{tr.P1.ID, tr.C.ID, ""}},
		{"SiteOfAnotherOrg", global, [3]string{tr.P1.ID, tr.A.ID, tr.S3.ID}},
		{"CoveredOrgForeignSite", orgScopeOf(tr.A.ID), [3]string{tr.P1.ID, tr.A.ID, tr.S4.ID}},
		{"CoveredOrgSiteOfSibling", orgScopeOf(tr.B.ID), [3]string{tr.P1.ID, tr.B.ID, tr.S1.ID}},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := apiKeyIn(uP1.ID, c.unit[0], c.unit[1], c.unit[2])
			wantOneOf(t, "Create", st.APIKeys().Create(ctx, c.scope, k), domain.ErrInvalid, domain.ErrNotFound)
			_, err := st.APIKeys().GetByHash(ctx, k.SecretHash)
			wantIs(t, "GetByHash after refused Create", err, domain.ErrNotFound)
		})
	}
	t.Run("UnknownUser", func(t *testing.T) {
		k := apiKeyIn(domain.NewID(), tr.P1.ID, "", "")
		wantOneOf(t, "Create", st.APIKeys().Create(ctx, global, k), domain.ErrInvalid, domain.ErrNotFound)
	})
}

func keysPaging(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, tr.A.ID)
	var want []string
	for range 5 {
		want = append(want, newAPIKey(t, st, u.ID, tr.P1.ID, tr.A.ID, "").ID)
	}
	newAPIKey(t, st, u.ID, tr.P1.ID, tr.B.ID, "") // outside the caller's org
	for _, limit := range []int{1, 2, 5, 6} {
		got := identPages(t, fmt.Sprintf("List limit %d", limit), limit, func(req domain.PageRequest) ([]string, string, error) {
			p, err := st.APIKeys().List(ctx, orgScopeOf(tr.A.ID), req)
			ids := make([]string, len(p.Items))
			for i, k := range p.Items {
				ids[i] = k.ID
			}
			return ids, p.NextCursor, err
		})
		wantIDs(t, fmt.Sprintf("List limit %d", limit), got, want)
	}
	_, err := st.APIKeys().List(ctx, global, domain.PageRequest{Cursor: "@@"})
	wantIs(t, "List with a malformed cursor", err, domain.ErrInvalid)
}

func keysMalformed(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	k := newAPIKey(t, st, newUser(t, st, tr.P1.ID, "").ID, tr.P1.ID, "", "")
	for _, id := range malformedIDs(k.ID) {
		_, err := st.APIKeys().Get(ctx, global, id)
		wantIs(t, fmt.Sprintf("Get(%q)", id), err, domain.ErrNotFound)
		wantIs(t, fmt.Sprintf("Revoke(%q)", id), st.APIKeys().Revoke(ctx, global, id, identNow()), domain.ErrNotFound)
		if err := st.APIKeys().Touch(ctx, id, identNow()); err != nil && !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("Touch(%q): %v, want nil or ErrNotFound", id, err)
		}
	}
	eqAPIKey(t, "key after malformed-id calls", globalKey(t, st, k.ID), k)
}
