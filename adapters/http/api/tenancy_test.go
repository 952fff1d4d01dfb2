package api_test

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/domain"
)

// snapshot reads the B-side rows the smoke test aims at, so it can prove
// nothing changed.
func snapshot(t *testing.T, ts *apitest.TestServer, ids map[string]string) map[string]any {
	t.Helper()
	ctx, all := context.Background(), domain.GlobalScope()
	out := map[string]any{}
	var err error
	if out["org"], err = ts.Store.Orgs().Get(ctx, all, ids["orgs"]); err != nil {
		t.Fatal(err)
	}
	if out["site"], err = ts.Store.Sites().Get(ctx, all, ids["sites"]); err != nil {
		t.Fatal(err)
	}
	if out["group"], err = ts.Store.DeviceGroups().Get(ctx, all, ids["device-groups"]); err != nil {
		t.Fatal(err)
	}
	if out["user"], err = ts.Store.Users().Get(ctx, all, ids["users"]); err != nil {
		t.Fatal(err)
	}
	return out
}

// A small cross-tenant smoke test (the full matrix lives elsewhere): an Org
// Admin of A1 gets 404 for every read, update and delete of B1's org, site,
// group and user, sees none of them in lists, and nothing changes.
func TestCrossTenantSmoke(t *testing.T) {
	ts := apitest.NewServer(t)
	ctx := context.Background()
	a, b := ts.Seed.A, ts.Seed.B
	group := &domain.DeviceGroup{SiteID: b.Sites[0].ID, Name: "B1 servers"}
	if err := ts.Store.DeviceGroups().Create(ctx, domain.GlobalScope(), group); err != nil {
		t.Fatal(err)
	}
	victim := ts.NewUser(t, domain.RoleOrgViewer, b.OrgUnit(0), "")
	ids := map[string]string{"orgs": b.Orgs[0].ID, "sites": b.Sites[0].ID, "device-groups": group.ID, "users": victim.ID}

	orgAdmin := ts.NewUser(t, domain.RoleOrgAdmin, a.OrgUnit(0), "")
	tok := ts.Login(t, orgAdmin.Email, orgAdmin.Password)
	before := snapshot(t, ts, ids)

	for res, id := range ids {
		path := api.Prefix + "/" + res + "/" + id
		for _, tc := range []struct {
			method string
			body   any
		}{
			{http.MethodGet, nil},
			{http.MethodPatch, map[string]any{"name": "Pwned", "version": 1}},
			{http.MethodDelete, nil},
		} {
			st, body := ts.Do(t, tc.method, path, tok, tc.body)
			if st != http.StatusNotFound || apitest.ErrorCode(body) != "not_found" {
				t.Errorf("%s %s of tenant B: %d %v, want 404", tc.method, path, st, body)
			}
		}
		// Lists never show B's rows, even when asked by B's ids.
		for _, q := range []string{"", "?orgId=" + b.Orgs[0].ID} {
			if res == "orgs" && q != "" {
				q = "?partnerId=" + b.Partner.ID
			}
			st, body := ts.Do(t, http.MethodGet, api.Prefix+"/"+res+q, tok, nil)
			if st != http.StatusOK {
				t.Errorf("list %s%s: %d %v", res, q, st, body)
				continue
			}
			for _, it := range body["items"].([]any) {
				m := it.(map[string]any)
				if m["partnerId"] == b.Partner.ID || m["orgId"] == b.Orgs[0].ID {
					t.Errorf("list %s%s shows tenant B's %v", res, q, m)
				}
			}
		}
	}
	// Creating under B's parents is 404 too.
	for path, body := range map[string]any{
		"/sites":         map[string]any{"orgId": b.Orgs[0].ID, "name": "Sneaky"},
		"/device-groups": map[string]any{"siteId": b.Sites[0].ID, "name": "Sneaky"},
		"/users":         map[string]any{"orgId": b.Orgs[0].ID, "email": "sneaky@example.test", "name": "S", "password": "long enough password"},
		"/role-assignments": map[string]any{"userId": orgAdmin.ID, "roleId": domain.RoleOrgAdmin,
			"orgId": b.Orgs[0].ID},
	} {
		if st, resp := ts.Do(t, http.MethodPost, api.Prefix+path, tok, body); st != http.StatusNotFound {
			t.Errorf("POST %s under tenant B: %d %v", path, st, resp)
		}
	}
	if after := snapshot(t, ts, ids); !reflect.DeepEqual(before, after) {
		t.Fatalf("tenant B changed:\nbefore %+v\nafter  %+v", before, after)
	}
	// The same admin does reach its own org (the 404s are about scope, not a broken route).
	if st, body := ts.Do(t, http.MethodGet, api.Prefix+"/orgs/"+a.Orgs[0].ID, tok, nil); st != 200 || body["id"] != a.Orgs[0].ID {
		t.Fatalf("own org: %d %v", st, body)
	}
	// And not its sibling org A2.
	if st, _ := ts.Do(t, http.MethodGet, api.Prefix+"/orgs/"+a.Orgs[1].ID, tok, nil); st != http.StatusNotFound {
		t.Fatalf("sibling org A2: %d", st)
	}
}

