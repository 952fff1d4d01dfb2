package httpapi

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"
)

// RuleKind says who may call a route.
type RuleKind int

// The zero RuleKind is deliberately invalid so a forgotten rule cannot pass.
const (
	ruleUnset RuleKind = iota
	// RulePublic: anyone, no credential (health, login, enrollment).
	RulePublic
	// RuleAgent: an enrolled agent, identified by its brz_ token alone.
	RuleAgent
	// RuleUser: a signed-in user (or API key) holding Rule.Permission.
	RuleUser
)

func (k RuleKind) String() string {
	switch k {
	case RulePublic:
		return "public"
	case RuleAgent:
		return "agent"
	case RuleUser:
		return "user"
	default:
		return "unset"
	}
}

// Rule is a route's access rule, declared where the route is registered.
// Build it with Public, Agent, User or Authenticated.
type Rule struct {
	Kind RuleKind
	// Permission is the resource:action a User route requires; "" for the
	// other kinds and for Authenticated.
	Permission string
	// anyUser marks Authenticated(), so a literal or User("") with a
	// forgotten permission is rejected instead of meaning "any user".
	anyUser bool
}

// Public routes need no credential.
func Public() Rule { return Rule{Kind: RulePublic} }

// Agent routes need an agent token.
func Agent() Rule { return Rule{Kind: RuleAgent} }

// User routes need a user holding perm ("devices:read", ...).
func User(perm string) Rule { return Rule{Kind: RuleUser, Permission: perm} }

// Authenticated routes need a signed-in user but no particular permission
// (GET /me, logout).
func Authenticated() Rule { return Rule{Kind: RuleUser, anyUser: true} }

func (r Rule) String() string {
	if r.Kind == RuleUser {
		return "user(" + r.Permission + ")"
	}
	return r.Kind.String()
}

func (r Rule) validate() error {
	switch r.Kind {
	case RulePublic, RuleAgent:
		if r.Permission != "" || r.anyUser {
			return fmt.Errorf("a %s rule takes no permission", r.Kind)
		}
	case RuleUser:
		if r.anyUser && r.Permission != "" {
			return fmt.Errorf("an Authenticated rule takes no permission")
		}
		if !r.anyUser && !validPermission(r.Permission) {
			return fmt.Errorf("user rule permission %q is not resource:action (use Authenticated() for none)", r.Permission)
		}
	default:
		return fmt.Errorf("route has no access rule")
	}
	return nil
}

// validPermission accepts resource:action, each lower-case letters, digits and '-'.
func validPermission(p string) bool {
	res, act, ok := strings.Cut(p, ":")
	return ok && validPermPart(res) && validPermPart(act)
}

