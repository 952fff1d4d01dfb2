package pluginsapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/adapters/http/api"
	catalogs "github.com/breeze-rmm/breeze/core/app/plugincatalog"
	"github.com/breeze-rmm/breeze/ports"
)

// registerCatalogs adds the catalog, browse and trusted-key routes (the
// same plugins:manage rule; the service wants it globally).
func registerCatalogs(add func(httpapi.Route, func(*gin.Context) error), rule httpapi.Rule, svc *catalogs.Service) {
	h := &catalogHandlers{svc: svc}
	const tag = "Plugin catalogs"
	add(httpapi.Route{Method: http.MethodGet, Path: "/plugin-catalogs", Rule: rule, Name: "plugins.catalogs.list", Doc: httpapi.Doc{
		Summary: "Subscribed plugin catalogs and their last sync", Tag: tag, Response: Catalog{}, List: true,
	}}, h.list)
	add(httpapi.Route{Method: http.MethodPost, Path: "/plugin-catalogs", Rule: rule, Name: "plugins.catalogs.add", Doc: httpapi.Doc{
		Summary: "Subscribe to a catalog (synced at once)", Tag: tag, Request: CatalogRequest{}, Response: Catalog{}, Status: http.StatusCreated,
		Description: "url is the signed index (index.json; its signature is url + \".sig\"), https only; publicKey the catalog's ed25519 key (PEM or base64). " +
			"A first sync that fails keeps the subscription and answers its syncError. Needs a global plugins:manage grant.",
	}}, h.add)
	add(httpapi.Route{Method: http.MethodDelete, Path: "/plugin-catalogs/:id", Rule: rule, Name: "plugins.catalogs.remove", Doc: httpapi.Doc{
		Summary: "Unsubscribe (installed plugins stay)", Tag: tag, Status: http.StatusNoContent,
	}}, h.remove)
	add(httpapi.Route{Method: http.MethodPost, Path: "/plugin-catalogs/:id/sync", Rule: rule, Name: "plugins.catalogs.sync", Doc: httpapi.Doc{
		Summary: "Sync a catalog now", Tag: tag, Response: Catalog{},
		Description: "A failed sync keeps the last good index; the answer carries syncError.",
	}}, h.sync)
	add(httpapi.Route{Method: http.MethodGet, Path: "/plugin-catalog/plugins", Rule: rule, Name: "plugins.catalog.search", Doc: httpapi.Doc{
		Summary: "Plugins the catalogs offer, with the installed version and updates", Tag: tag, Response: CatalogPlugin{}, List: true,
		Query: []httpapi.Param{{Name: "q", Type: "string", Description: "Text in the id, name or description (case-insensitive)."}},
	}}, h.search)
	add(httpapi.Route{Method: http.MethodPost, Path: "/plugin-catalog/install", Rule: rule, Name: "plugins.catalog.install", Doc: httpapi.Doc{
		Summary: "Install or upgrade a plugin from the catalogs", Tag: tag, Request: CatalogInstallRequest{}, Response: Plugin{}, Status: http.StatusCreated,
		Description: "Downloads the archive (egress policy, size cap), checks its SHA-256 against the signed index, then installs it like an upload " +
			"(signature with the trusted keys, downgrade rules). A publisher key that is not trusted is refused (400, untrusted_key) naming its id and fingerprint. " +
			"upgrade: only over an older installed version (409 when up to date).",
	}}, h.install)
	add(httpapi.Route{Method: http.MethodGet, Path: "/plugin-keys", Rule: rule, Name: "plugins.keys.list", Doc: httpapi.Doc{
		Summary: "Publisher keys trusted in the database (besides BREEZE_PLUGIN_TRUSTED_KEYS)", Tag: tag, Response: TrustedKey{}, List: true,
	}}, h.keys)
	add(httpapi.Route{Method: http.MethodPost, Path: "/plugin-keys", Rule: rule, Name: "plugins.keys.trust", Doc: httpapi.Doc{
		Summary: "Trust a publisher key", Tag: tag, Request: TrustRequest{}, Response: TrustedKey{}, Status: http.StatusCreated,
		Description: "publicKey (PEM or base64), or keyId alone for a key a subscribed catalog lists. Audited with the fingerprint.",
	}}, h.trust)
	add(httpapi.Route{Method: http.MethodDelete, Path: "/plugin-keys/:keyId", Rule: rule, Name: "plugins.keys.untrust", Doc: httpapi.Doc{
		Summary: "Stop trusting a publisher key", Tag: tag, Status: http.StatusNoContent,
	}}, h.untrust)
}

