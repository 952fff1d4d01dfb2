package server

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"
	goredis "github.com/redis/go-redis/v9"

	"github.com/breeze-rmm/breeze/adapters/egress"
	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/adapters/http/pluginsapi"
	"github.com/breeze-rmm/breeze/adapters/pluginserver"
	redisad "github.com/breeze-rmm/breeze/adapters/redis"
	catalogs "github.com/breeze-rmm/breeze/core/app/plugincatalog"
	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/internal/config"
	"github.com/breeze-rmm/breeze/ports"
)

// pluginStopTimeout bounds stopping the server-side plugins.
const pluginStopTimeout = 10 * time.Second

// pluginsTopic carries "the installed plugins changed" between nodes
// (payload: pluginsChange, or empty); pluginsReconcileEvery is the safety
// net when a message is lost (the bus is at most once); pluginsCheckEvery
// is how often a node compares the plugins' revision in the database, which
// is how a change made by the CLI reaches a server without Redis (its bus
// is in process).
const (
	pluginsTopic          = "plugins.changed"
	pluginsReconcileEvery = time.Minute
	pluginsCheckEvery     = 2 * time.Second
)

// pluginsChange is the bus payload: the orgs whose agent offers a process
// without agent links (the CLI) changed; every node pushes them (a plugins
// frame replaces the agent's offers, so a second push is harmless).
type pluginsChange struct {
	Orgs []string `json:"orgs,omitempty"`
}

// busChanges implements plugins.Changes on the bus.
type busChanges struct {
	bus ports.Bus
	log hclog.Logger
}

func (b busChanges) PluginsChanged(ctx context.Context, orgs []string) {
	var payload []byte
	if len(orgs) > 0 {
		payload, _ = json.Marshal(pluginsChange{Orgs: orgs})
	}
	if err := b.bus.Publish(ctx, pluginsTopic, payload); err != nil {
		b.log.Warn("plugin change not announced to the other nodes", "error", err)
	}
}

// PluginChangesAnnouncer is how a process outside the server (the CLI)
// announces plugin changes: on the Redis bus when BREEZE_REDIS_URL is set
// (every node reconciles at once and pushes agent offers); without Redis
// nil, and the server notices the database's revision within
// pluginsCheckEvery. close releases the connection.
func PluginChangesAnnouncer(ctx context.Context, cfg *config.Config, log hclog.Logger) (plugins.Changes, func(), error) {
	if cfg.RedisURL == "" {
		return nil, func() {}, nil
	}
	opts, err := goredis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: BREEZE_REDIS_URL: %v", config.ErrConfig, err)
	}
	client := goredis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		_ = client.Close()
		return nil, nil, fmt.Errorf("Redis at %s is unreachable: %w (the change could not be announced)", opts.Addr, err)
	}
	bus := redisad.NewBus(redisad.BusDeps{Client: client, Prefix: cfg.RedisPrefix + "bus:"})
	return busChanges{bus: bus, log: log}, func() { _ = bus.Close(); _ = client.Close() }, nil
}

// Plugins is plugin management on this node: installs verified against
// the trusted keys, settings sealed at rest, server-side plugins under
// supervision, agent-side ones offered to the agents of the orgs that
// enabled them.
type Plugins struct {
	Service  *plugins.Service
	Catalogs *catalogs.Service
	bus      ports.Bus
	log      hclog.Logger
	done     chan struct{}
	// catalogsDone closes when the catalog sync loop has ended.
	catalogsDone chan struct{}
	rev          string // Service.Revision at the last reconcile (the loop's own)
	devDir       string // plugin dev mode's directory ("" off)
}

