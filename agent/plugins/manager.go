package plugins

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"net/http"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/agent/scripts"
	"github.com/breeze-rmm/breeze/pluginhost"
	"github.com/breeze-rmm/breeze/protocol"
)

// Plugin states reported in hello.
const (
	StateRunning  = "running"
	StateFailed   = "failed"
	StateDisabled = "disabled"
)

// Deps are what the Manager needs.
type Deps struct {
	ServerURL string
	// Server, when set, is the server URL in use now (the link's: an agent
	// may know several); archives are fetched from it. Nil: ServerURL.
	Server       func() string
	Token        config.Secret
	AgentVersion string
	StateDir     string // plugins go to StateDir/plugins/<id>/<version>

	TrustedKeys   []ed25519.PublicKey // see TrustedKeys
	AllowUnsigned bool                // development only
	// DevDir is plugin dev mode: its plugin directories run unsigned (see
	// dev.go). Needs AllowUnsigned.
	DevDir string

	// Scripts receives the languages of script runtime plugins (nil: they
	// run but serve no scripts).
	Scripts *scripts.Registry
	// OnChange is told after the plugin set changed (a collector may have
	// new facts: the link's CheckInventory). It must not block.
	OnChange func()
	// OnCollectorGone is told after a collector was withdrawn.
	OnCollectorGone func()

	HTTPClient *http.Client // default: proxy from the environment, no redirects
	// TLSConfig is the default client's (the agent's client certificate); nil: Go's default.
	TLSConfig     *tls.Config
	MaxArchive    int64         // DefaultMaxArchive
	CollectBudget time.Duration // wait for collectors per heartbeat/inventory; 2 s
	Logger        hclog.Logger

	// Supervision tunes every plugin's supervisor (tests shorten it); Env
	// is the plugins' environment (they never inherit the agent's).
	Supervision func(*pluginhost.Spec)
	Env         []string
}

// Manager runs the plugins the server offers. Create it with New, run Run
// once, hand it offers with Offer.
type Manager struct {
	d     Deps
	log   hclog.Logger
	root  string
	fetch *fetcher

	mu      sync.Mutex
	plugins map[string]*plugin
	trusted []ed25519.PublicKey // Deps.TrustedKeys, then SetTrustedKeys (under mu)

	offerMu sync.Mutex
	wanted  []protocol.PluginOffer
	dev     map[string]devOffer // plugin dev mode's local plugins by id
	kick    chan struct{}       // cap 1: a newer offer set is waiting
	synced  chan struct{}       // closed and replaced after each reconcile (tests)
}

// ErrDevModeNotAllowed: a plugin dev directory without the agent's
// explicit development switch.
var ErrDevModeNotAllowed = errors.New("plugin dev mode (a plugin dev directory) runs unsigned plugins: " +
	"set \"allowUnsignedPlugins\": true in the agent's config first (development machines only)")

// DevMode says whether the plugin dev directory is in use.
func (m *Manager) DevMode() bool { return m.d.DevDir != "" }

// New validates d and returns a Manager.
func New(d Deps) (*Manager, error) {
	if err := config.ValidateServerURL(d.ServerURL); err != nil {
		return nil, err
	}
	if d.StateDir == "" || !filepath.IsAbs(d.StateDir) {
		return nil, errors.New("plugins: need an absolute state directory")
	}
	if d.DevDir != "" && !d.AllowUnsigned {
		return nil, ErrDevModeNotAllowed
	}
	if d.Logger == nil {
		d.Logger = hclog.NewNullLogger()
	}
	if d.MaxArchive <= 0 {
		d.MaxArchive = DefaultMaxArchive
	}
	if d.CollectBudget <= 0 {
		d.CollectBudget = 2 * time.Second
	}
	if d.HTTPClient == nil {
		d.HTTPClient = &http.Client{
			Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, TLSHandshakeTimeout: 30 * time.Second, ResponseHeaderTimeout: time.Minute,
				TLSClientConfig: d.TLSConfig},
			CheckRedirect: noRedirects,
			Timeout:       10 * time.Minute,
		}
	}
	log := d.Logger.Named("plugins")
	return &Manager{
		d: d, log: log, root: filepath.Join(d.StateDir, "plugins"),
		fetch:   &fetcher{client: d.HTTPClient, server: serverOf(d), token: d.Token, agentVersion: d.AgentVersion, max: d.MaxArchive},
		plugins: map[string]*plugin{},
		trusted: d.TrustedKeys,
		kick:    make(chan struct{}, 1),
		synced:  make(chan struct{}),
	}, nil
}

