package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
)

// OpenAPIVersion is the version of the OpenAPI specification the document follows.
const OpenAPIVersion = "3.1.0"

const bearerScheme = "bearerAuth"

// registerOpenAPI serves the document of every route registered on s. It is
// built on first request, so routes other packages add after Register are in
// it, then kept.
func registerOpenAPI(s *httpapi.Server, r *registrar) {
	var (
		once sync.Once
		doc  []byte
		err  error
	)
	r.add(http.MethodGet, "/openapi.json", httpapi.Public(), "openapi.get", "", httpapi.Doc{
		Summary: "This API's OpenAPI document", Tag: "Operations", Response: map[string]any{},
	}, func(c *gin.Context) error {
		once.Do(func() { doc, err = json.Marshal(OpenAPI(s.Routes())) })
		if err != nil {
			return fmt.Errorf("build the OpenAPI document: %w", err)
		}
		c.Data(http.StatusOK, "application/json", doc)
		return nil
	})
}

// OpenAPI builds the OpenAPI 3.1 document of routes from their rules and
// docs: every route is an operation whose operationId is the route's name;
// non-public ones require the bearer scheme and carry their permission as
// x-breeze-permission.
func OpenAPI(routes []httpapi.RouteInfo) map[string]any {
	g := newSchemas()
	errRef := g.ref(reflect.TypeFor[ErrorResponse](), false)
	paths := map[string]map[string]any{}
	tags := map[string]bool{}
	for _, rt := range routes {
		p := openAPIPath(rt.Path)
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		paths[p][strings.ToLower(rt.Method)] = operation(g, rt, errRef)
		if rt.Doc.Tag != "" {
			tags[rt.Doc.Tag] = true
		}
	}
	var tagList []any
	for _, t := range sortedKeys(tags) {
		tagList = append(tagList, map[string]any{"name": t})
	}
	return map[string]any{
		"openapi": OpenAPIVersion,
		"info": map[string]any{
			"title":       "Breeze API",
			"version":     "v1",
			"description": "Breeze RMM server API. Errors are {\"error\":{\"code\":\"...\",\"message\":\"...\"}}; lists are {\"items\":[...],\"nextCursor\":\"...\"}.",
		},
		"tags":  tagList,
		"paths": paths,
		"components": map[string]any{
			"schemas": g.defs,
			"securitySchemes": map[string]any{
				bearerScheme: map[string]any{
					"type": "http", "scheme": "bearer",
					"description": "An access token from /api/v1/auth/login or an API key (bzk_...).",
				},
			},
		},
	}
}

// ErrorResponse is every error answer: {"error":{"code":"...","message":"..."}}.
type ErrorResponse struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the error's machine code and human message.
type ErrorDetail struct {
	Code    string `json:"code" doc:"Stable machine-readable code: invalid, unauthenticated, forbidden, not_found, conflict, rate_limited, totp_required, totp_enrollment_required, ..."`
	Message string `json:"message"`
}

func operation(g *schemas, rt httpapi.RouteInfo, errRef map[string]any) map[string]any {
	d := rt.Doc
	op := map[string]any{"operationId": rt.Name}
	if d.Summary != "" {
		op["summary"] = d.Summary
	}
	if d.Description != "" {
		op["description"] = d.Description
	}
	if d.Tag != "" {
		op["tags"] = []string{d.Tag}
	}
	var params []any
	for _, name := range pathParams(rt.Path) {
		params = append(params, map[string]any{
			"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "string"},
		})
	}
	for _, q := range d.Query {
		s := map[string]any{"type": "string"}
		if q.Type != "" {
			s["type"] = q.Type
		}
		if q.Format != "" {
			s["format"] = q.Format
		}
		if len(q.Enum) > 0 {
			s["enum"] = q.Enum
		}
		pm := map[string]any{"name": q.Name, "in": "query", "schema": s}
		if q.Description != "" {
			pm["description"] = q.Description
		}
		params = append(params, pm)
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if d.Request != nil {
		op["requestBody"] = map[string]any{
			"required": true,
			"content":  map[string]any{"application/json": map[string]any{"schema": g.ref(reflect.TypeOf(d.Request), true)}},
		}
	}

	errResp := func(desc string) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": errRef}}}
	}
	responses := map[string]any{
		strconv.Itoa(d.SuccessStatus()): successResponse(g, d),
		"default":                       errResp("Error"),
	}
	if d.Request != nil || len(d.Query) > 0 {
		responses["400"] = errResp("Invalid input")
	}
	if rt.Rule.Kind != httpapi.RulePublic {
		responses["401"] = errResp("Missing or invalid credentials")
		responses["403"] = errResp("Missing permission, or a second factor must be enrolled first")
	}
	if len(pathParams(rt.Path)) > 0 {
		responses["404"] = errResp("Not found, or outside your scope")
	}
	if rt.Method == http.MethodPatch {
		responses["409"] = errResp("Stale version or a conflicting value")
	}
	op["responses"] = responses

	op["x-breeze-rule"] = ruleName(rt.Rule)
	if rt.Rule.Kind == httpapi.RulePublic {
		op["security"] = []any{} // explicitly none
	} else {
		op["security"] = []any{map[string]any{bearerScheme: []any{}}}
	}
	if rt.Rule.Permission != "" {
		op["x-breeze-permission"] = rt.Rule.Permission
	}
	return op
}

func successResponse(g *schemas, d httpapi.Doc) map[string]any {
	desc := http.StatusText(d.SuccessStatus())
	if desc == "" {
		desc = "Success"
	}
	out := map[string]any{"description": desc}
	switch {
	case d.ContentType != "":
		out["content"] = map[string]any{d.ContentType: map[string]any{"schema": map[string]any{"type": "string"}}}
	case d.Response != nil:
		schema := g.of(reflect.TypeOf(d.Response))
		if d.List {
			item := schemaName(reflect.TypeOf(d.Response))
			schema = g.named(item+"Page", map[string]any{
				"type": "object",
				"properties": map[string]any{
					"items":      map[string]any{"type": "array", "items": schema},
					"nextCursor": map[string]any{"type": "string", "description": "Pass as ?cursor= for the next page; empty on the last page."},
				},
				"required": []string{"items", "nextCursor"},
			})
		}
		out["content"] = map[string]any{"application/json": map[string]any{"schema": schema}}
	}
	return out
}

func ruleName(r httpapi.Rule) string {
	if r.Kind == httpapi.RuleUser && r.Permission == "" {
		return "authenticated"
	}
	return r.Kind.String()
}

// openAPIPath turns gin's /orgs/:id into OpenAPI's /orgs/{id}.
func openAPIPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if s != "" && (s[0] == ':' || s[0] == '*') {
			segs[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(segs, "/")
}

func pathParams(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" && (s[0] == ':' || s[0] == '*') {
			out = append(out, s[1:])
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