// BuildPlugins wires plugin management on rw (its relay pushes plugin
// changes to linked agents, its key seals settings); the agent side is
// built afterwards with the Service as its plugin offers.
func BuildPlugins(cfg *config.Config, st ports.Store, rw *Remote, log hclog.Logger) (*Plugins, error) {
	log = log.Named("plugins")
	keys, err := pluginserver.LoadTrustedKeys(cfg.PluginTrustedKeys)
	if err != nil {
		return nil, fmt.Errorf("%w: BREEZE_PLUGIN_TRUSTED_KEYS: %v", config.ErrConfig, err)
	}
	allow, err := egress.ParseAllow(cfg.PluginEgressAllow)
	if err != nil {
		return nil, fmt.Errorf("%w: BREEZE_PLUGIN_EGRESS_ALLOW: %v", config.ErrConfig, err)
	}
	sandbox, err := pluginserver.ParseSandbox(cfg.PluginSandbox)
	if err != nil {
		return nil, fmt.Errorf("%w: BREEZE_PLUGIN_SANDBOX: %v", config.ErrConfig, err)
	}
	rt, err := pluginserver.NewRuntime(pluginserver.RuntimeOptions{Store: st.Plugins(), Logger: log,
		Egress: egress.Policy{Allow: allow}, Sandbox: sandbox})
	if err != nil {
		return nil, err
	}
	if cfg.RedisURL != "" && cfg.PluginSecretKey == "" {
		log.Warn("BREEZE_PLUGIN_SECRET_KEY is not set: plugin secrets are sealed with this node's own key file; " +
			"every node of a cluster needs the same key to read them")
	}
	if cfg.PluginDevDir != "" {
		log.Warn("PLUGIN DEV MODE: the plugin directories in BREEZE_PLUGIN_DEV_DIR are loaded UNSIGNED and reloaded when rebuilt; never use this in production",
			"dir", cfg.PluginDevDir)
	}
	if cfg.PluginCatalogAllowHTTP {
		log.Warn("BREEZE_PLUGIN_CATALOG_ALLOW_HTTP is set: plugin catalogs and archives may be fetched over plain http (development only)")
	}
	if cfg.PluginsAllowUnsigned {
		log.Warn("BREEZE_PLUGINS_ALLOW_UNSIGNED is set: plugins without a trusted signature can be installed (development only)")
	}
	pk := &pluginserver.Packages{Trusted: keys, DBKeys: st.PluginKeys(), AllowUnsigned: cfg.PluginsAllowUnsigned, HostVersion: Version}
	svc, err := plugins.New(plugins.Deps{Store: st,
		Packages: pk,
		Runtime:  rt, Sealer: rw.Secrets, Agents: rw.Relay, Changes: busChanges{bus: rw.Bus, log: log},
		RunUnsigned: cfg.PluginsAllowUnsigned || cfg.PluginDevDir != "",
		DataDir:     cfg.DataDir, Logger: log})
	if err != nil {
		return nil, err
	}
	cat, err := NewPluginCatalogs(cfg, st, svc, pk, log)
	if err != nil {
		return nil, err
	}
	return &Plugins{Service: svc, Catalogs: cat, bus: rw.Bus, log: log, devDir: cfg.PluginDevDir}, nil
}

// Register mounts /api/v1/plugins and the agents' archive route.
func (p *Plugins) Register(srv *httpapi.Server) {
	pluginsapi.Register(srv, pluginsapi.Deps{Plugins: p.Service, Catalogs: p.Catalogs})
}

// Start launches the enabled server-side plugins (fetching from the
// database those another node installed) and keeps this node in line with
// the others until ctx ends: on every change announced on the bus, and
// every minute. A failure is logged and visible in GET /api/v1/plugins,
// never fatal.
func (p *Plugins) Start(ctx context.Context) {
	p.reconcile(ctx)
	sub, err := p.bus.Subscribe(ctx, pluginsTopic)
	if err != nil {
		p.log.Warn("plugin changes of other nodes will be seen by the periodic check only", "error", err)
	}
	p.done = make(chan struct{})
	dev := make(chan struct{})
	if p.devDir != "" {
		go func() {
			defer close(dev)
			p.Service.WatchDev(ctx, p.devDir, plugins.DevPollEvery)
		}()
	} else {
		close(dev)
	}
	if p.Catalogs != nil {
		p.catalogsDone = make(chan struct{})
		go func() {
			defer close(p.catalogsDone)
			syncCatalogs(ctx, p.Catalogs, p.log)
		}()
	}
	go func() {
		defer close(p.done)
		defer func() { <-dev }()
		var changes <-chan ports.Message
		if sub != nil {
			defer sub.Close()
			changes = sub.C()
		}
		tick := time.NewTicker(pluginsReconcileEvery)
		defer tick.Stop()
		check := time.NewTicker(pluginsCheckEvery)
		defer check.Stop()
		for {
			var orgs []string
			select {
			case <-ctx.Done():
				return
			case m, ok := <-changes:
				if !ok {
					changes = nil
					continue
				}
				var c pluginsChange
				if len(m.Payload) > 0 && json.Unmarshal(m.Payload, &c) == nil {
					orgs = c.Orgs
				}
			case <-tick.C:
			case <-check.C:
				if !p.revisionChanged(ctx) {
					continue
				}
			}
			p.reconcile(ctx)
			p.Service.PushOrgs(ctx, orgs)
		}
	}()
}

func (p *Plugins) reconcile(ctx context.Context) {
	if rev, err := p.Service.Revision(ctx); err == nil {
		p.rev = rev
	}
	if err := p.Service.Reconcile(ctx); err != nil {
		p.log.Warn("some plugins are not running as installed", "error", err)
	}
}

// revisionChanged: the installed plugins or their switches differ from
// those of the last reconcile (a change made by the CLI).
func (p *Plugins) revisionChanged(ctx context.Context) bool {
	rev, err := p.Service.Revision(ctx)
	return err == nil && rev != p.rev
}

// Stop stops the server-side plugins.
func (p *Plugins) Stop() {
	if p.done != nil {
		<-p.done // Start's ctx is done before Stop
	}
	if p.catalogsDone != nil {
		<-p.catalogsDone
	}
	ctx, cancel := context.WithTimeout(context.Background(), pluginStopTimeout)
	defer cancel()
	if err := p.Service.Shutdown(ctx); err != nil {
		p.log.Warn("plugins did not stop cleanly", "error", err)
	}
}
