package server

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/adapters/http/pluginsapi"
	"github.com/breeze-rmm/breeze/adapters/pluginserver"
	"github.com/breeze-rmm/breeze/adapters/secretbox"
	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/internal/config"
	"github.com/breeze-rmm/breeze/ports"
)

// pluginStopTimeout bounds stopping the server-side plugins.
const pluginStopTimeout = 10 * time.Second

// Plugins is plugin management on this node: installs verified against
// the trusted keys, settings sealed at rest, server-side plugins under
// supervision, agent-side ones offered to the agents of the orgs that
// enabled them.
type Plugins struct {
	Service *plugins.Service
	log     hclog.Logger
}

// BuildPlugins wires plugin management; rw must be wired (its relay pushes
// plugin changes to linked agents), ag gets the offers for its welcomes.
func BuildPlugins(cfg *config.Config, st ports.Store, rw *Remote, ag *Agents, log hclog.Logger) (*Plugins, error) {
	log = log.Named("plugins")
	keys, err := pluginserver.LoadTrustedKeys(cfg.PluginTrustedKeys)
	if err != nil {
		return nil, fmt.Errorf("%w: BREEZE_PLUGIN_TRUSTED_KEYS: %v", config.ErrConfig, err)
	}
	box, err := secretbox.Open(cfg.PluginSecretKey, cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("plugin settings key: %w", err)
	}
	rt, err := pluginserver.NewRuntime(pluginserver.RuntimeOptions{Store: st.Plugins(), Logger: log})
	if err != nil {
		return nil, err
	}
	if cfg.PluginsAllowUnsigned {
		log.Warn("BREEZE_PLUGINS_ALLOW_UNSIGNED is set: plugins without a trusted signature can be installed (development only)")
	}
	svc, err := plugins.New(plugins.Deps{Store: st,
		Packages: &pluginserver.Packages{Trusted: keys, AllowUnsigned: cfg.PluginsAllowUnsigned, HostVersion: Version},
		Runtime:  rt, Sealer: box, Agents: rw.Relay, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return nil, err
	}
	ag.Service.SetPlugins(svc)
	return &Plugins{Service: svc, log: log}, nil
}

// Register mounts /api/v1/plugins and the agents' archive route.
func (p *Plugins) Register(srv *httpapi.Server) {
	pluginsapi.Register(srv, pluginsapi.Deps{Plugins: p.Service})
}

// Start launches the enabled server-side plugins; a failure is logged and
// visible in GET /api/v1/plugins, never fatal.
func (p *Plugins) Start(ctx context.Context) {
	if err := p.Service.StartEnabled(ctx); err != nil {
		p.log.Warn("some plugins did not start", "error", err)
	}
}

// Stop stops the server-side plugins.
func (p *Plugins) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), pluginStopTimeout)
	defer cancel()
	if err := p.Service.Shutdown(ctx); err != nil {
		p.log.Warn("plugins did not stop cleanly", "error", err)
	}
}
