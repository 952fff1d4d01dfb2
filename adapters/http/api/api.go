// Package api is Breeze's REST API on the HTTP edge (adapters/http):
// sign-in and sessions, the caller's own identity, tenant CRUD (partners,
// organizations, sites, device groups), users, roles, role assignments, API
// keys, the audit log, enrollment keys, agent enrollment and downloads,
// devices (list, detail, move, decommission, metrics, inventory), the
// permission registry and the OpenAPI document of every route. The agents'
// WebSocket link is adapters/http/agentws.
//
// Handlers translate JSON to use-case calls and back; they never serialise
// domain structs (each resource has its DTOs in its own file). They call the
// services of core/app, never the store: the services scope every read and
// write to the caller (an id outside the scope answers 404 by construction),
// check versions and name the audit resource. internal/archtest enforces it;
// crud.go holds the generic list/create/get/update/delete handlers.
//
// Wiring (internal/server): build the edge with NewServer, or, to keep
// building it yourself, set httpapi.Deps.Auth = AuthenticatorWithAgents(d.Auth, d.Agents) and
// httpapi.Deps.Audit = AuditSink(d.Store) before httpapi.New, then call
// Register(srv, d).
package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/access"
	"github.com/breeze-rmm/breeze/core/app/agents"
	"github.com/breeze-rmm/breeze/core/app/alerts"
	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/app/auth"
	"github.com/breeze-rmm/breeze/core/app/commands"
	"github.com/breeze-rmm/breeze/core/app/discovery"
	"github.com/breeze-rmm/breeze/core/app/discovery/scans"
	"github.com/breeze-rmm/breeze/core/app/maintenance"
	"github.com/breeze-rmm/breeze/core/app/schedules"
	"github.com/breeze-rmm/breeze/core/app/scripts"
	"github.com/breeze-rmm/breeze/core/app/tenancy"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Prefix is where the API lives.
const Prefix = "/api/v1"

// DefaultRefreshTTL matches auth's default refresh-token life.
const DefaultRefreshTTL = 30 * 24 * time.Hour

// Deps are what the API needs.
type Deps struct {
	// Store is for wiring only: the audit sink appends to it and the agent
	// accessors come from it. Handlers never use it (internal/archtest).
	Store  ports.Store
	Auth   *auth.Service
	Access *access.Service
	// Tenancy serves partners, organizations, sites and device groups.
	Tenancy *tenancy.Service
	// AuditLog serves the audit-log search.
	AuditLog *audit.Log
	// Clock tells the time (expiresIn); nil: the system clock.
	Clock ports.Clock
	// RefreshTTL is the refresh cookie's Max-Age; keep it equal to the auth
	// service's RefreshTTL. Zero: DefaultRefreshTTL.
	RefreshTTL time.Duration
	// SecureCookies marks the refresh cookie Secure: set it whenever clients
	// reach Breeze over HTTPS (directly or through the proxy).
	SecureCookies bool

	// Agents serves enrollment keys, enrollment and the device routes, and
	// authenticates agents on Agent routes. Nil: those routes are absent.
	Agents *agents.Service
	// PublicURL is how agents reach this server (no trailing slash), for
	// the install command shown with a new enrollment key.
	PublicURL string
	// DownloadDir holds the agent binaries served at /downloads/:file;
	// empty: every download is 404.
	DownloadDir string

	// Commands and Scripts serve remote work (commands, the script library
	// and runs). Nil: those routes are absent.
	Commands *commands.Service
	Scripts  *scripts.Service
	// Alerts serves alert rules and alerts. Nil: those routes are absent.
	Alerts *alerts.Service
	// Maintenance serves maintenance windows. Nil: those routes are absent.
	Maintenance *maintenance.Service
	// Schedules serves scheduled scripts and actions. Nil: those routes are absent.
	Schedules *schedules.Service
	// DiscoveryScans runs and serves discovery scans. Nil: those routes are absent.
	DiscoveryScans *scans.Service
	// Discovery serves discovery profiles, settings and assets. Nil: those routes are absent.
	Discovery *discovery.Service
}