// The tenant resources end to end as a Partner Admin: create, read, list
// with paging and filters, update with versions, delete.
func TestTenantCRUD(t *testing.T) {
	ts := apitest.NewServer(t)
	a := ts.Seed.A
	tok := ts.Login(t, a.Admin.Email, apitest.DefaultPassword)

	rec := ts.Request(t, http.MethodPost, api.Prefix+"/orgs", tok, map[string]string{"name": "Contoso"}, nil)
	org := apitest.DecodeJSON(t, rec)
	if rec.Code != http.StatusCreated || org["partnerId"] != a.Partner.ID || org["version"] != float64(1) ||
		rec.Header().Get("Location") != api.Prefix+"/orgs/"+org["id"].(string) {
		t.Fatalf("create org: %d %v %s", rec.Code, org, rec.Header().Get("Location"))
	}
	orgID := org["id"].(string)
	st, site := ts.Do(t, http.MethodPost, api.Prefix+"/sites", tok, map[string]string{"orgId": orgID, "name": "HQ", "timezone": "Europe/Paris"})
	if st != http.StatusCreated || site["orgId"] != orgID || site["partnerId"] != a.Partner.ID || site["timezone"] != "Europe/Paris" {
		t.Fatalf("create site: %d %v", st, site)
	}
	st, group := ts.Do(t, http.MethodPost, api.Prefix+"/device-groups", tok, map[string]string{"siteId": site["id"].(string), "name": "Servers"})
	if st != http.StatusCreated || group["orgId"] != orgID || group["siteId"] != site["id"] {
		t.Fatalf("create group: %d %v", st, group)
	}
	st, orgWide := ts.Do(t, http.MethodPost, api.Prefix+"/device-groups", tok, map[string]string{"orgId": orgID, "name": "All"})
	if st != http.StatusCreated || orgWide["siteId"] != nil {
		t.Fatalf("create org-wide group: %d %v", st, orgWide)
	}

	// Update: a missing or stale version is refused, the right one applies.
	path := api.Prefix + "/orgs/" + orgID
	if st, _ := ts.Do(t, http.MethodPatch, path, tok, map[string]any{"name": "Contoso Ltd"}); st != http.StatusBadRequest {
		t.Errorf("patch without version: %d", st)
	}
	if st, _ := ts.Do(t, http.MethodPatch, path, tok, map[string]any{"name": "Contoso Ltd", "version": 7}); st != http.StatusConflict {
		t.Errorf("stale patch: %d", st)
	}
	if st, _ := ts.Do(t, http.MethodPatch, path, tok, map[string]any{"name": "Contoso Ltd", "version": 1, "partnerId": "x"}); st != http.StatusBadRequest {
		t.Errorf("patch with an unknown field: %d", st)
	}
	st, upd := ts.Do(t, http.MethodPatch, path, tok, map[string]any{"name": "Contoso Ltd", "version": 1})
	if st != 200 || upd["name"] != "Contoso Ltd" || upd["version"] != float64(2) {
		t.Fatalf("patch: %d %v", st, upd)
	}
	st, siteUpd := ts.Do(t, http.MethodPatch, api.Prefix+"/sites/"+site["id"].(string), tok, map[string]any{"timezone": "UTC", "version": 1})
	if st != 200 || siteUpd["timezone"] != "UTC" || siteUpd["name"] != "HQ" {
		t.Fatalf("patch site: %d %v", st, siteUpd)
	}

	// Lists, paging and filters.
	st, page := ts.Do(t, http.MethodGet, api.Prefix+"/orgs?limit=2", tok, nil)
	items := page["items"].([]any)
	if st != 200 || len(items) != 2 || page["nextCursor"] == "" {
		t.Fatalf("page 1: %d %v", st, page)
	}
	st, page2 := ts.Do(t, http.MethodGet, api.Prefix+"/orgs?limit=2&cursor="+url.QueryEscape(page["nextCursor"].(string)), tok, nil)
	items2 := page2["items"].([]any)
	if st != 200 || len(items2) != 1 || page2["nextCursor"] != "" || items2[0].(map[string]any)["id"] != orgID {
		t.Fatalf("page 2: %d %v", st, page2)
	}
	if _, f := ts.Do(t, http.MethodGet, api.Prefix+"/orgs?q=contoso", tok, nil); len(f["items"].([]any)) != 1 {
		t.Errorf("?q= filter: %v", f)
	}
	if _, f := ts.Do(t, http.MethodGet, api.Prefix+"/device-groups?siteId="+site["id"].(string), tok, nil); len(f["items"].([]any)) != 1 {
		t.Errorf("?siteId= filter: %v", f)
	}
	if _, f := ts.Do(t, http.MethodGet, api.Prefix+"/sites?orgId="+orgID, tok, nil); len(f["items"].([]any)) != 1 {
		t.Errorf("?orgId= filter: %v", f)
	}
	for _, q := range []string{"limit=0", "limit=abc", "limit=501", "cursor=nope", "orgid=" + orgID, "orgId=not-an-id", "limit=1&limit=2"} {
		if st, body := ts.Do(t, http.MethodGet, api.Prefix+"/sites?"+q, tok, nil); st != http.StatusBadRequest || apitest.ErrorCode(body) != "invalid" {
			t.Errorf("?%s: %d %v", q, st, body)
		}
	}
	// An empty list is [], not null.
	if rec := ts.Request(t, http.MethodGet, api.Prefix+"/device-groups?orgId="+a.Orgs[1].ID, tok, nil, nil); !strings.Contains(rec.Body.String(), `"items":[]`) {
		t.Errorf("empty list: %s", rec.Body.String())
	}

	// Deletes: parents with children conflict, then go bottom-up.
	if st, _ := ts.Do(t, http.MethodDelete, path, tok, nil); st != http.StatusConflict {
		t.Errorf("delete org with sites: %d", st)
	}
	for _, p := range []string{"/device-groups/" + group["id"].(string), "/device-groups/" + orgWide["id"].(string), "/sites/" + site["id"].(string), "/orgs/" + orgID} {
		if st, body := ts.Do(t, http.MethodDelete, api.Prefix+p, tok, nil); st != http.StatusNoContent || body != nil {
			t.Fatalf("delete %s: %d %v", p, st, body)
		}
	}
	if st, _ := ts.Do(t, http.MethodGet, path, tok, nil); st != http.StatusNotFound {
		t.Errorf("deleted org: %d", st)
	}
	// Partners: only the platform owner writes them.
	if st, _ := ts.Do(t, http.MethodPost, api.Prefix+"/partners", tok, map[string]string{"name": "Rogue MSP"}); st != http.StatusForbidden {
		t.Errorf("partner admin creates a partner: %d", st)
	}
	platform := ts.Login(t, ts.Seed.Platform.Email, apitest.DefaultPassword)
	st, p := ts.Do(t, http.MethodPost, api.Prefix+"/partners", platform, map[string]string{"name": "New MSP"})
	if st != http.StatusCreated || p["requireTotp"] != false {
		t.Fatalf("platform creates a partner: %d %v", st, p)
	}
	if _, l := ts.Do(t, http.MethodGet, api.Prefix+"/partners", tok, nil); len(l["items"].([]any)) != 1 {
		t.Errorf("partner admin sees %v", l)
	}
	if st, _ := ts.Do(t, http.MethodDelete, api.Prefix+"/partners/"+p["id"].(string), platform, nil); st != http.StatusNoContent {
		t.Errorf("delete partner: %d", st)
	}
}

