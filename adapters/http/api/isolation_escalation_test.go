package api_test

// The security tests beside the matrix: nobody reaches beyond what they hold
// by way of an API key, a grant, or another user's account.

import (
	"context"
	"net/http"
	"reflect"
	"sort"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// ids returns the "id" of each item of a list answer, sorted.
func ids(body map[string]any) []string {
	var out []string
	items, _ := body["items"].([]any)
	for _, it := range items {
		out = append(out, str(it.(map[string]any), "id"))
	}
	sort.Strings(out)
	return out
}

// keyCount is the number of API keys stored, all tenants.
func keyCount(t *testing.T, ts *apitest.TestServer) int {
	t.Helper()
	n, page := 0, domain.PageRequest{Limit: domain.MaxPageSize}
	for {
		p, err := ts.Store.APIKeys().List(context.Background(), domain.GlobalScope(), page)
		if err != nil {
			t.Fatal(err)
		}
		n += len(p.Items)
		if p.NextCursor == "" {
			return n
		}
		page.Cursor = p.NextCursor
	}
}

// grantsOf returns a user's grants as "role@partner/org/site", sorted.
func grantsOf(t *testing.T, ts *apitest.TestServer, userID string) []string {
	t.Helper()
	gs, err := ts.Store.RoleAssignments().GrantsOf(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, g := range gs {
		a := g.Assignment
		out = append(out, a.RoleID+"@"+a.PartnerID+"/"+a.OrgID+"/"+a.SiteID)
	}
	sort.Strings(out)
	return out
}

// grant stores a role assignment with the global scope.
func grant(t *testing.T, ts *apitest.TestServer, userID, roleID string, u domain.Unit) string {
	t.Helper()
	a := &domain.RoleAssignment{UserID: userID, RoleID: roleID, PartnerID: u.PartnerID, OrgID: u.OrgID, SiteID: u.SiteID}
	if err := ts.Store.RoleAssignments().Create(context.Background(), domain.GlobalScope(), a); err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// An API key holds at most its own permissions, at its own unit, and never
// more than its owner holds right now.
func TestIsolationAPIKeysNeverExceedTheirOwner(t *testing.T) {
	ts := apitest.NewServer(t)
	a, b := ts.Seed.A, ts.Seed.B
	admin := ts.Login(t, a.Admin.Email, apitest.DefaultPassword)
	// The owner is an Org Admin of A1, granted through the API so the grant
	// can be revoked through it too.
	owner := ts.NewUser(t, "", a.OrgUnit(0), "")
	st, orgGrant := ts.Do(t, http.MethodPost, api.Prefix+"/role-assignments", admin, map[string]any{
		"userId": owner.ID, "roleId": domain.RoleOrgAdmin, "orgId": a.Orgs[0].ID})
	if st != http.StatusCreated {
		t.Fatalf("grant the owner: %d %v", st, orgGrant)
	}
	ownerTok := ts.Login(t, owner.Email, owner.Password)
	mint := func(tok string, body map[string]any) (int, string, map[string]any) {
		t.Helper()
		if body["name"] == nil {
			body["name"] = "key"
		}
		st, k := ts.Do(t, http.MethodPost, api.Prefix+"/api-keys", tok, body)
		return st, str(k, "key"), k
	}
	get := func(tok, path string) (int, map[string]any) {
		t.Helper()
		return ts.Do(t, http.MethodGet, api.Prefix+path, tok, nil)
	}

	// A devices:read key at A1 holds devices:read at A1 and nothing else: it
	// cannot even list organizations, let alone partner A's other one.
	st, devKey, k := mint(ownerTok, map[string]any{"orgId": a.Orgs[0].ID, "permissions": []string{domain.PermDevicesRead}})
	if st != http.StatusCreated {
		t.Fatalf("mint a devices:read key: %d %v", st, k)
	}
	_, me := get(devKey, "/me")
	if perms, _ := me["permissions"].([]any); !reflect.DeepEqual(perms, []any{domain.PermDevicesRead}) || me["kind"] != "api_key" {
		t.Errorf("the devices:read key's /me: %v", me)
	}
	for _, path := range []string{"/orgs", "/orgs/" + a.Orgs[1].ID, "/sites?orgId=" + a.Orgs[1].ID, "/users", "/api-keys"} {
		if st, body := get(devKey, path); st != http.StatusForbidden {
			t.Errorf("devices:read key GET %s: %d %v, want 403", path, st, body)
		}
	}

	// A reading key at A1 sees A1 and nothing of A2 or B, whatever it asks.
	st, readKey, k := mint(ownerTok, map[string]any{"orgId": a.Orgs[0].ID,
		"permissions": []string{domain.PermOrgsRead, domain.PermSitesRead, domain.PermGroupsRead}})
	if st != http.StatusCreated {
		t.Fatalf("mint a reading key: %d %v", st, k)
	}
	if st, body := get(readKey, "/orgs"); st != 200 || !reflect.DeepEqual(ids(body), []string{a.Orgs[0].ID}) {
		t.Errorf("reading key lists orgs: %d %v", st, body)
	}
	if st, body := get(readKey, "/sites"); st != 200 || !reflect.DeepEqual(ids(body), []string{a.Sites[0].ID}) {
		t.Errorf("reading key lists sites: %d %v", st, body)
	}
	for _, path := range []string{"/sites?orgId=" + a.Orgs[1].ID, "/sites?orgId=" + b.Orgs[0].ID,
		"/orgs?partnerId=" + b.Partner.ID, "/device-groups?orgId=" + a.Orgs[1].ID} {
		if st, body := get(readKey, path); st != 200 || len(ids(body)) != 0 {
			t.Errorf("reading key GET %s: %d %v, want an empty list", path, st, body)
		}
	}
	for _, path := range []string{"/orgs/" + a.Orgs[1].ID, "/orgs/" + b.Orgs[0].ID, "/sites/" + a.Sites[1].ID, "/sites/" + b.Sites[0].ID} {
		if st, body := get(readKey, path); st != http.StatusNotFound {
			t.Errorf("reading key GET %s: %d %v, want 404", path, st, body)
		}
	}

	// Minting beyond the owner: another unit is 404, a permission the owner
	// lacks 403, and neither stores a key.
	before := keyCount(t, ts)
	for _, tc := range []struct {
		name string
		body map[string]any
		want int
	}{
		{"at partner A", map[string]any{"partnerId": a.Partner.ID, "permissions": []string{domain.PermOrgsRead}}, http.StatusNotFound},
		{"by default (the owner's partner)", map[string]any{"permissions": []string{domain.PermOrgsRead}}, http.StatusNotFound},
		{"at org A2", map[string]any{"orgId": a.Orgs[1].ID, "permissions": []string{domain.PermOrgsRead}}, http.StatusNotFound},
		{"at site S(A2)", map[string]any{"siteId": a.Sites[1].ID, "permissions": []string{domain.PermOrgsRead}}, http.StatusNotFound},
		{"at org B1", map[string]any{"orgId": b.Orgs[0].ID, "permissions": []string{domain.PermOrgsRead}}, http.StatusNotFound},
		{"with partners:read", map[string]any{"orgId": a.Orgs[0].ID, "permissions": []string{domain.PermPartnersRead}}, http.StatusForbidden},
		{"with plugins:manage", map[string]any{"orgId": a.Orgs[0].ID, "permissions": []string{domain.PermOrgsRead, domain.PermPluginsManage}}, http.StatusForbidden},
	} {
		if st, _, body := mint(ownerTok, tc.body); st != tc.want {
			t.Errorf("Org Admin of A1 mints a key %s: %d %v, want %d", tc.name, st, body, tc.want)
		}
	}
	// A key that mints keys: never wider than itself, even where its owner is.
	st, minter, k := mint(ownerTok, map[string]any{"orgId": a.Orgs[0].ID,
		"permissions": []string{domain.PermAPIKeysWrite, domain.PermOrgsRead}})
	if st != http.StatusCreated {
		t.Fatalf("mint a minting key: %d %v", st, k)
	}
	before++
	if st, _, body := mint(minter, map[string]any{"orgId": a.Orgs[0].ID, "permissions": []string{domain.PermUsersWrite}}); st != http.StatusForbidden {
		t.Errorf("a key mints a key with users:write, which only its owner holds: %d %v", st, body)
	}
	if st, _, body := mint(minter, map[string]any{"orgId": a.Orgs[1].ID, "permissions": []string{domain.PermOrgsRead}}); st != http.StatusNotFound {
		t.Errorf("a key mints a key at A2: %d %v", st, body)
	}
	if n := keyCount(t, ts); n != before {
		t.Errorf("refused mints stored %d keys", n-before)
	}
	st, childKey, k := mint(minter, map[string]any{"siteId": a.Sites[0].ID, "permissions": []string{domain.PermOrgsRead}})
	if st != http.StatusCreated || k["userId"] != owner.ID {
		t.Fatalf("a key mints a narrower key: %d %v", st, k)
	}
	if st, body := get(childKey, "/orgs"); st != 200 || !reflect.DeepEqual(ids(body), []string{a.Orgs[0].ID}) {
		t.Errorf("the narrower key lists orgs: %d %v", st, body)
	}

	// The owner loses the org grant and keeps one at site S(A1): keys at A1
	// lose everything, keys at S(A1) keep what the owner still holds there.
	st, siteKey, k := mint(ownerTok, map[string]any{"siteId": a.Sites[0].ID, "permissions": []string{domain.PermSitesRead}})
	if st != http.StatusCreated {
		t.Fatalf("mint a site key: %d %v", st, k)
	}
	st, siteGrant := ts.Do(t, http.MethodPost, api.Prefix+"/role-assignments", admin, map[string]any{
		"userId": owner.ID, "roleId": domain.RoleOrgViewer, "siteId": a.Sites[0].ID})
	if st != http.StatusCreated {
		t.Fatalf("grant Org Viewer at S(A1): %d %v", st, siteGrant)
	}
	if st, body := ts.Do(t, http.MethodDelete, api.Prefix+"/role-assignments/"+str(orgGrant, "id"), admin, nil); st != http.StatusNoContent {
		t.Fatalf("revoke the org grant: %d %v", st, body)
	}
	for _, key := range []string{readKey, devKey, minter} {
		if st, body := get(key, "/orgs/"+a.Orgs[0].ID); st != http.StatusForbidden {
			t.Errorf("a key at A1 after its owner lost A1: %d %v, want 403", st, body)
		}
	}
	if st, _, body := mint(minter, map[string]any{"siteId": a.Sites[0].ID, "permissions": []string{domain.PermOrgsRead}}); st != http.StatusForbidden {
		t.Errorf("a minting key after its owner lost api-keys:write: %d %v", st, body)
	}
	if st, body := get(siteKey, "/sites"); st != 200 || !reflect.DeepEqual(ids(body), []string{a.Sites[0].ID}) {
		t.Errorf("the site key while its owner holds Org Viewer at the site: %d %v", st, body)
	}
	// Then the last grant goes, and finally the owner is disabled.
	if st, body := ts.Do(t, http.MethodDelete, api.Prefix+"/role-assignments/"+str(siteGrant, "id"), admin, nil); st != http.StatusNoContent {
		t.Fatalf("revoke the site grant: %d %v", st, body)
	}
	if st, body := get(siteKey, "/sites"); st != http.StatusForbidden {
		t.Errorf("the site key after its owner lost every grant: %d %v, want 403", st, body)
	}
	if st, body := get(siteKey, "/me"); st != 200 || len(body["permissions"].([]any)) != 0 {
		t.Errorf("the site key's /me after its owner lost every grant: %d %v", st, body)
	}
	_, cur := get(admin, "/users/"+owner.ID)
	if st, body := ts.Do(t, http.MethodPatch, api.Prefix+"/users/"+owner.ID, admin, map[string]any{"status": "disabled", "version": cur["version"]}); st != 200 {
		t.Fatalf("disable the owner: %d %v", st, body)
	}
	if st, _ := get(siteKey, "/me"); st != http.StatusUnauthorized {
		t.Errorf("a disabled owner's key: %d, want 401", st)
	}
}

// A narrowed API key must not become its owner: changing the owner's
// password or email through the key would turn a key limited to a unit and
// a few permissions into the owner's whole account.
func TestIsolationAPIKeyCannotTakeOverItsOwner(t *testing.T) {
	ts := apitest.NewServer(t)
	a := ts.Seed.A
	admin := ts.Login(t, a.Admin.Email, apitest.DefaultPassword)
	// A customer's admin who also runs org A2; the key is for A1's users only.
	owner := ts.NewUser(t, domain.RoleOrgAdmin, a.OrgUnit(0), "")
	grant(t, ts, owner.ID, domain.RoleOrgAdmin, a.OrgUnit(1))
	ownerTok := ts.Login(t, owner.Email, owner.Password)

	for _, tc := range []struct {
		name   string
		ownerT string
		id     string
		body   map[string]any
	}{
		{"a Partner Admin's users key at partner A", admin, a.Admin.ID,
			map[string]any{"name": "users", "partnerId": a.Partner.ID, "permissions": []string{domain.PermUsersRead, domain.PermUsersWrite}}},
		{"an admin of A1 and A2's users key at A1", ownerTok, owner.ID,
			map[string]any{"name": "users", "orgId": a.Orgs[0].ID, "permissions": []string{domain.PermUsersRead, domain.PermUsersWrite}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, k := ts.Do(t, http.MethodPost, api.Prefix+"/api-keys", tc.ownerT, tc.body)
			if st != http.StatusCreated {
				t.Fatalf("mint: %d %v", st, k)
			}
			key := str(k, "key")
			before, err := ts.Store.Users().GetByID(context.Background(), tc.id)
			if err != nil {
				t.Fatal(err)
			}
			for _, patch := range []map[string]any{
				{"password": "chosen by whoever holds the key"},
				{"email": "attacker-" + tc.id + "@example.test"},
			} {
				cur, err := ts.Store.Users().GetByID(context.Background(), tc.id)
				if err != nil {
					t.Fatal(err)
				}
				patch["version"] = cur.Version // current, so only authorisation can refuse it
				if st, body := ts.Do(t, http.MethodPatch, api.Prefix+"/users/"+tc.id, key, patch); st != http.StatusForbidden && st != http.StatusNotFound {
					t.Errorf("the key sets its owner's %v: %d %v, want 403", patch, st, body)
				}
			}
			after, err := ts.Store.Users().GetByID(context.Background(), tc.id)
			if err != nil {
				t.Fatal(err)
			}
			if after.PasswordHash != before.PasswordHash || after.Email != before.Email {
				t.Errorf("the key changed its owner's credentials: email %s -> %s, password changed %v",
					before.Email, after.Email, after.PasswordHash != before.PasswordHash)
			}
			if rec := ts.Request(t, http.MethodPost, loginPath, "", creds(after.Email, "chosen by whoever holds the key"), nil); rec.Code == http.StatusOK {
				t.Errorf("signed in as the owner with the password the key set")
			}
		})
	}
}

// No one grants a role at a unit they do not hold users:write over (404),
// nor a role holding anything they lack there (403); revoking follows the
// same rule. Nothing refused is stored.
func TestIsolationGrantsNeverExceedTheGranter(t *testing.T) {
	ts := apitest.NewServer(t)
	a, b := ts.Seed.A, ts.Seed.B
	ctx, all := context.Background(), domain.GlobalScope()
	admin := ts.Login(t, a.Admin.Email, apitest.DefaultPassword)
	orgAdmin := ts.NewUser(t, domain.RoleOrgAdmin, a.OrgUnit(0), "")
	oa := ts.Login(t, orgAdmin.Email, orgAdmin.Password)
	siteAdmin := ts.NewUser(t, domain.RoleOrgAdmin, a.SiteUnit(0), "")
	sa := ts.Login(t, siteAdmin.Email, siteAdmin.Password)
	target := ts.NewUser(t, "", a.OrgUnit(0), "")
	a2Staff := ts.NewUser(t, "", a.OrgUnit(1), "")
	roleB := &domain.Role{PartnerID: b.Partner.ID, Name: "B readers", Permissions: []domain.Permission{domain.PermOrgsRead}}
	pluginRole := &domain.Role{PartnerID: a.Partner.ID, Name: "Plugin managers", Permissions: []domain.Permission{domain.PermPluginsManage}}
	readerRole := &domain.Role{PartnerID: a.Partner.ID, Name: "A readers", Permissions: []domain.Permission{domain.PermOrgsRead, domain.PermSitesRead}}
	for _, r := range []*domain.Role{roleB, pluginRole, readerRole} {
		if err := ts.Store.Roles().Create(ctx, all, r); err != nil {
			t.Fatal(err)
		}
	}
	post := func(tok string, body map[string]any) (int, map[string]any) {
		t.Helper()
		return ts.Do(t, http.MethodPost, api.Prefix+"/role-assignments", tok, body)
	}
	unit := func(kv ...string) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	with := func(m map[string]any, user, role string) map[string]any {
		m["userId"], m["roleId"] = user, role
		return m
	}
	a1, a2, b1 := a.Orgs[0].ID, a.Orgs[1].ID, b.Orgs[0].ID
	for _, tc := range []struct {
		name   string
		tok    string
		body   map[string]any
		want   int
		victim string
	}{
		{"Org Viewer at org A2", oa, with(unit("orgId", a2), target.ID, domain.RoleOrgViewer), 404, target.ID},
		{"Org Viewer at site S(A2)", oa, with(unit("siteId", a.Sites[1].ID), target.ID, domain.RoleOrgViewer), 404, target.ID},
		{"Org Viewer at partner A", oa, with(unit("partnerId", a.Partner.ID), target.ID, domain.RoleOrgViewer), 404, target.ID},
		{"Org Viewer at the default unit (partner A)", oa, with(unit(), target.ID, domain.RoleOrgViewer), 404, target.ID},
		{"Partner Viewer at partner A", oa, with(unit("partnerId", a.Partner.ID), target.ID, domain.RolePartnerViewer), 404, target.ID},
		{"Org Viewer at org B1", oa, with(unit("orgId", b1), target.ID, domain.RoleOrgViewer), 404, target.ID},
		{"B's custom role at org A1", oa, with(unit("orgId", a1), target.ID, roleB.ID), 404, target.ID},
		{"Org Viewer at A1 to A2's staff", oa, with(unit("orgId", a1), a2Staff.ID, domain.RoleOrgViewer), 404, a2Staff.ID},
		{"Org Admin at A2 to themselves", oa, with(unit("orgId", a2), orgAdmin.ID, domain.RoleOrgAdmin), 404, orgAdmin.ID},
		{"Partner Admin at org A1", oa, with(unit("orgId", a1), target.ID, domain.RolePartnerAdmin), 403, target.ID},
		{"Partner Technician at org A1", oa, with(unit("orgId", a1), target.ID, domain.RolePartnerTechnician), 403, target.ID},
		{"Platform Admin at org A1", oa, with(unit("orgId", a1), target.ID, domain.RolePlatformAdmin), 403, target.ID},
		{"a plugins:manage custom role at org A1", oa, with(unit("orgId", a1), target.ID, pluginRole.ID), 403, target.ID},
		{"Partner Admin at org A1 to themselves", oa, with(unit("orgId", a1), orgAdmin.ID, domain.RolePartnerAdmin), 403, orgAdmin.ID},
		{"(site admin) Org Viewer at org A1", sa, with(unit("orgId", a1), target.ID, domain.RoleOrgViewer), 404, target.ID},
		{"(site admin) Org Admin at org A1 to themselves", sa, with(unit("orgId", a1), siteAdmin.ID, domain.RoleOrgAdmin), 404, siteAdmin.ID},
	} {
		before := grantsOf(t, ts, tc.victim)
		if st, body := post(tc.tok, tc.body); st != tc.want {
			t.Errorf("grant %s: %d %v, want %d", tc.name, st, body, tc.want)
		}
		if after := grantsOf(t, ts, tc.victim); !reflect.DeepEqual(before, after) {
			t.Errorf("grant %s was refused but stored: %v -> %v", tc.name, before, after)
		}
	}
	// Within what they hold, they do grant.
	for _, body := range []map[string]any{
		with(unit("orgId", a1), target.ID, domain.RoleOrgViewer),
		with(unit("siteId", a.Sites[0].ID), target.ID, domain.RoleOrgTechnician),
		with(unit("orgId", a1), target.ID, readerRole.ID),
	} {
		if st, got := post(oa, body); st != http.StatusCreated {
			t.Errorf("Org Admin of A1 grants %v: %d %v", body, st, got)
		}
	}
	if got := grantsOf(t, ts, target.ID); len(got) != 3 {
		t.Errorf("target's grants: %v", got)
	}

	// Revoking: the Partner Admin's own grant is out of sight (404), a grant
	// at A1 of a role stronger than theirs is refused (403).
	partnerGrant, err := ts.Store.RoleAssignments().List(ctx, all, ports.RoleAssignmentFilter{UserID: a.Admin.ID}, domain.PageRequest{})
	if err != nil || len(partnerGrant.Items) != 1 {
		t.Fatalf("the Partner Admin's grants: %v %v", partnerGrant.Items, err)
	}
	boss := ts.NewUser(t, "", a.OrgUnit(0), "")
	st, strong := post(admin, with(unit("orgId", a1), boss.ID, domain.RolePartnerAdmin))
	if st != http.StatusCreated {
		t.Fatalf("Partner Admin grants Partner Admin at org A1: %d %v", st, strong)
	}
	for _, tc := range []struct {
		name string
		id   string
		want int
	}{
		{"the Partner Admin's partner grant", partnerGrant.Items[0].ID, 404},
		{"a Partner Admin grant at org A1", str(strong, "id"), 403},
	} {
		if st, body := ts.Do(t, http.MethodDelete, api.Prefix+"/role-assignments/"+tc.id, oa, nil); st != tc.want {
			t.Errorf("Org Admin of A1 revokes %s: %d %v, want %d", tc.name, st, body, tc.want)
		}
		if _, err := ts.Store.RoleAssignments().Get(ctx, all, tc.id); err != nil {
			t.Errorf("%s is gone after a refused revoke: %v", tc.name, err)
		}
	}
}

// Nobody edits, disables, resets or deletes a user who holds something they
// do not hold; a peer who holds no more is fair game.
func TestIsolationOutrankedUsersAreUntouchable(t *testing.T) {
	ts := apitest.NewServer(t)
	a := ts.Seed.A
	ctx := context.Background()
	orgAdmin := ts.NewUser(t, domain.RoleOrgAdmin, a.OrgUnit(0), "")
	oa := ts.Login(t, orgAdmin.Email, orgAdmin.Password)
	partnerAdmin := ts.Login(t, a.Admin.Email, apitest.DefaultPassword)

	// Staff of A1 the Org Admin can see, each holding more somewhere.
	alsoA2 := ts.NewUser(t, domain.RoleOrgAdmin, a.OrgUnit(0), "")
	grant(t, ts, alsoA2.ID, domain.RoleOrgAdmin, a.OrgUnit(1))
	boss := ts.NewUser(t, "", a.OrgUnit(0), "")
	grant(t, ts, boss.ID, domain.RolePartnerAdmin, a.OrgUnit(0))
	peer := ts.NewUser(t, domain.RoleOrgAdmin, a.OrgUnit(0), "")

	for _, tc := range []struct {
		name   string
		tok    string
		victim apitest.User
	}{
		{"Org Admin of A1 vs an admin of A1 and A2", oa, alsoA2},
		{"Org Admin of A1 vs a Partner Admin role holder at A1", oa, boss},
		{"Partner Admin of A vs the Platform Admin (home partner A)", partnerAdmin, ts.Seed.Platform},
	} {
		t.Run(tc.name, func(t *testing.T) {
			victimTok := ts.Login(t, tc.victim.Email, tc.victim.Password)
			path := api.Prefix + "/users/" + tc.victim.ID
			st, cur := ts.Do(t, http.MethodGet, path, tc.tok, nil)
			if st != http.StatusOK {
				t.Fatalf("the victim is in sight: %d %v", st, cur)
			}
			before, err := ts.Store.Users().GetByID(ctx, tc.victim.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, patch := range []map[string]any{
				{"name": "Demoted"},
				{"status": "disabled"},
				{"password": "a password the attacker knows"},
				{"email": "takeover@example.test"},
			} {
				patch["version"] = cur["version"]
				if st, body := ts.Do(t, http.MethodPatch, path, tc.tok, patch); st != http.StatusForbidden {
					t.Errorf("PATCH %v: %d %v, want 403", patch, st, body)
				}
			}
			if st, body := ts.Do(t, http.MethodDelete, path, tc.tok, nil); st != http.StatusForbidden {
				t.Errorf("DELETE: %d %v, want 403", st, body)
			}
			after, err := ts.Store.Users().GetByID(ctx, tc.victim.ID)
			if err != nil {
				t.Fatalf("the victim is gone: %v", err)
			}
			if !reflect.DeepEqual(before, after) {
				t.Errorf("the victim changed:\nbefore %+v\nafter  %+v", before, after)
			}
			if st, _ := ts.Do(t, http.MethodGet, mePath, victimTok, nil); st != http.StatusOK {
				t.Errorf("the victim's session ended: %d", st)
			}
		})
	}

	// The same Org Admin does manage a peer who holds no more than they do.
	_, cur := ts.Do(t, http.MethodGet, api.Prefix+"/users/"+peer.ID, oa, nil)
	if st, body := ts.Do(t, http.MethodPatch, api.Prefix+"/users/"+peer.ID, oa, map[string]any{"status": "disabled", "version": cur["version"]}); st != http.StatusOK || body["status"] != "disabled" {
		t.Errorf("disable a peer: %d %v", st, body)
	}
	if st, body := ts.Do(t, http.MethodDelete, api.Prefix+"/users/"+peer.ID, oa, nil); st != http.StatusNoContent {
		t.Errorf("delete a peer: %d %v", st, body)
	}
}