func (d Deps) withDefaults() (Deps, error) {
	if d.Store == nil || d.Auth == nil || d.Access == nil || d.Tenancy == nil || d.AuditLog == nil {
		return d, errors.New("api: Deps.Store, Deps.Auth, Deps.Access, Deps.Tenancy and Deps.AuditLog are required")
	}
	if d.RefreshTTL < 0 {
		return d, errors.New("api: Deps.RefreshTTL is negative")
	}
	if d.RefreshTTL == 0 {
		d.RefreshTTL = DefaultRefreshTTL
	}
	if d.Clock == nil {
		d.Clock = ports.ClockFunc(time.Now)
	}
	return d, nil
}

// NewServer builds the HTTP edge with the API's authenticator and audit sink
// (overriding h.Auth and h.Audit) and registers the API routes. More routes
// may be added before serving; call VerifyRoutes after the last one.
func NewServer(h httpapi.Deps, d Deps) (*httpapi.Server, error) {
	d, err := d.withDefaults()
	if err != nil {
		return nil, err
	}
	var agentAuth AgentAuthenticator
	if d.Agents != nil {
		agentAuth = d.Agents
	}
	h.Auth = AuthenticatorWithAgents(d.Auth, agentAuth)
	h.Audit = AuditSink(d.Store)
	s, err := httpapi.New(h)
	if err != nil {
		return nil, err
	}
	Register(s, d)
	return s, nil
}

// AuditSink appends the edge's audit rows to the store's hash-chained log.
func AuditSink(st ports.Store) httpapi.AuditSink {
	return st.Audit().Append
}

// Register adds the API routes to s. Like httpapi.Server.Handle it panics on
// programmer errors (missing deps, duplicate routes) so they surface at
// startup. The server must have been built with Authenticator and AuditSink
// (NewServer does it).
func Register(s *httpapi.Server, d Deps) {
	d, err := d.withDefaults()
	if err != nil {
		panic(err.Error())
	}
	h := &handlers{d: d}
	r := &registrar{g: s.Group(Prefix)}
	h.authRoutes(r)
	h.meRoutes(r)
	h.partnerRoutes(r)
	h.orgRoutes(r)
	h.siteRoutes(r)
	h.groupRoutes(r)
	h.userRoutes(r)
	h.roleRoutes(r)
	h.assignmentRoutes(r)
	h.apiKeyRoutes(r)
	h.auditRoutes(r)
	if d.Agents != nil {
		h.enrollKeyRoutes(r)
		h.agentRoutes(r)
		h.deviceRoutes(r)
		h.downloadRoutes(s)
	}
	if d.Commands != nil {
		h.commandRoutes(r)
	}
	if d.Scripts != nil {
		h.scriptRoutes(r)
	}
	if d.Alerts != nil {
		h.alertRoutes(r)
	}
	if d.Maintenance != nil {
		h.maintenanceRoutes(r)
	}
	if d.Schedules != nil {
		h.scheduleRoutes(r)
	}
	if d.DiscoveryScans != nil {
		h.discoveryScanRoutes(r)
	}
	if d.Discovery != nil {
		h.discoveryRoutes(r)
	}
	registerOpenAPI(s, r)
}

// handlers hold the API's dependencies; each resource file adds its methods.
type handlers struct{ d Deps }

// handlerFunc is a handler that returns its error for WriteError to answer.
type handlerFunc func(c *gin.Context) error

// registrar registers routes under Prefix with their rule, name, audit
// resource type and documentation, all in one place.
type registrar struct{ g *httpapi.Group }

func (r *registrar) add(method, path string, rule httpapi.Rule, name, resource string, doc httpapi.Doc, fn handlerFunc) {
	r.g.HandleRoute(httpapi.Route{Method: method, Path: path, Rule: rule, Name: name, Resource: resource, Doc: doc},
		func(c *gin.Context) {
			if err := fn(c); err != nil {
				httpapi.WriteError(c, err)
			}
		})
}

// principal returns the caller the guard identified. A guarded route always
// has one; its absence is a wiring bug, answered 500.
func principal(c *gin.Context) (*domain.Principal, error) {
	if p := PrincipalFrom(c); p != nil {
		return p, nil
	}
	return nil, errors.New("api: no principal on a guarded route (is the authenticator wired?)")
}

// created answers 201 with the new resource and its Location.
func created(c *gin.Context, path, id string, body any) {
	c.Header("Location", fmt.Sprintf("%s%s/%s", Prefix, path, id))
	c.JSON(http.StatusCreated, body)
}

// noStore keeps secrets (tokens, keys) out of every cache (RFC 6749 §5.1).
func noStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Header("Pragma", "no-cache")
}
