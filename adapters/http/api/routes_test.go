package api_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/domain"
)

// Every route gin serves was registered with a rule; the public ones are
// exactly those that must be; every permission is in the registry.
func TestEveryRouteHasARule(t *testing.T) {
	ts := apitest.NewServer(t)
	if err := ts.VerifyRoutes(); err != nil {
		t.Fatal(err)
	}
	var public, agentRoutes []string
	for _, r := range ts.Routes() {
		switch {
		case r.Rule.Kind == httpapi.RulePublic:
			public = append(public, r.Method+" "+r.Path)
		case r.Rule.Kind == httpapi.RuleUser && r.Rule.Permission != "":
			if !domain.KnownPermission(r.Rule.Permission) {
				t.Errorf("%s %s requires %q, which is not in the registry", r.Method, r.Path, r.Rule.Permission)
			}
		case r.Rule.Kind == httpapi.RuleUser: // Authenticated
		case r.Rule.Kind == httpapi.RuleAgent:
			agentRoutes = append(agentRoutes, r.Method+" "+r.Path)
		default:
			t.Errorf("%s %s has rule %s", r.Method, r.Path, r.Rule)
		}
		if r.Name == "" {
			t.Errorf("%s %s has no name", r.Method, r.Path)
		}
	}
	sort.Strings(public)
	want := []string{
		"GET /api/v1/openapi.json", "GET /downloads/:file", "GET /healthz", "GET /metrics", "GET /readyz",
		"POST /api/v1/agents/enroll", "POST /api/v1/auth/login", "POST /api/v1/auth/refresh",
	}
	if strings.Join(public, ",") != strings.Join(want, ",") {
		t.Errorf("public routes:\n got %v\nwant %v", public, want)
	}
	if want := []string{"GET /api/v1/agents/:id/ws"}; strings.Join(agentRoutes, ",") != strings.Join(want, ",") {
		t.Errorf("agent routes:\n got %v\nwant %v", agentRoutes, want)
	}
	// Every guarded route answers 401 without a credential.
	for _, r := range ts.Routes() {
		if r.Rule.Kind == httpapi.RulePublic {
			continue
		}
		path := strings.ReplaceAll(r.Path, ":id", domain.NewID())
		rec := ts.Request(t, r.Method, path, "", nil, nil)
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("%s %s without a credential: %d", r.Method, r.Path, rec.Code)
		}
	}
}

type openAPIDoc struct {
	OpenAPI    string                               `json:"openapi"`
	Paths      map[string]map[string]map[string]any `json:"paths"`
	Components struct {
		Schemas map[string]any `json:"schemas"`
	} `json:"components"`
	Info map[string]any `json:"info"`
}

var paramRE = regexp.MustCompile(`\{([^}/]+)\}`)

// The document and the router agree both ways, and the document is valid
// enough for tools: 3.1.0, unique operation ids, resolvable references,
// security and permission on every guarded operation.
func TestOpenAPIMatchesRouter(t *testing.T) {
	ts := apitest.NewServer(t)
	rec := ts.Request(t, http.MethodGet, api.Prefix+"/openapi.json", "", nil, nil)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("openapi.json: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	var doc openAPIDoc
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if doc.OpenAPI != "3.1.0" || doc.Info["title"] == nil || doc.Info["version"] == nil {
		t.Fatalf("openapi %q info %v", doc.OpenAPI, doc.Info)
	}

	rules := map[string]httpapi.Rule{}
	for _, r := range ts.Routes() {
		rules[r.Method+" "+r.Path] = r.Rule
	}
	// Router → document (gin's own table, not just the registry).
	inDoc := map[string]map[string]any{}
	for p, ops := range doc.Paths {
		ginPath := paramRE.ReplaceAllString(p, ":$1")
		for method, op := range ops {
			inDoc[strings.ToUpper(method)+" "+ginPath] = op
		}
	}
	served := map[string]bool{}
	for _, r := range ts.Engine().Routes() {
		key := r.Method + " " + r.Path
		served[key] = true
		if inDoc[key] == nil {
			t.Errorf("route %s is not in the OpenAPI document", key)
		}
	}
	// Document → router.
	ids := map[string]string{}
	for key, op := range inDoc {
		if !served[key] {
			t.Errorf("the document has %s, which the router does not serve", key)
			continue
		}
		id, _ := op["operationId"].(string)
		if id == "" || ids[id] != "" {
			t.Errorf("%s: operationId %q missing or also used by %s", key, id, ids[id])
		}
		ids[id] = key
		rule := rules[key]
		sec, hasSec := op["security"].([]any)
		if rule.Kind == httpapi.RulePublic {
			if !hasSec || len(sec) != 0 || op["x-breeze-permission"] != nil {
				t.Errorf("public %s: security %v permission %v", key, op["security"], op["x-breeze-permission"])
			}
			continue
		}
		if len(sec) != 1 || sec[0].(map[string]any)["bearerAuth"] == nil {
			t.Errorf("%s lacks bearer security: %v", key, op["security"])
		}
		if rule.Permission != "" && op["x-breeze-permission"] != rule.Permission {
			t.Errorf("%s: x-breeze-permission %v, rule %s", key, op["x-breeze-permission"], rule)
		}
		if _, ok := op["responses"].(map[string]any)["401"]; !ok {
			t.Errorf("%s does not document 401", key)
		}
	}
	// Every $ref resolves.
	for _, m := range regexp.MustCompile(`"\$ref":"#/components/schemas/([^"]+)"`).FindAllStringSubmatch(rec.Body.String(), -1) {
		if doc.Components.Schemas[m[1]] == nil {
			t.Errorf("dangling $ref to %s", m[1])
		}
	}
	// Request schemas refuse unknown fields, and secrets stay out of user schemas.
	if s, _ := doc.Components.Schemas["CreateOrgRequest"].(map[string]any); s["additionalProperties"] != false {
		t.Errorf("CreateOrgRequest: %v", s)
	}
	user, _ := doc.Components.Schemas["User"].(map[string]any)
	props, _ := user["properties"].(map[string]any)
	if props["email"] == nil || props["passwordHash"] != nil || props["totpSecret"] != nil {
		t.Errorf("User schema: %v", props)
	}
	if op := inDoc["POST /api/v1/orgs"]; op["x-breeze-permission"] != "orgs:write" || op["requestBody"] == nil {
		t.Errorf("POST /orgs: %v", op)
	}
}
