package main

import (
	"context"
	"net/http"
	"path/filepath"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/agent/certs"
	"github.com/breeze-rmm/breeze/agent/collect"
	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/agent/inventory"
	"github.com/breeze-rmm/breeze/agent/link"
	"github.com/breeze-rmm/breeze/agent/plugins"
	"github.com/breeze-rmm/breeze/agent/remote"
	"github.com/breeze-rmm/breeze/agent/scripts"
	"github.com/breeze-rmm/breeze/agent/update"
	"github.com/breeze-rmm/breeze/agent/watch"
	"github.com/breeze-rmm/breeze/protocol"
)

// firstJitter is the link's random delay before its first dial; 0 keeps
// the link's default (tests set it negative: none).
var firstJitter time.Duration

// agent is the running agent's parts.
type agent struct {
	log        hclog.Logger
	cfg        config.Config
	configPath string
	link       *link.Link
	remote     *remote.Dispatcher
	plugins    *plugins.Manager
	watch      *watch.Watcher
	updater    *update.Manager
	restart    restarter
	renewer    *certs.Renewer
	caps       func() []string
	devDir     string // plugin dev mode's directory ("" off)
}

// newAgent wires the link, remote work and plugins from the config.
func newAgent(ctx context.Context, cfg config.Config, configPath string, log hclog.Logger) (*agent, error) {
	dir := stateDir(cfg, configPath)
	a := &agent{log: log, cfg: cfg, configPath: configPath, devDir: cfg.PluginDevDir}
	reg := scripts.NewRegistry(scripts.Builtin()...)

	trusted, err := plugins.TrustedKeys(cfg.PluginTrustedKeys)
	if err != nil {
		// The agent must stay manageable: run, refusing every plugin.
		log.Error("cannot read the plugin trusted keys; every plugin will be refused", "error", err)
		trusted = nil
	}
	if cfg.AllowUnsignedPlugins {
		log.Warn("unsigned plugins are allowed (allowUnsignedPlugins): development only")
	}
	devDir := cfg.PluginDevDir
	if devDir != "" {
		if devDir, err = filepath.Abs(devDir); err != nil {
			return nil, err
		}
		a.devDir = devDir
		if !cfg.AllowUnsignedPlugins {
			return nil, plugins.ErrDevModeNotAllowed
		}
		log.Warn("PLUGIN DEV MODE: the plugin directories here run UNSIGNED and are reloaded when rebuilt; never on a managed device", "dir", devDir)
	}
	// The client certificate (mutual TLS) goes with every request to the
	// server: the link and plugin downloads.
	cs, err := certs.Open(dir)
	if err != nil {
		return nil, err
	}
	tlsConf := cs.TLSConfig(nil)
	var l *link.Link // the manager and commands reach the link, built below
	a.plugins, err = plugins.New(plugins.Deps{
		TLSConfig: tlsConf,
		ServerURL: cfg.ServerURL, Token: cfg.AgentToken, AgentVersion: Version, StateDir: dir,
		Server: func() string { // archives come from the server the link uses
			if l == nil {
				return cfg.ServerURL
			}
			return l.Server()
		},
		TrustedKeys: trusted, AllowUnsigned: cfg.AllowUnsignedPlugins, DevDir: devDir,
		Scripts: reg, Logger: log,
		OnChange: func() {
			l.CheckInventory() // collectors' facts join the inventory now
			go a.reportPlugins(ctx)
		},
		OnCollectorGone: func() {
			go func() {
				// Best effort: a link that is down sends a diff later, and
				// the stale facts go at the next full inventory.
				if err := l.SendFullInventory(ctx); err != nil {
					log.Debug("full inventory after a collector left not sent", "error", err)
				}
			}()
		},
	})
	if err != nil {
		return nil, err
	}
	rm, err := newRemote(remoteDeps{cfg: cfg, configPath: configPath, log: log, scripts: reg,
		inventory: func(ctx context.Context) error { return l.SendFullInventory(ctx) },
		discover: func(ctx context.Context, p protocol.DiscoverPayload) (any, string, error) {
			return a.plugins.Discover(ctx, p)
		},
		discoverPages: func(ctx context.Context, p protocol.DiscoverPayload,
			page func(context.Context, []protocol.DiscoverAsset, int) error) (protocol.DiscoverCounts, error) {
			return a.plugins.DiscoverPages(ctx, p, plugins.PageSink(page))
		}})
	if err != nil {
		return nil, err
	}
	a.remote = rm.d
	a.caps = rm.caps
	// Tracked network devices, probed with the scanner plugins.
	a.watch = watch.New(watch.Deps{Prober: a.plugins, Sender: rm.d, Logger: log})

	serverURL, serverURLs, pushed := cfg.ServerURL, cfg.ServerURLs, cfg.PushedServerURLs
	if buildFault == "nolink" {
		log.Warn("this build never links (built with buildFault=nolink, for tests)")
		serverURL, serverURLs, pushed = "http://127.0.0.1:9", nil, nil
	}
	a.renewer = &certs.Renewer{Store: cs, Send: rm.d, Logger: log}

	sampler := collect.New(collect.Options{Logger: log, PluginMetrics: a.plugins.Metrics})
	sampler.Prime(ctx)
	l, err = link.New(link.Options{
		ServerURL:        serverURL,
		DeviceID:         cfg.DeviceID,
		Token:            cfg.AgentToken,
		AgentVersion:     Version,
		Logger:           log,
		Sampler:          sampler,
		Inventory:        inventory.NewCollector(inventory.Options{Logger: log, PluginFacts: a.plugins.Facts}),
		InventoryStore:   inventory.FileStore{Path: filepath.Join(dir, "inventory.json")},
		CapabilitiesFunc: rm.caps,
		Remote:           rm.d,
		OnPlugins:        a.plugins.Offer,
		OnWatch:          a.watch.Set,
		OnUpdate:         func(o protocol.UpdateOffer) { a.updater.Offer(ctx, o) },
		OnWelcome: func(w protocol.Welcome) {
			a.updater.Linked(ctx)
			a.renewer.Welcome(w)
		},
		OnCertIssued: a.renewer.Issued,
		OnCertRenew:  a.renewer.RenewSoon,
		Dialer:       &websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: 30 * time.Second, TLSClientConfig: tlsConf},
		PluginStates: a.plugins.States,
		Heartbeat:    cfg.HeartbeatInterval,
		FirstJitter:  firstJitter,
		OnInterval: func(d time.Duration) {
			// Cache the server's cadence so a restart while offline keeps it.
			if err := updateConfig(configPath, func(c *config.Config) { c.HeartbeatInterval = d }); err != nil {
				log.Warn("cannot cache the heartbeat interval in the config", "error", err)
			}
		},
		ServerURLs:       serverURLs,
		PushedServerURLs: pushed,
		OnServerURLs: func(urls []string) {
			if err := updateConfig(configPath, func(c *config.Config) { c.PushedServerURLs = urls }); err != nil {
				log.Warn("cannot keep the server's URLs in the config", "error", err)
			}
		},
	})
	if err != nil {
		return nil, err
	}
	a.link = l
	// The self-update; on trial, Boot arms the rollback watchdog before
	// the link runs.
	if a.updater, err = newUpdater(cfg, configPath, dir, l.Server, rm.d.Send, a.restart.request, log); err != nil {
		return nil, err
	}
	if err := a.updater.Boot(); err != nil {
		log.Warn("update state unreadable; ignored", "error", err)
	}
	return a, nil
}

