package link

import (
	"context"
	"errors"
	"net/http"
	"os"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/agent/backoff"
	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/protocol"
)

// Sampler takes one heartbeat (agent/collect.Sampler).
type Sampler interface {
	Sample(ctx context.Context) protocol.Heartbeat
}

// InventorySource gathers a full inventory (agent/inventory.Collector).
type InventorySource interface {
	Collect(ctx context.Context) (protocol.Inventory, error)
}

// InventoryStore remembers the last inventory the server got, across
// restarts (agent/inventory.FileStore).
type InventoryStore interface {
	Load() (protocol.Inventory, bool, error)
	Save(protocol.Inventory) error
}

// Options configures a Link. Zero values take the defaults noted.
type Options struct {
	ServerURL string
	// ServerURLs are more URLs of the same deployment, tried in turn after
	// ServerURL when a dial fails (a second front, a DR site). The server
	// may add its own in the welcome; OnServerURLs is told the list it
	// pushed, to keep it for the next start.
	ServerURLs       []string
	PushedServerURLs []string // the list the server pushed before (from the config)
	OnServerURLs     func([]string)
	DeviceID         string
	Token            config.Secret
	AgentVersion     string
	Capabilities     []string // default: heartbeat, inventory
	// CapabilitiesFunc, when set, is asked at each hello instead (plugin
	// script runtimes come and go; they show at the next hello).
	CapabilitiesFunc func() []string
	Hostname         string // os.Hostname() when empty
	Logger           hclog.Logger

	Sampler        Sampler         // required
	Inventory      InventorySource // optional: no inventory when nil
	InventoryStore InventoryStore  // optional: kept in memory when nil
	InventoryEvery time.Duration   // how often to look for changes; 30 min

	// Remote, when set, gets the remote-work frames (command, terminal_*,
	// file_*) and a way to answer them; nil ignores them.
	Remote Remote

	// OnPlugins gets the agent-side plugin set the server offers: the
	// welcome's (an absent list means none) and each `plugins` frame's.
	// It runs on the link's goroutines and must not block.
	OnPlugins func([]protocol.PluginOffer)
	// OnWatch gets each `watch` frame (the whole watch list of tracked
	// network devices, agent/watch.Watcher.Set), and an empty list when the
	// session ends: the server sends the list after every welcome. It runs
	// on the link's goroutines and must not block.
	OnWatch func(protocol.Watch)
	// OnUpdate gets each `update` frame (agent/update.Manager.Offer); it
	// must not block.
	OnUpdate func(protocol.UpdateOffer)
	// OnWelcome hears every welcome (the first of each session and any
	// later one: a build on update trial has linked, certs.Renewer checks
	// its certificate); OnCertIssued each cert_issued frame (certs.Renewer).
	// Both run on the link's goroutines and must not block.
	OnWelcome    func(protocol.Welcome)
	OnCertIssued func(protocol.CertIssued)
	// OnCertRenew hears a cert_renew frame (the CA was rotated); it must
	// not block.
	OnCertRenew func()
	// PluginStates, when set, reports the plugins' states in each hello
	// (there is no other agent → server frame for them).
	PluginStates func() []protocol.PluginState

	// Heartbeat is the interval until a welcome sets one (the cached value
	// from the config, else 60 s). OnInterval is told when the server
	// changes it, so it can be cached for the next start.
	Heartbeat  time.Duration
	OnInterval func(time.Duration)

	BufferSize int // heartbeats kept while offline; 1440 (a day at 60 s)

	Backoff       backoff.Policy // full jitter; 1 s base, 5 min cap
	FirstJitter   time.Duration  // random delay before the first dial, up to this; 5 s (negative: none)
	RevokedDelay  time.Duration  // wait after a 401/403 at upgrade; 1 h
	MaxRetryAfter time.Duration  // cap on a server's Retry-After; 1 h
	StableAfter   time.Duration  // a link that lasted this long resets the backoff; 1 min

	// DrainSpacing is the least time between two heartbeats, so a day of
	// buffered heartbeats does not trip the server's per-agent rate limit
	// (120 messages per 60 s): 600 ms, i.e. at most 100 per minute.
	// Negative: no spacing (tests).
	DrainSpacing time.Duration

	HandshakeTimeout time.Duration // 30 s
	WelcomeTimeout   time.Duration // 30 s
	WriteTimeout     time.Duration // 10 s

	Dialer *websocket.Dialer // default: system TLS roots, proxy from the environment
}

func (o *Options) setDefaults() error {
	if err := config.ValidateServerURL(o.ServerURL); err != nil {
		return err
	}
	if o.DeviceID == "" || o.Token.IsZero() {
		return errors.New("link needs a device id and an agent token: enroll first")
	}
	if o.Sampler == nil {
		return errors.New("link needs a heartbeat sampler")
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	if o.Capabilities == nil {
		o.Capabilities = []string{"heartbeat", "inventory"}
	}
	if o.Hostname == "" {
		o.Hostname, _ = os.Hostname()
	}
	if o.InventoryEvery <= 0 {
		o.InventoryEvery = 30 * time.Minute
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 60 * time.Second
	}
	o.Heartbeat = clampInterval(o.Heartbeat)
	if o.BufferSize <= 0 {
		o.BufferSize = 1440
	}
	if o.Backoff.Base <= 0 {
		o.Backoff.Base = time.Second
	}
	if o.Backoff.Cap <= 0 {
		o.Backoff.Cap = 5 * time.Minute
	}
	if o.FirstJitter == 0 {
		o.FirstJitter = 5 * time.Second
	}
	if o.RevokedDelay <= 0 {
		o.RevokedDelay = time.Hour
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = time.Hour
	}
	if o.StableAfter <= 0 {
		o.StableAfter = time.Minute
	}
	if o.DrainSpacing == 0 {
		o.DrainSpacing = 600 * time.Millisecond
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = 30 * time.Second
	}
	if o.WelcomeTimeout <= 0 {
		o.WelcomeTimeout = 30 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.Dialer == nil {
		o.Dialer = &websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: o.HandshakeTimeout}
	}
	return nil
}

// Interval bounds: below 10 ms is a server bug, above a day is one too.
const (
	minInterval = 10 * time.Millisecond
	maxInterval = 24 * time.Hour
)

func clampInterval(d time.Duration) time.Duration {
	return max(minInterval, min(maxInterval, d))
}