// Users, roles, grants and API keys through the API, including the rule that
// nobody grants or mints more than they hold.
func TestAccessManagement(t *testing.T) {
	ts := apitest.NewServer(t)
	a := ts.Seed.A
	admin := ts.Login(t, a.Admin.Email, apitest.DefaultPassword)

	st, u := ts.Do(t, http.MethodPost, api.Prefix+"/users", admin, map[string]string{
		"orgId": a.Orgs[0].ID, "email": "Tech@Example.test", "name": "Tech", "password": "a long enough password"})
	if st != http.StatusCreated || u["email"] != "tech@example.test" || u["orgId"] != a.Orgs[0].ID || u["totpEnabled"] != false {
		t.Fatalf("create user: %d %v", st, u)
	}
	if st, _ := ts.Do(t, http.MethodPost, api.Prefix+"/users", admin, map[string]string{"email": "short@example.test", "name": "S", "password": "short"}); st != http.StatusBadRequest {
		t.Errorf("short password: %d", st)
	}
	if st, _ := ts.Do(t, http.MethodPost, api.Prefix+"/users", admin, map[string]string{"email": "tech@example.test", "name": "Dup", "password": "a long enough password"}); st != http.StatusConflict {
		t.Errorf("duplicate email: %d", st)
	}
	userID := u["id"].(string)
	// A user without a role can sign in but do nothing.
	tech := ts.Login(t, "tech@example.test", "a long enough password")
	if st, _ := ts.Do(t, http.MethodGet, api.Prefix+"/orgs", tech, nil); st != http.StatusForbidden {
		t.Errorf("roleless user lists orgs: %d", st)
	}

	// Grant Org Technician at A1.
	st, g := ts.Do(t, http.MethodPost, api.Prefix+"/role-assignments", admin, map[string]string{
		"userId": userID, "roleId": domain.RoleOrgTechnician, "orgId": a.Orgs[0].ID})
	if st != http.StatusCreated || g["level"] != "org" || g["createdBy"] != a.Admin.ID {
		t.Fatalf("grant: %d %v", st, g)
	}
	if st, body := ts.Do(t, http.MethodGet, api.Prefix+"/orgs", tech, nil); st != 200 || len(body["items"].([]any)) != 1 {
		t.Fatalf("after grant: %d %v", st, body)
	}
	_, me := ts.Do(t, http.MethodGet, mePath, tech, nil)
	if gs := me["grants"].([]any); len(gs) != 1 || gs[0].(map[string]any)["roleName"] != "Org Technician" {
		t.Errorf("/me grants: %v", me["grants"])
	}
	if _, l := ts.Do(t, http.MethodGet, api.Prefix+"/role-assignments?userId="+userID, admin, nil); len(l["items"].([]any)) != 1 {
		t.Errorf("assignments of the user: %v", l)
	}

	// The technician cannot grant (no users:write), nor mint a key beyond their grants.
	if st, _ := ts.Do(t, http.MethodPost, api.Prefix+"/role-assignments", tech, map[string]string{"userId": userID, "roleId": domain.RoleOrgAdmin, "orgId": a.Orgs[0].ID}); st != http.StatusForbidden {
		t.Errorf("technician grants: %d", st)
	}
	// An Org Admin cannot grant Partner Admin (more than they hold).
	orgAdmin := ts.NewUser(t, domain.RoleOrgAdmin, a.OrgUnit(0), "")
	oa := ts.Login(t, orgAdmin.Email, orgAdmin.Password)
	if st, body := ts.Do(t, http.MethodPost, api.Prefix+"/role-assignments", oa, map[string]string{"userId": userID, "roleId": domain.RolePartnerAdmin, "partnerId": a.Partner.ID}); st != http.StatusNotFound && st != http.StatusForbidden {
		t.Errorf("org admin grants partner admin: %d %v", st, body)
	}

	// Custom role: created, edited with its version, refused beyond the caller.
	st, role := ts.Do(t, http.MethodPost, api.Prefix+"/roles", admin, map[string]any{
		"name": "Auditor", "permissions": []string{domain.PermAuditRead, domain.PermOrgsRead}})
	if st != http.StatusCreated || role["builtIn"] != false || role["partnerId"] != a.Partner.ID {
		t.Fatalf("create role: %d %v", st, role)
	}
	// A role manager (roles:write, roles:read) cannot make a role holding users:write.
	st, mgrRole := ts.Do(t, http.MethodPost, api.Prefix+"/roles", admin, map[string]any{
		"name": "Role Manager", "permissions": []string{domain.PermRolesWrite, domain.PermRolesRead}})
	if st != http.StatusCreated {
		t.Fatalf("create role manager: %d %v", st, mgrRole)
	}
	mgr := ts.NewUser(t, mgrRole["id"].(string), a.PartnerUnit(), "")
	mt := ts.Login(t, mgr.Email, mgr.Password)
	if st, _ := ts.Do(t, http.MethodPost, api.Prefix+"/roles", mt, map[string]any{"name": "Boss", "permissions": []string{domain.PermUsersWrite}}); st != http.StatusForbidden {
		t.Errorf("role beyond the caller: %d", st)
	}
	if st, _ := ts.Do(t, http.MethodPost, api.Prefix+"/roles", mt, map[string]any{"name": "Peer", "permissions": []string{domain.PermRolesRead}}); st != http.StatusCreated {
		t.Errorf("role within the caller: %d", st)
	}
	if st, _ := ts.Do(t, http.MethodPost, api.Prefix+"/roles", admin, map[string]any{"name": "Typo", "permissions": []string{"orgs:reed"}}); st != http.StatusBadRequest {
		t.Errorf("unknown permission: %d", st)
	}
	roleID := role["id"].(string)
	st, role = ts.Do(t, http.MethodPatch, api.Prefix+"/roles/"+roleID, admin, map[string]any{"description": "Reads the log", "version": role["version"]})
	if st != 200 || role["description"] != "Reads the log" || len(role["permissions"].([]any)) != 2 {
		t.Fatalf("patch role: %d %v", st, role)
	}
	if st, _ := ts.Do(t, http.MethodPatch, api.Prefix+"/roles/"+domain.RoleOrgViewer, admin, map[string]any{"name": "Mine", "version": 1}); st != http.StatusBadRequest {
		t.Errorf("patch a built-in role: %d", st)
	}
	if _, l := ts.Do(t, http.MethodGet, api.Prefix+"/roles", admin, nil); len(l["items"].([]any)) < 8 {
		t.Errorf("roles list: %v", l)
	}
	if st, _ := ts.Do(t, http.MethodDelete, api.Prefix+"/roles/"+roleID, admin, nil); st != http.StatusNoContent {
		t.Errorf("delete role: %d", st)
	}

	// API keys: minted once with the secret, usable, narrowed, revocable.
	rec := ts.Request(t, http.MethodPost, api.Prefix+"/api-keys", admin, map[string]any{
		"name": "CI", "orgId": a.Orgs[0].ID, "permissions": []string{domain.PermOrgsRead, domain.PermSitesRead}}, nil)
	key := apitest.DecodeJSON(t, rec)
	secret, _ := key["key"].(string)
	if rec.Code != http.StatusCreated || !strings.HasPrefix(secret, "bzk_") || !strings.HasPrefix(secret, key["prefix"].(string)) ||
		rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("mint key: %d %v", rec.Code, key)
	}
	keyID := key["id"].(string)
	if _, got := ts.Do(t, http.MethodGet, api.Prefix+"/api-keys/"+keyID, admin, nil); got["key"] != nil || got["prefix"] != key["prefix"] {
		t.Errorf("the secret is shown again: %v", got)
	}
	if st, body := ts.Do(t, http.MethodGet, api.Prefix+"/orgs", secret, nil); st != 200 || len(body["items"].([]any)) != 1 {
		t.Errorf("key lists orgs: %d %v", st, body)
	}
	if st, _ := ts.Do(t, http.MethodPost, api.Prefix+"/orgs", secret, map[string]string{"name": "By key"}); st != http.StatusForbidden {
		t.Errorf("key writes beyond its permissions: %d", st)
	}
	if st, _ := ts.Do(t, http.MethodGet, api.Prefix+"/orgs/"+a.Orgs[1].ID, secret, nil); st != http.StatusNotFound {
		t.Errorf("key reads outside its unit: %d", st)
	}
	if st, _ := ts.Do(t, http.MethodPost, api.Prefix+"/api-keys", tech, map[string]any{"name": "Mine", "permissions": []string{domain.PermUsersWrite}}); st != http.StatusForbidden {
		t.Errorf("technician mints a key: %d", st)
	}
	if st, _ := ts.Do(t, http.MethodDelete, api.Prefix+"/api-keys/"+keyID, admin, nil); st != http.StatusNoContent {
		t.Errorf("revoke key: %d", st)
	}
	if st, _ := ts.Do(t, http.MethodGet, api.Prefix+"/orgs", secret, nil); st != http.StatusUnauthorized {
		t.Errorf("revoked key: %d", st)
	}
	if _, got := ts.Do(t, http.MethodGet, api.Prefix+"/api-keys/"+keyID, admin, nil); got["revokedAt"] == nil {
		t.Errorf("revokedAt missing: %v", got)
	}

	// Revoke the grant, delete the user.
	if st, _ := ts.Do(t, http.MethodDelete, api.Prefix+"/role-assignments/"+g["id"].(string), admin, nil); st != http.StatusNoContent {
		t.Errorf("revoke grant: %d", st)
	}
	if st, _ := ts.Do(t, http.MethodGet, api.Prefix+"/orgs", tech, nil); st != http.StatusForbidden {
		t.Errorf("after revoke: %d", st)
	}
	st, cur := ts.Do(t, http.MethodGet, api.Prefix+"/users/"+userID, admin, nil)
	if st != 200 || cur["passwordHash"] != nil {
		t.Fatalf("get user: %d %v", st, cur)
	}
	if st, _ := ts.Do(t, http.MethodPatch, api.Prefix+"/users/"+userID, admin, map[string]any{"name": "Renamed", "version": 99}); st != http.StatusConflict {
		t.Errorf("stale user patch: %d", st)
	}
	if st, _ := ts.Do(t, http.MethodDelete, api.Prefix+"/users/"+userID, admin, nil); st != http.StatusNoContent {
		t.Errorf("delete user: %d", st)
	}
	if st, _ := ts.Do(t, http.MethodGet, mePath, tech, nil); st != http.StatusUnauthorized {
		t.Errorf("a deleted user's token: %d", st)
	}
	// The permission registry.
	st, perms := ts.Do(t, http.MethodGet, api.Prefix+"/permissions", tech, nil)
	if st != http.StatusUnauthorized { // the user is gone
		t.Errorf("permissions by a deleted user: %d", st)
	}
	st, perms = ts.Do(t, http.MethodGet, api.Prefix+"/permissions", admin, nil)
	if st != 200 || len(perms["items"].([]any)) != len(domain.AllPermissions()) {
		t.Errorf("permissions: %d %v", st, perms)
	}
	first := perms["items"].([]any)[0].(map[string]any)
	if first["name"] != first["resource"].(string)+":"+first["action"].(string) {
		t.Errorf("permission entry: %v", first)
	}
}
