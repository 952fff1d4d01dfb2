// Package agents is the agent side of the server: enrollment keys and
// enrollment, agent authentication, the link session (hello, heartbeats,
// inventory), presence (the sweeper), telemetry batching and retention, and
// the device lifecycle actions (move, decommission).
//
// It depends on ports only. The WebSocket transport (adapters/http/agentws)
// drives the link methods; the REST edge drives the rest.
package agents

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// LinkCloser closes a device's live link, if this node holds one. The
// WebSocket hub implements it; decommissioning calls it.
type LinkCloser interface {
	Close(deviceID string)
}

// PluginOffers lists the agent-side plugins a device should run.
// The hello passes the device's org it has just read (a third read of the
// device per link would be one more query in a reconnect storm).
type PluginOffers interface {
	OffersForOrg(ctx context.Context, orgID, deviceID string) ([]protocol.PluginOffer, error)
}

// SampleSink accepts heartbeat samples without blocking; false means the
// sample was dropped (the queue is full). BatchWriter implements it.
type SampleSink interface {
	Add(s domain.MetricSample) bool
}

// SampleObserver judges heartbeats as they are accepted (the alert
// evaluator). Observe runs on the link's goroutine: it must not block nor
// touch the store.
type SampleObserver interface {
	Observe(ctx context.Context, deviceID string, at time.Time, hb *protocol.Heartbeat)
}

// ReportObserver hears reports once stored (alerting's event conditions:
// inventory facts, failed plugins). Like Observe it must not block nor
// touch the store; the report is the observer's to keep (never changed
// after the call).
type ReportObserver interface {
	InventoryStored(ctx context.Context, deviceID string, at time.Time, doc *protocol.Inventory)
	PluginStatesStored(ctx context.Context, deviceID string, at time.Time, states []domain.PluginRunState)
}

// Defaults.
const (
	DefaultHeartbeatInterval = 60 * time.Second
	DefaultKeyTTL            = 7 * 24 * time.Hour
	DefaultKeyUses           = 50 // a key minted without a use limit gets this one
	MaxKeyTTL                = 366 * 24 * time.Hour
	MaxKeyUses               = 1_000_000
)

// DefaultEnrollLimit bounds enrollment attempts per client address.
var DefaultEnrollLimit = ports.Limit{N: 20, Window: 10 * time.Minute}

// Deps are the service's collaborators and settings.
type Deps struct {
	Store   ports.Store
	Limiter ports.RateLimiter
	Clock   ports.Clock
	// Samples receives heartbeat samples (the BatchWriter). Required.
	Samples SampleSink
	// Links closes live links on decommission; nil: nothing to close.
	Links LinkCloser
	// Events receives device status changes; nil: LogEvents on Logger.
	Events Events
	// Plugins tells which agent-side plugins a device should run (the
	// welcome carries them); nil: none.
	Plugins PluginOffers
	// Monitor judges every accepted heartbeat (alerting); nil: none.
	Monitor SampleObserver
	// Reports hears stored inventory and plugin-state reports
	// (alerting's event conditions); nil: none.
	Reports ReportObserver
	// Certs issues and checks the client certificates of mutual TLS;
	// nil: none issued, none asked for.
	Certs  Certs
	Logger ports.Logger

	// HeartbeatInterval is what agents are told (default 60 s).
	HeartbeatInterval time.Duration
	// AgentURLs are the deployment's URLs agents try in turn after their
	// own (sent in every welcome; empty: none).
	AgentURLs []string
	// ReleaseKeys are the agent release public keys given at enrollment
	// (protocol.EnrollResponse.ReleaseKeys).
	ReleaseKeys []string
	// EnrollLimit is the per-IP enrollment limit (default 20 per 10 minutes).
	EnrollLimit ports.Limit
	// Retention: heartbeats older than this are refused (they would be
	// pruned at once). Default DefaultRetention.
	Retention time.Duration
}

// Service implements the agent use cases.
type Service struct{ d Deps }

// New checks deps and fills defaults.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Limiter == nil || d.Samples == nil {
		return nil, errors.New("agents: Store, Limiter and Samples are required")
	}
	if d.Clock == nil {
		d.Clock = ports.ClockFunc(time.Now)
	}
	if d.Logger == nil {
		d.Logger = ports.NopLogger{}
	}
	if d.Events == nil {
		d.Events = LogEvents{Logger: d.Logger}
	}
	if d.HeartbeatInterval < 0 || d.Retention < 0 {
		return nil, errors.New("agents: negative HeartbeatInterval or Retention")
	}
	if d.HeartbeatInterval == 0 {
		d.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if d.Retention == 0 {
		d.Retention = DefaultRetention
	}
	if d.EnrollLimit.N == 0 {
		d.EnrollLimit = DefaultEnrollLimit
	}
	if err := d.EnrollLimit.Validate(); err != nil {
		return nil, fmt.Errorf("agents: EnrollLimit: %w", err)
	}
	return &Service{d: d}, nil
}

// HeartbeatInterval is the interval agents are told to follow.
func (s *Service) HeartbeatInterval() time.Duration { return s.d.HeartbeatInterval }