// reportPlugins tells the server the plugins' states now (hello carries
// them at the next link anyway, so a link that is down loses nothing).
func (a *agent) reportPlugins(ctx context.Context) {
	if a.remote == nil || a.plugins == nil {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	frame := protocol.PluginStates{Header: protocol.Header{Type: protocol.TypePluginStates}, Plugins: a.plugins.States()}
	if err := a.remote.Send(sctx, frame); err != nil {
		a.log.Debug("plugin states not sent; the next hello carries them", "error", err)
	}
}

// run keeps the agent linked until ctx ends, then ends remote work and
// stops the plugins (after the commands that may use them).
func (a *agent) run(ctx context.Context) error {
	ctx = a.restart.wrap(ctx)
	pctx, stopPlugins := context.WithCancel(context.WithoutCancel(ctx))
	pluginsDone := make(chan struct{})
	go func() {
		defer close(pluginsDone)
		a.plugins.Run(pctx)
	}()
	go reloadTrustedKeys(pctx, a.configPath, a.cfg.PluginTrustedKeys, a.plugins.SetTrustedKeys, a.log)
	go a.renewer.Run(ctx)
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		a.watch.Run(ctx)
	}()
	if a.plugins.DevMode() {
		defer markDevMode(a.cfg, a.configPath, a.devDir)()
	}
	a.log.Info("agent starting", "version", Version, "server", a.cfg.ServerURL, "device", a.cfg.DeviceID, "capabilities", a.caps())
	err := a.link.Run(ctx)
	a.remote.Close() // end terminals and transfers, wait for commands
	<-watchDone      // its round uses the plugins
	stopPlugins()
	<-pluginsDone
	if reason := a.restart.requested(); reason != "" {
		a.log.Info("agent stopped to restart", "reason", reason)
		return errRestart
	}
	a.log.Info("agent stopped")
	return err
}

// updateConfig changes one thing in the config file as it is now (another
// command, such as trust-key, may have changed it since the agent started).
func updateConfig(path string, change func(*config.Config)) error {
	c, err := config.Load(path)
	if err != nil {
		return err
	}
	change(&c)
	return config.Save(path, c)
}
