// Package pluginsapi is the plugin management REST API (/api/v1/plugins)
// and the agents' archive download, over core/app/plugins.
//
// Every route needs plugins:manage. Installing, removing, enabling and
// disabling need it GLOBALLY (the service refuses others with 403); an
// org's settings need it over the org (404 otherwise, like any tenant
// resource). The edge audits every mutating request with resource
// "plugin"; the service adds the plugin, the org and, for a refused
// install, the reason.
//
// Wiring (internal/server), after api.Register on the same server:
//
//	pluginsapi.Register(srv, pluginsapi.Deps{Plugins: pluginSvc})
package pluginsapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/adapters/http/api"
	catalogs "github.com/breeze-rmm/breeze/core/app/plugincatalog"
	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/core/domain"
)

// MaxArchiveBytes bounds an uploaded archive.
const MaxArchiveBytes = plugins.DefaultMaxArchive

const resPlugin = "plugin"

// Deps are what the routes need.
type Deps struct {
	Plugins *plugins.Service
	// Catalogs adds the catalog, browse and trusted-key routes (nil: none).
	Catalogs *catalogs.Service
}

// Register adds the plugin routes under /api/v1. It panics on wiring
// mistakes, like httpapi.Server.Handle.
func Register(s *httpapi.Server, d Deps) {
	if d.Plugins == nil {
		panic("pluginsapi: Deps.Plugins is required")
	}
	h := &handlers{svc: d.Plugins}
	g := s.Group(api.Prefix)
	manage := httpapi.User(string(domain.PermPluginsManage))
	const tag = "Plugins"
	add := func(r httpapi.Route, fn func(c *gin.Context) error) {
		r.Resource = resPlugin
		g.HandleRoute(r, func(c *gin.Context) {
			if err := fn(c); err != nil {
				httpapi.WriteError(c, err)
			}
		})
	}
	add(httpapi.Route{Method: http.MethodGet, Path: "/plugins", Rule: manage, Name: "plugins.list", Doc: httpapi.Doc{
		Summary: "Installed plugins with their state", Tag: tag, Response: Plugin{}, List: true,
	}}, h.list)
	add(httpapi.Route{Method: http.MethodPost, Path: "/plugins", Rule: manage, Name: "plugins.install", MaxBodyBytes: MaxArchiveBytes,
		Doc: httpapi.Doc{
			Summary: "Install or upgrade a plugin", Tag: tag, Response: Plugin{}, Status: http.StatusCreated,
			Description: "The raw body is a signed archive made by `breeze plugin pack`. Needs a global plugins:manage grant. " +
				"Refused (and audited with the reason): a bad or unknown signature, unsigned (unless the development switch), " +
				"a tampered executable, unsafe paths, a downgrade (400, unless ?allowDowngrade=true, which keeps the org settings " +
				"and is audited with downgradedFrom) or the installed version again (409). `warnings` lists checks skipped " +
				"(a minHostVersion on a development build).",
			Query: []httpapi.Param{{Name: "allowDowngrade", Type: "boolean", Description: "true installs a version older than the installed one, keeping org settings (audited)."}},
		}}, h.install)
	add(httpapi.Route{Method: http.MethodGet, Path: "/plugins/:id", Rule: manage, Name: "plugins.get", Doc: httpapi.Doc{
		Summary: "One plugin", Tag: tag, Response: Plugin{},
	}}, h.get)
	add(httpapi.Route{Method: http.MethodDelete, Path: "/plugins/:id", Rule: manage, Name: "plugins.remove", Doc: httpapi.Doc{
		Summary: "Stop and uninstall a plugin (its org settings go too)", Tag: tag, Status: http.StatusNoContent,
	}}, h.remove)
	add(httpapi.Route{Method: http.MethodPost, Path: "/plugins/:id/enable", Rule: manage, Name: "plugins.enable", Doc: httpapi.Doc{
		Summary: "Enable a plugin globally (server-side plugins start)", Tag: tag, Response: Plugin{},
	}}, h.enable)
	add(httpapi.Route{Method: http.MethodPost, Path: "/plugins/:id/disable", Rule: manage, Name: "plugins.disable", Doc: httpapi.Doc{
		Summary: "Disable a plugin globally (server-side plugins stop, agents drop it)", Tag: tag, Response: Plugin{},
	}}, h.disable)
	add(httpapi.Route{Method: http.MethodGet, Path: "/plugins/:id/orgs", Rule: manage, Name: "plugins.orgs.list", Doc: httpapi.Doc{
		Summary: "The orgs in your scope that configured the plugin (secrets masked)", Tag: tag, Response: OrgSettings{}, List: true,
	}}, h.listOrgs)
	add(httpapi.Route{Method: http.MethodGet, Path: "/plugins/:id/orgs/:orgId", Rule: manage, Name: "plugins.orgs.get", Doc: httpapi.Doc{
		Summary: "One org's enablement and settings (secrets masked)", Tag: tag, Response: OrgSettings{},
	}}, h.getOrg)
	add(httpapi.Route{Method: http.MethodPut, Path: "/plugins/:id/orgs/:orgId", Rule: manage, Name: "plugins.orgs.put", Doc: httpapi.Doc{
		Summary: "Enable or disable a plugin for an org and set its settings", Tag: tag,
		Description: "Settings are validated against the plugin's schema; secrets are encrypted at rest and shown as \"********\"; " +
			"sending \"********\" back keeps the stored secret.",
		Request: OrgSettingsRequest{}, Response: OrgSettings{},
	}}, h.putOrg)
	add(httpapi.Route{Method: http.MethodPost, Path: "/plugins/:id/test", Rule: manage, Name: "plugins.test", Doc: httpapi.Doc{
		Summary: "Test an alert channel with an org's settings", Tag: tag, Request: TestRequest{}, Response: TestResult{},
	}}, h.test)
	if d.Catalogs != nil {
		registerCatalogs(add, manage, d.Catalogs)
	}
	add(httpapi.Route{Method: http.MethodGet, Path: "/agents/:id/plugins/:pluginId/archive", Rule: httpapi.Agent(),
		Name: "agents.plugins.archive", Doc: httpapi.Doc{
			Summary: "Download a plugin archive offered to this agent", Tag: "Agents", ContentType: "application/gzip",
			Description: "Only plugins enabled for the device's org; the body's SHA-256 is in X-Content-SHA256.",
		}}, h.archive)
}

