package server

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/adapters/egress"
	"github.com/breeze-rmm/breeze/adapters/plugincatalog"
	"github.com/breeze-rmm/breeze/adapters/pluginserver"
	catalogs "github.com/breeze-rmm/breeze/core/app/plugincatalog"
	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/internal/config"
	"github.com/breeze-rmm/breeze/ports"
)

// catalogCheckEvery is how often a node looks for catalogs due a sync
// (each is synced every plugincatalog.DefaultSyncEvery, by the one node
// that wins its lease).
const catalogCheckEvery = 10 * time.Minute

// NewPluginCatalogs builds the catalog service over the install path svc
// and the trusted keys of pk: fetched through the plugins' egress policy
// (BREEZE_PLUGIN_EGRESS_ALLOW), https only unless
// BREEZE_PLUGIN_CATALOG_ALLOW_HTTP. The CLI builds the same.
func NewPluginCatalogs(cfg *config.Config, st ports.Store, svc *plugins.Service, pk *pluginserver.Packages, log ports.Logger) (*catalogs.Service, error) {
	allow, err := egress.ParseAllow(cfg.PluginEgressAllow)
	if err != nil {
		return nil, fmt.Errorf("%w: BREEZE_PLUGIN_EGRESS_ALLOW: %v", config.ErrConfig, err)
	}
	src := plugincatalog.New(plugincatalog.Options{Egress: egress.Policy{Allow: allow}, AllowHTTP: cfg.PluginCatalogAllowHTTP, Version: Version})
	return catalogs.New(catalogs.Deps{Store: st, Source: src, Installer: svc, Trust: pk, Logger: log, HostVersion: Version})
}

// syncCatalogs syncs the catalogs due until ctx ends (a minute after
// start, then every catalogCheckEvery).
func syncCatalogs(ctx context.Context, svc *catalogs.Service, log hclog.Logger) {
	t := time.NewTimer(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := svc.SyncDue(ctx); err != nil {
			log.Warn("plugin catalog sync", "error", err)
		} else if n > 0 {
			log.Info("plugin catalogs synced", "catalogs", n)
		}
		t.Reset(catalogCheckEvery)
	}
}
