package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/gin-gonic/gin"
)

func ok(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"ok": true}) }

// TestEveryRouteHasARule walks gin's own route table: every route must be in
// the registry with a valid rule.
func TestEveryRouteHasARule(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.Handle(http.MethodGet, "/api/v1/devices", User("devices:read"), ok)
	ts.Group("/api/v1/agents").Handle(http.MethodGet, "/:id/ws", Agent(), ok)

	rules := map[string]Rule{}
	for _, r := range ts.Routes() {
		rules[r.Method+" "+r.Path] = r.Rule
	}
	ginRoutes := ts.Engine().Routes()
	if len(ginRoutes) != len(rules) {
		t.Errorf("gin has %d routes, the registry %d", len(ginRoutes), len(rules))
	}
	for _, r := range ginRoutes {
		rule, found := rules[r.Method+" "+r.Path]
		if !found {
			t.Errorf("%s %s is registered on gin without an access rule", r.Method, r.Path)
			continue
		}
		if err := rule.validate(); err != nil {
			t.Errorf("%s %s: %v", r.Method, r.Path, err)
		}
	}
	if err := ts.VerifyRoutes(); err != nil {
		t.Fatal(err)
	}
	// The operational routes are the only public ones so far.
	var public []string
	for _, r := range ts.Routes() {
		if r.Rule.Kind == RulePublic {
			public = append(public, r.Method+" "+r.Path)
		}
	}
	if got := strings.Join(public, ","); got != "GET /healthz,GET /metrics,GET /readyz" {
		t.Errorf("public routes = %s", got)
	}
	if rules["GET /api/v1/agents/:id/ws"].Kind != RuleAgent {
		t.Errorf("group route lost its rule or prefix: %v", ts.Routes())
	}
}

// The walker must notice a route added behind the registry's back.
func TestVerifyRoutesDetectsDirectGinRoute(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.Engine().POST("/sneaky", ok)
	err := ts.VerifyRoutes()
	if err == nil || !strings.Contains(err.Error(), "POST /sneaky") {
		t.Fatalf("VerifyRoutes = %v, want it to name POST /sneaky", err)
	}
	// Same path, other method: still caught.
	ts2 := newTestServer(t, nil)
	ts2.Engine().DELETE("/healthz", ok)
	if err := ts2.VerifyRoutes(); err == nil || !strings.Contains(err.Error(), "DELETE /healthz") {
		t.Fatalf("VerifyRoutes = %v, want it to name DELETE /healthz", err)
	}
}

func TestHandleRejectsBadRules(t *testing.T) {
	for name, rule := range map[string]Rule{
		"zero rule":              {},
		"user without perm":      User(""),
		"user with bad perm":     User("devices"),
		"user with upper perm":   User("Devices:Read"),
		"user with spaces":       User("devices: read"),
		"public with permission": {Kind: RulePublic, Permission: "devices:read"},
		"agent with permission":  {Kind: RuleAgent, Permission: "devices:read"},
		"unknown kind":           {Kind: 42},
		"user literal, no perm":  {Kind: RuleUser},
		"authenticated + perm":   {Kind: RuleUser, Permission: "devices:read", anyUser: true},
		"agent marked any user":  {Kind: RuleAgent, anyUser: true},
	} {
		t.Run(name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			defer func() {
				if recover() == nil {
					t.Fatalf("Handle accepted %+v", rule)
				}
				if len(ts.Routes()) != 3 || ts.VerifyRoutes() != nil {
					t.Fatal("a rejected route was half-registered")
				}
			}()
			ts.Handle(http.MethodGet, "/x", rule, ok)
		})
	}
	t.Run("no handler", func(t *testing.T) {
		ts := newTestServer(t, nil)
		defer func() {
			if recover() == nil {
				t.Fatal("Handle accepted a route without handler")
			}
		}()
		ts.Handle(http.MethodGet, "/x", Public())
	})
}

// Without an authenticator, Agent and User routes fail closed.
func TestGuardFailsClosed(t *testing.T) {
	ts := newTestServer(t, nil)
	reached := false
	h := func(c *gin.Context) { reached = true; ok(c) }
	ts.Handle(http.MethodGet, "/agent", Agent(), h)
	ts.Handle(http.MethodGet, "/user", User("devices:read"), h)
	ts.Handle(http.MethodGet, "/me", Authenticated(), h)
	for _, p := range []string{"/agent", "/user", "/me"} {
		rec := ts.do(t, http.MethodGet, p, nil, http.Header{"Authorization": {"Bearer anything"}})
		if rec.Code != http.StatusUnauthorized || decodeError(t, rec).Code != CodeUnauthenticated {
			t.Errorf("%s: %d %s, want 401 unauthenticated", p, rec.Code, rec.Body.String())
		}
	}
	if reached {
		t.Fatal("a guarded handler ran without an authenticator")
	}
}