func validPermPart(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Route is a route with everything declared where it is registered.
type Route struct {
	Method string
	Path   string
	Rule   Rule
	// Name is the route's stable operation name: the audit action and the
	// OpenAPI operationId ("orgs.create", "auth.login"). Empty: derived from
	// the method and path (DeriveName). Names are unique per server.
	Name string
	// Resource is the audit resource type of the route ("organization");
	// use cases may refine it through the audit note.
	Resource string
	// Doc describes the route for the generated API document.
	Doc Doc
	// MaxBodyBytes raises (or lowers) the request body limit of this route
	// (0: the server's MaxBodyBytes). File uploads stream far more than
	// a JSON body may hold.
	MaxBodyBytes int64
	// Admit, when set, runs before authentication: an admission check that
	// must refuse without the credential's database work (an agent link
	// storm would otherwise pay a token lookup for every refusal). It aborts
	// the request to refuse it.
	Admit gin.HandlerFunc
}

// RouteInfo is one registered route with its rule and metadata.
type RouteInfo struct {
	Method   string
	Path     string
	Rule     Rule
	Name     string
	Resource string
	Doc      Doc
	// MaxBodyBytes is the route's own body limit (0: the server's).
	MaxBodyBytes int64
}

// Handle registers a route with its access rule. Agent and User routes run
// the authenticator before h. Like gin, it panics on programmer errors (no
// handler, invalid rule, duplicate route) so they surface at startup.
func (s *Server) Handle(method, path string, rule Rule, h ...gin.HandlerFunc) {
	s.HandleRoute(Route{Method: method, Path: path, Rule: rule}, h...)
}

// HandleRoute registers r; see Handle. It also panics on a duplicate Name.
func (s *Server) HandleRoute(r Route, h ...gin.HandlerFunc) {
	if len(h) == 0 {
		panic(fmt.Sprintf("httpapi: %s %s: no handler", r.Method, r.Path))
	}
	if err := r.Rule.validate(); err != nil {
		panic(fmt.Sprintf("httpapi: %s %s: %v", r.Method, r.Path, err))
	}
	if r.Name == "" {
		r.Name = DeriveName(r.Method, r.Path)
	}
	if prev, dup := s.names[r.Name]; dup {
		panic(fmt.Sprintf("httpapi: %s %s: route name %q already used by %s", r.Method, r.Path, r.Name, prev))
	}
	chain := h
	if r.Rule.Kind != RulePublic {
		chain = append([]gin.HandlerFunc{s.guard(r.Rule)}, h...)
	}
	if r.Admit != nil {
		chain = append([]gin.HandlerFunc{r.Admit}, chain...)
	}
	s.engine.Handle(r.Method, r.Path, chain...) // panics on a duplicate method+path
	info := RouteInfo{Method: r.Method, Path: r.Path, Rule: r.Rule, Name: r.Name, Resource: r.Resource, Doc: r.Doc, MaxBodyBytes: r.MaxBodyBytes}
	s.routes = append(s.routes, info)
	s.byKey[r.Method+" "+r.Path] = len(s.routes) - 1
	s.names[r.Name] = r.Method + " " + r.Path
}

// routeFor returns the registered route gin matched for method and its
// template (c.FullPath()).
func (s *Server) routeFor(method, fullPath string) (RouteInfo, bool) {
	i, ok := s.byKey[method+" "+fullPath]
	if !ok {
		return RouteInfo{}, false
	}
	return s.routes[i], true
}

// DeriveName makes a route's default operation name from its method and path:
// the literal segments after /api/v1 joined by dots, then a verb —
// GET /api/v1/orgs → "orgs.list", GET /api/v1/orgs/:id → "orgs.get",
// POST → "create", PUT → "replace", PATCH → "update", DELETE → "delete".
func DeriveName(method, p string) string {
	p = strings.TrimPrefix(p, "/api/v1")
	var parts []string
	lastIsParam := false
	for _, seg := range strings.Split(p, "/") {
		if seg == "" {
			continue
		}
		if seg[0] == ':' || seg[0] == '*' {
			lastIsParam = true
			continue
		}
		lastIsParam = false
		parts = append(parts, seg)
	}
	verb := strings.ToLower(method)
	switch method {
	case "GET":
		verb = "list"
		if lastIsParam {
			verb = "get"
		}
	case "POST":
		verb = "create"
	case "PUT":
		verb = "replace"
	case "PATCH":
		verb = "update"
	case "DELETE":
		verb = "delete"
	}
	return strings.Join(append(parts, verb), ".")
}

// Routes lists the registered routes sorted by path then method.
func (s *Server) Routes() []RouteInfo {
	out := append([]RouteInfo(nil), s.routes...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// VerifyRoutes walks gin's own route table and reports every route that was
// not registered through Handle (and so has no access rule). Call it at
// startup after all routes are added; tests call it too.
func (s *Server) VerifyRoutes() error {
	known := make(map[string]bool, len(s.routes))
	for _, r := range s.routes {
		known[r.Method+" "+r.Path] = true
	}
	var bad []string
	for _, r := range s.engine.Routes() {
		if !known[r.Method+" "+r.Path] {
			bad = append(bad, r.Method+" "+r.Path)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("httpapi: routes without an access rule (registered on gin directly): %s", strings.Join(bad, ", "))
	}
	return nil
}

// Group registers routes under a common path prefix.
type Group struct {
	s      *Server
	prefix string
}

// Group returns a registrar for routes under prefix (e.g. "/api/v1").
func (s *Server) Group(prefix string) *Group { return &Group{s: s, prefix: prefix} }

// Handle registers prefix+relPath; see Server.Handle.
func (g *Group) Handle(method, relPath string, rule Rule, h ...gin.HandlerFunc) {
	g.HandleRoute(Route{Method: method, Path: relPath, Rule: rule}, h...)
}

// HandleRoute registers r with r.Path taken relative to the prefix; see
// Server.HandleRoute.
func (g *Group) HandleRoute(r Route, h ...gin.HandlerFunc) {
	full := path.Join(g.prefix, r.Path)
	if strings.HasSuffix(r.Path, "/") && !strings.HasSuffix(full, "/") {
		full += "/"
	}
	r.Path = full
	g.s.HandleRoute(r, h...)
}