// Offer replaces the wanted plugin set; it never blocks (Run applies the
// newest set). It suits link.Options.OnPlugins.
func (m *Manager) Offer(offers []protocol.PluginOffer) {
	m.offerMu.Lock()
	m.wanted = append([]protocol.PluginOffer(nil), offers...)
	m.offerMu.Unlock()
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// SetTrustedKeys replaces the keys whose signatures make a plugin runnable
// (an operator trusted or dropped a key while the agent runs). Plugins
// refused before are tried again with the current offers; running ones
// keep running (their signature was checked when they started).
func (m *Manager) SetTrustedKeys(keys []ed25519.PublicKey) {
	m.mu.Lock()
	m.trusted = append([]ed25519.PublicKey(nil), keys...)
	for _, p := range m.plugins {
		p.refused = false
	}
	m.mu.Unlock()
	m.log.Info("plugin trusted keys changed", "keys", len(keys))
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// trustedKeys is the current trusted key set.
func (m *Manager) trustedKeys() []ed25519.PublicKey {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.trusted
}

// Run applies offered sets until ctx ends, then stops every plugin.
func (m *Manager) Run(ctx context.Context) {
	defer m.stopAll()
	if m.d.DevDir != "" {
		go m.watchDev(ctx)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.kick:
		}
		m.offerMu.Lock()
		offers := m.withDev(m.wanted)
		m.offerMu.Unlock()
		m.Sync(ctx, offers)
		m.offerMu.Lock()
		close(m.synced)
		m.synced = make(chan struct{})
		m.offerMu.Unlock()
	}
}

// Synced is closed once Run finished applying the set it was working on.
func (m *Manager) Synced() <-chan struct{} {
	m.offerMu.Lock()
	defer m.offerMu.Unlock()
	return m.synced
}

// Sync makes the running plugins match offers: withdrawn ones stop, new or
// changed ones are installed and started, unchanged ones keep running
// (with the new settings). Only one Sync may run at a time (Run's loop).
func (m *Manager) Sync(ctx context.Context, offers []protocol.PluginOffer) {
	want := map[string]protocol.PluginOffer{}
	for _, o := range offers {
		want[o.ID] = o // a repeated id: the last one wins
	}
	m.mu.Lock()
	var gone []*plugin
	for id, p := range m.plugins {
		if _, ok := want[id]; !ok {
			gone = append(gone, p)
			delete(m.plugins, id)
		}
	}
	m.mu.Unlock()
	collectorGone := false
	for _, p := range gone {
		m.log.Info("plugin withdrawn; stopping it", "plugin_id", p.offer.ID, "version", p.offer.Version)
		p.stop(m)
		collectorGone = collectorGone || p.offer.Kind == "collector"
	}
	if collectorGone && m.d.OnCollectorGone != nil {
		// An inventory diff cannot say "no facts any more": the caller
		// sends a full inventory, without the withdrawn collector's facts.
		defer m.d.OnCollectorGone()
	}

	ids := make([]string, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	versions := map[string]string{}
	for _, id := range ids {
		if ctx.Err() != nil {
			return
		}
		o := want[id]
		m.mu.Lock()
		cur := m.plugins[id]
		m.mu.Unlock()
		if cur != nil && sameOffer(cur.offer, o) {
			cur.host.setSettings(o.Settings) // served live; no restart
			if cur.sup != nil || cur.refused {
				versions[id] = o.Version
				continue // running (supervised), or refused for good
			}
		}
		if cur != nil {
			m.log.Info("plugin offer changed; replacing it", "plugin_id", id, "from", cur.offer.Version, "to", o.Version)
			cur.stop(m)
		}
		p := m.start(ctx, o)
		m.mu.Lock()
		m.plugins[id] = p
		m.mu.Unlock()
		if checkOffer(o, m.d.MaxArchive) == nil {
			versions[id] = o.Version
		}
	}
	if ctx.Err() == nil {
		m.gc(versions)
	}
	if m.d.OnChange != nil {
		m.d.OnChange()
	}
}

// States is every offered plugin's state, for hello.
func (m *Manager) States() []protocol.PluginState {
	m.mu.Lock()
	ps := make([]*plugin, 0, len(m.plugins))
	for _, p := range m.plugins {
		ps = append(ps, p)
	}
	m.mu.Unlock()
	out := make([]protocol.PluginState, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.state())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// running returns the plugin id if it is supervised.
func (m *Manager) running(id string) *plugin {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p := m.plugins[id]; p != nil && p.sup != nil {
		return p
	}
	return nil
}

// supervised lists the supervised plugins of kind k.
func (m *Manager) supervised(kind string) []*plugin {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*plugin
	for _, p := range m.plugins {
		if p.sup != nil && p.offer.Kind == kind {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].offer.ID < out[j].offer.ID })
	return out
}

// stopAll stops every plugin (agent shutdown).
func (m *Manager) stopAll() {
	m.mu.Lock()
	ps := m.plugins
	m.plugins = map[string]*plugin{}
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.stop(m)
		}()
	}
	wg.Wait()
}

// serverOf is the server URL archives come from, asked at each fetch.
func serverOf(d Deps) func() string {
	if d.Server != nil {
		return d.Server
	}
	return func() string { return d.ServerURL }
}