func TestGuardUsesAuthenticator(t *testing.T) {
	var gotRules []Rule
	auth := AuthenticatorFunc(func(c *gin.Context, rule Rule) error {
		gotRules = append(gotRules, rule)
		switch c.GetHeader("Authorization") {
		case "":
			return domain.Unauthenticatedf("no bearer token")
		case "Bearer viewer":
			if rule.Permission != "" && rule.Permission != "devices:read" {
				return domain.Forbiddenf("missing %s", rule.Permission)
			}
		}
		c.Set("who", "viewer")
		return nil
	})
	ts := newTestServer(t, func(d *Deps) { d.Auth = auth })
	h := func(c *gin.Context) { c.String(http.StatusOK, c.GetString("who")) }
	ts.Handle(http.MethodGet, "/devices", User("devices:read"), h)
	ts.Handle(http.MethodPost, "/devices/:id/commands", User("devices:execute"), h)
	ts.Handle(http.MethodGet, "/me", Authenticated(), h)

	viewer := http.Header{"Authorization": {"Bearer viewer"}}
	if rec := ts.do(t, http.MethodGet, "/devices", nil, viewer); rec.Code != 200 || rec.Body.String() != "viewer" {
		t.Errorf("allowed request: %d %q", rec.Code, rec.Body.String())
	}
	if rec := ts.do(t, http.MethodGet, "/me", nil, viewer); rec.Code != 200 {
		t.Errorf("authenticated route: %d %q", rec.Code, rec.Body.String())
	}
	rec := ts.do(t, http.MethodPost, "/devices/d1/commands", nil, viewer)
	if rec.Code != http.StatusForbidden || decodeError(t, rec).Code != CodeForbidden {
		t.Errorf("missing permission: %d %s, want 403", rec.Code, rec.Body.String())
	}
	rec = ts.do(t, http.MethodGet, "/devices", nil, nil)
	if rec.Code != http.StatusUnauthorized || strings.Contains(rec.Body.String(), "bearer") {
		t.Errorf("no credential: %d %s, want a detail-free 401", rec.Code, rec.Body.String())
	}
	// The authenticator saw each route's declared rule.
	want := []string{"user(devices:read)", "user()", "user(devices:execute)", "user(devices:read)"}
	if len(gotRules) != len(want) {
		t.Fatalf("authenticator called %d times, want %d", len(gotRules), len(want))
	}
	for i, r := range gotRules {
		if r.String() != want[i] {
			t.Errorf("call %d saw rule %s, want %s", i, r, want[i])
		}
	}
	// Public routes never consult it.
	ts.do(t, http.MethodGet, "/healthz", nil, nil)
	if len(gotRules) != len(want) {
		t.Error("a public route called the authenticator")
	}
}

func TestDeriveName(t *testing.T) {
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/api/v1/orgs", "orgs.list"},
		{"GET", "/api/v1/orgs/:id", "orgs.get"},
		{"POST", "/api/v1/orgs", "orgs.create"},
		{"PATCH", "/api/v1/orgs/:id", "orgs.update"},
		{"PUT", "/api/v1/orgs/:id", "orgs.replace"},
		{"DELETE", "/api/v1/device-groups/:id", "device-groups.delete"},
		{"POST", "/api/v1/devices/:id/commands", "devices.commands.create"},
		{"GET", "/api/v1/agents/:id/ws", "agents.ws.list"},
		{"GET", "/healthz", "healthz.list"},
		{"OPTIONS", "/x", "x.options"},
	} {
		if got := DeriveName(tc.method, tc.path); got != tc.want {
			t.Errorf("DeriveName(%s %s) = %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

func TestHandleRouteKeepsMetadata(t *testing.T) {
	ts := newTestServer(t, nil)
	doc := Doc{Summary: "Create an org", Tag: "Orgs", Status: 201}
	ts.Group("/api/v1").HandleRoute(Route{Method: http.MethodPost, Path: "/orgs", Rule: User("orgs:write"),
		Name: "orgs.make", Resource: "organization", Doc: doc}, ok)
	ts.Handle(http.MethodGet, "/api/v1/orgs/:id", User("orgs:read"), ok)
	got := map[string]RouteInfo{}
	for _, r := range ts.Routes() {
		got[r.Method+" "+r.Path] = r
	}
	r := got["POST /api/v1/orgs"]
	if r.Name != "orgs.make" || r.Resource != "organization" || r.Doc.Summary != doc.Summary || r.Doc.SuccessStatus() != 201 {
		t.Fatalf("metadata lost: %+v", r)
	}
	if g := got["GET /api/v1/orgs/:id"]; g.Name != "orgs.get" || g.Doc.SuccessStatus() != 200 {
		t.Fatalf("derived name or default status: %+v", g)
	}
	for _, name := range []string{"health.live", "health.ready", "metrics.scrape"} {
		found := false
		for _, r := range ts.Routes() {
			found = found || r.Name == name
		}
		if !found {
			t.Errorf("operational route %s missing", name)
		}
	}
}

func TestHandleRouteRejectsDuplicateName(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.HandleRoute(Route{Method: http.MethodPost, Path: "/a", Rule: Public(), Name: "same"}, ok)
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), `"same"`) {
			t.Fatalf("duplicate name accepted (recover %v)", r)
		}
		if len(ts.Routes()) != 4 || ts.VerifyRoutes() != nil {
			t.Fatal("the rejected route was half-registered")
		}
	}()
	ts.HandleRoute(Route{Method: http.MethodPost, Path: "/b", Rule: Public(), Name: "same"}, ok)
}