type catalogHandlers struct{ svc *catalogs.Service }

// Catalog is a subscription.
type Catalog struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	URL         string    `json:"url"`
	KeyID       string    `json:"keyId"`
	Fingerprint string    `json:"fingerprint"`
	CreatedAt   time.Time `json:"createdAt"`
	SyncedAt    time.Time `json:"syncedAt,omitzero"`
	AttemptedAt time.Time `json:"attemptedAt,omitzero"`
	SyncError   string    `json:"syncError"`
	IndexName   string    `json:"indexName"`
	Plugins     int       `json:"plugins"`
}

func catalogOut(c *catalogs.Catalog) Catalog {
	return Catalog{ID: c.ID, Name: c.Name, URL: c.URL, KeyID: c.KeyID, Fingerprint: c.Fingerprint, CreatedAt: c.CreatedAt,
		SyncedAt: c.SyncedAt, AttemptedAt: c.AttemptedAt, SyncError: c.SyncError, IndexName: c.IndexName, Plugins: c.Plugins}
}

// CatalogRequest subscribes to a catalog.
type CatalogRequest struct {
	Name      string `json:"name"`
	URL       string `json:"url"`
	PublicKey string `json:"publicKey"`
}

// CatalogPlugin is one plugin a catalog offers.
type CatalogPlugin struct {
	ID                   string           `json:"id"`
	Name                 string           `json:"name"`
	Kind                 string           `json:"kind"`
	Description          string           `json:"description"`
	CatalogID            string           `json:"catalogId"`
	CatalogName          string           `json:"catalogName"`
	PublisherKeyID       string           `json:"publisherKeyId"`
	PublisherFingerprint string           `json:"publisherFingerprint"`
	PublisherTrusted     bool             `json:"publisherTrusted"`
	Latest               string           `json:"latest"`
	Versions             []CatalogVersion `json:"versions"`
	Installed            string           `json:"installed"`
	UpdateAvailable      bool             `json:"updateAvailable"`
}

// CatalogVersion is one version a catalog offers.
type CatalogVersion struct {
	Version        string   `json:"version"`
	MinHostVersion string   `json:"minHostVersion,omitempty"`
	Platforms      []string `json:"platforms"`
	Size           int64    `json:"size"`
}

func catalogPluginOut(r *catalogs.Result) CatalogPlugin {
	out := CatalogPlugin{ID: r.ID, Name: r.Name, Kind: r.Kind, Description: r.Description, CatalogID: r.CatalogID, CatalogName: r.CatalogName,
		PublisherKeyID: r.PublisherKeyID, PublisherFingerprint: r.PublisherFingerprint, PublisherTrusted: r.PublisherTrusted,
		Latest: r.Latest.Version, Installed: r.Installed, UpdateAvailable: r.UpdateAvailable, Versions: make([]CatalogVersion, 0, len(r.Versions))}
	for _, v := range r.Versions {
		out.Versions = append(out.Versions, CatalogVersion{Version: v.Version, MinHostVersion: v.MinHostVersion, Platforms: v.Platforms, Size: v.Size})
	}
	return out
}

// CatalogInstallRequest installs or upgrades from the catalogs.
type CatalogInstallRequest struct {
	ID             string `json:"id"`
	Version        string `json:"version,omitempty"`
	CatalogID      string `json:"catalogId,omitempty"`
	Upgrade        bool   `json:"upgrade,omitempty"`
	AllowDowngrade bool   `json:"allowDowngrade,omitempty"`
}

// TrustRequest trusts a publisher key.
type TrustRequest struct {
	PublicKey string `json:"publicKey,omitempty"`
	KeyID     string `json:"keyId,omitempty"`
	Name      string `json:"name,omitempty"`
}