type handlers struct{ svc *plugins.Service }

// scope is the caller's plugins:manage scope.
func scope(c *gin.Context) (domain.Scope, *domain.Principal, error) {
	p := api.PrincipalFrom(c)
	if p == nil {
		return domain.Scope{}, nil, errors.New("pluginsapi: no principal on a guarded route (is the authenticator wired?)")
	}
	return p.ScopeFor(domain.PermPluginsManage), p, nil
}

// actor names the installer in the plugin row.
func actor(p *domain.Principal) string {
	if p.Kind == domain.PrincipalAPIKey {
		return "api_key:" + p.APIKeyID
	}
	return "user:" + p.UserID
}

// Plugin is an installed plugin.
type Plugin struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Version     string `json:"version"`
	Kind        string `json:"kind"`
	Description string `json:"description"`
	Side        string `json:"side"`
	SignedBy    string `json:"signedBy"`
	// Unsigned: no signature was checked (BREEZE_PLUGINS_ALLOW_UNSIGNED or
	// plugin dev mode); Source is "dev" when dev mode loaded it, else
	// "archive".
	Unsigned       bool            `json:"unsigned"`
	Source         string          `json:"source"`
	Enabled        bool            `json:"enabled"`
	State          string          `json:"state"`
	LastError      string          `json:"lastError"`
	Restarts       int             `json:"restarts"`
	SettingsSchema json.RawMessage `json:"settingsSchema"`
	InstalledAt    time.Time       `json:"installedAt"`
	SHA256         string          `json:"sha256"`
	// Warnings are checks the install skipped (only in the install answer).
	Warnings []string `json:"warnings,omitempty"`
}

func pluginOut(p *plugins.Plugin) Plugin {
	schema := json.RawMessage(p.SettingsSchema)
	if len(schema) == 0 {
		schema = json.RawMessage("null")
	}
	return Plugin{
		ID: p.ID, Name: p.Name, Version: p.Version, Kind: p.Kind, Description: p.Description, Side: p.Side,
		SignedBy: p.SignedBy, Unsigned: p.Unsigned, Source: p.Source, Enabled: p.Enabled, State: p.State, LastError: p.LastError, Restarts: p.Restarts,
		SettingsSchema: schema, InstalledAt: p.InstalledAt, SHA256: p.SHA256, Warnings: p.Warnings,
	}
}

// OrgSettings is one org's enablement of a plugin.
type OrgSettings struct {
	OrgID     string          `json:"orgId"`
	Enabled   bool            `json:"enabled"`
	Settings  json.RawMessage `json:"settings"`
	UpdatedAt time.Time       `json:"updatedAt,omitzero"`
}

func orgOut(o *plugins.OrgSettings) OrgSettings {
	return OrgSettings{OrgID: o.OrgID, Enabled: o.Enabled, Settings: o.Settings, UpdatedAt: o.UpdatedAt}
}

// OrgSettingsRequest sets an org's enablement and settings.
type OrgSettingsRequest struct {
	Enabled  bool            `json:"enabled"`
	Settings json.RawMessage `json:"settings"`
}

// TestRequest names the org whose settings to test.
type TestRequest struct {
	OrgID string `json:"orgId"`
}

// TestResult is the channel's answer.
type TestResult struct {
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}
