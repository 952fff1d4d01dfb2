package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/domain"
)

func TestBearerToken(t *testing.T) {
	for _, tc := range []struct {
		name    string
		headers []string
		want    string
	}{
		{"plain", []string{"Bearer abc.def.ghi"}, "abc.def.ghi"},
		{"scheme case", []string{"bearer bzk_x"}, "bzk_x"},
		{"extra spaces", []string{"Bearer   tok  "}, "tok"},
		{"none", nil, ""},
		{"empty token", []string{"Bearer "}, ""},
		{"no token", []string{"Bearer"}, ""},
		{"basic", []string{"Basic dXNlcjpwYXNz"}, ""},
		{"two headers", []string{"Bearer a", "Bearer b"}, ""},
		{"space inside", []string{"Bearer a b"}, ""},
		{"too long", []string{"Bearer " + strings.Repeat("a", maxBearerBytes+1)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for _, h := range tc.headers {
				r.Header.Add("Authorization", h)
			}
			got, err := bearerToken(r)
			if tc.want == "" {
				if err == nil || !isUnauthenticated(err) {
					t.Fatalf("accepted %q as %q (err %v)", tc.headers, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func isUnauthenticated(err error) bool { return errors.Is(err, domain.ErrUnauthenticated) }

func TestParseList(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	cursor := domain.EncodeCursor(domain.NewID())
	for _, tc := range []struct {
		query string
		ok    bool
		limit int
	}{
		{"", true, domain.DefaultPageSize},
		{"limit=1", true, 1},
		{"limit=500&orgId=" + domain.NewID(), true, 500},
		{"cursor=" + cursor, true, domain.DefaultPageSize},
		{"limit=0", false, 0},
		{"limit=501", false, 0},
		{"limit=-1", false, 0},
		{"limit=abc", false, 0},
		{"limit=1&limit=2", false, 0},
		{"cursor=not-a-cursor", false, 0},
		{"orgid=x", false, 0},
		{"bogus=1", false, 0},
		{"%zz", false, 0},
	} {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest(http.MethodGet, "/x?"+tc.query, nil)
		q, err := parseList(c, qOrgID)
		if tc.ok != (err == nil) {
			t.Errorf("%q: err %v, want ok=%v", tc.query, err, tc.ok)
			continue
		}
		if err != nil && !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("%q: %v is not ErrInvalid", tc.query, err)
		}
		if tc.ok && q.page.Limit != tc.limit {
			t.Errorf("%q: limit %d, want %d", tc.query, q.page.Limit, tc.limit)
		}
	}
}

func TestListQueryValues(t *testing.T) {
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(http.MethodGet, "/x?orgId=nope&from=yesterday&q="+strings.Repeat("x", maxSearchLen+1), nil)
	q, err := parseList(c, qOrgID, qFrom, qSearch)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.id(qOrgID); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("malformed id filter: %v", err)
	}
	if _, err := q.time(qFrom); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("malformed time: %v", err)
	}
	if _, err := q.text(qSearch); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("overlong search: %v", err)
	}
	c.Request = httptest.NewRequest(http.MethodGet, "/x?from=2024-05-01T12:00:00%2B02:00", nil)
	q, _ = parseList(c, qFrom)
	tm, err := q.time(qFrom)
	if err != nil || tm.Hour() != 10 || tm.Location().String() != "UTC" {
		t.Errorf("time = %v, %v; want 10:00 UTC", tm, err)
	}
}

func TestOpenAPIPath(t *testing.T) {
	for in, want := range map[string]string{
		"/api/v1/orgs":                 "/api/v1/orgs",
		"/api/v1/orgs/:id":             "/api/v1/orgs/{id}",
		"/api/v1/devices/:id/commands": "/api/v1/devices/{id}/commands",
		"/files/*path":                 "/files/{path}",
	} {
		if got := openAPIPath(in); got != want {
			t.Errorf("openAPIPath(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestSchemas(t *testing.T) {
	g := newSchemas()
	ref := g.ref(reflect.TypeFor[CreatedAPIKey](), false)
	if ref["$ref"] != "#/components/schemas/CreatedAPIKey" {
		t.Fatalf("ref = %v", ref)
	}
	s := g.defs["CreatedAPIKey"]
	props := s["properties"].(map[string]any)
	// The embedded APIKey is flattened, like encoding/json does.
	for _, name := range []string{"id", "key", "prefix", "permissions", "expiresAt"} {
		if _, ok := props[name]; !ok {
			t.Errorf("CreatedAPIKey lacks %s: %v", name, props)
		}
	}
	req := s["required"].([]string)
	if !contains(req, "key") || !contains(req, "id") || contains(req, "expiresAt") || contains(req, "orgId") {
		t.Errorf("required = %v", req)
	}
	if props["expiresAt"].(map[string]any)["format"] != "date-time" {
		t.Errorf("time schema: %v", props["expiresAt"])
	}
	if p := props["permissions"].(map[string]any); p["type"] != "array" {
		t.Errorf("permissions: %v", p)
	}
	// Request bodies refuse unknown properties, as BindJSON does.
	g.ref(reflect.TypeFor[UpdateUserRequest](), true)
	u := g.defs["UpdateUserRequest"]
	if u["additionalProperties"] != false {
		t.Errorf("request schema allows unknown properties: %v", u)
	}
	st := u["properties"].(map[string]any)["status"].(map[string]any)
	if st["type"] != "string" || !reflect.DeepEqual(st["enum"], []string{"active", "disabled"}) {
		t.Errorf("status: %v", st)
	}
	if name := schemaName(reflect.TypeFor[Page[User]]()); name != "PageUser" {
		t.Errorf("generic name = %q", name)
	}
}

// The document of a hand-made registry: rules, permissions, security.
func TestOpenAPIOperations(t *testing.T) {
	doc := OpenAPI([]httpapi.RouteInfo{
		{Method: "GET", Path: "/api/v1/orgs/:id", Rule: httpapi.User("orgs:read"), Name: "orgs.get",
			Doc: httpapi.Doc{Summary: "Get", Tag: "Orgs", Response: Org{}}},
		{Method: "GET", Path: "/api/v1/orgs", Rule: httpapi.User("orgs:read"), Name: "orgs.list",
			Doc: httpapi.Doc{Response: Org{}, List: true, Query: listParams(pSearch)}},
		{Method: "POST", Path: "/api/v1/auth/login", Rule: httpapi.Public(), Name: "auth.login",
			Doc: httpapi.Doc{Request: LoginRequest{}, Response: LoginResponse{}}},
		{Method: "GET", Path: "/api/v1/me", Rule: httpapi.Authenticated(), Name: "me.get"},
	})
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if d.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q", d.OpenAPI)
	}
	get := d.Paths["/api/v1/orgs/{id}"]["get"]
	if get["x-breeze-permission"] != "orgs:read" || get["operationId"] != "orgs.get" {
		t.Errorf("get op: %v", get)
	}
	if sec, _ := get["security"].([]any); len(sec) != 1 {
		t.Errorf("protected op security: %v", get["security"])
	}
	login := d.Paths["/api/v1/auth/login"]["post"]
	if sec, ok := login["security"].([]any); !ok || len(sec) != 0 || login["x-breeze-permission"] != nil {
		t.Errorf("public op: %v", login)
	}
	if me := d.Paths["/api/v1/me"]["get"]; me["x-breeze-rule"] != "authenticated" || me["x-breeze-permission"] != nil {
		t.Errorf("authenticated op: %v", me)
	}
	if !strings.Contains(string(raw), `"#/components/schemas/OrgPage"`) {
		t.Error("list op does not use the OrgPage schema")
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