// TrustedKey is a key trusted in the database.
type TrustedKey struct {
	KeyID       string    `json:"keyId"`
	Fingerprint string    `json:"fingerprint"`
	Name        string    `json:"name"`
	PublicKey   string    `json:"publicKey"`
	AddedAt     time.Time `json:"addedAt"`
	AddedBy     string    `json:"addedBy"`
}

func keyOut(k *ports.PluginKey) TrustedKey {
	return TrustedKey{KeyID: k.KeyID, Fingerprint: k.Fingerprint, Name: k.Name, PublicKey: k.PublicKey, AddedAt: k.AddedAt, AddedBy: k.AddedBy}
}

func (h *catalogHandlers) list(c *gin.Context) error {
	sc, _, err := scope(c)
	if err != nil {
		return err
	}
	cs, err := h.svc.Catalogs(c.Request.Context(), sc)
	if err != nil {
		return err
	}
	items := make([]Catalog, 0, len(cs))
	for _, x := range cs {
		items = append(items, catalogOut(x))
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

func (h *catalogHandlers) add(c *gin.Context) error {
	sc, p, err := scope(c)
	if err != nil {
		return err
	}
	var req CatalogRequest
	if err := httpapi.BindJSON(c, &req); err != nil {
		return err
	}
	out, err := h.svc.Subscribe(c.Request.Context(), sc, catalogs.SubscribeRequest{Name: req.Name, URL: req.URL, PublicKey: req.PublicKey}, actor(p))
	if err != nil {
		return err
	}
	c.Header("Location", api.Prefix+"/plugin-catalogs/"+out.ID)
	c.JSON(http.StatusCreated, catalogOut(out))
	return nil
}

func (h *catalogHandlers) remove(c *gin.Context) error {
	sc, _, err := scope(c)
	if err != nil {
		return err
	}
	if err := h.svc.Unsubscribe(c.Request.Context(), sc, c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (h *catalogHandlers) sync(c *gin.Context) error {
	sc, _, err := scope(c)
	if err != nil {
		return err
	}
	out, err := h.svc.Sync(c.Request.Context(), sc, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, catalogOut(out))
	return nil
}

func (h *catalogHandlers) search(c *gin.Context) error {
	sc, _, err := scope(c)
	if err != nil {
		return err
	}
	rs, err := h.svc.Search(c.Request.Context(), sc, c.Query("q"))
	if err != nil {
		return err
	}
	items := make([]CatalogPlugin, 0, len(rs))
	for _, r := range rs {
		items = append(items, catalogPluginOut(r))
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

func (h *catalogHandlers) install(c *gin.Context) error {
	sc, p, err := scope(c)
	if err != nil {
		return err
	}
	var req CatalogInstallRequest
	if err := httpapi.BindJSON(c, &req); err != nil {
		return err
	}
	out, err := h.svc.Install(c.Request.Context(), sc, catalogs.InstallRequest{ID: req.ID, Version: req.Version, CatalogID: req.CatalogID,
		Upgrade: req.Upgrade, AllowDowngrade: req.AllowDowngrade}, actor(p))
	if err != nil {
		return err
	}
	c.Header("Location", api.Prefix+"/plugins/"+out.ID)
	c.JSON(http.StatusCreated, pluginOut(out))
	return nil
}

func (h *catalogHandlers) keys(c *gin.Context) error {
	sc, _, err := scope(c)
	if err != nil {
		return err
	}
	ks, err := h.svc.Keys(c.Request.Context(), sc)
	if err != nil {
		return err
	}
	items := make([]TrustedKey, 0, len(ks))
	for _, k := range ks {
		items = append(items, keyOut(k))
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

func (h *catalogHandlers) trust(c *gin.Context) error {
	sc, p, err := scope(c)
	if err != nil {
		return err
	}
	var req TrustRequest
	if err := httpapi.BindJSON(c, &req); err != nil {
		return err
	}
	k, err := h.svc.TrustKey(c.Request.Context(), sc, catalogs.TrustRequest{PublicKey: req.PublicKey, KeyID: req.KeyID, Name: req.Name}, actor(p))
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, keyOut(k))
	return nil
}

func (h *catalogHandlers) untrust(c *gin.Context) error {
	sc, _, err := scope(c)
	if err != nil {
		return err
	}
	if err := h.svc.UntrustKey(c.Request.Context(), sc, c.Param("keyId")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
