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

// Store is what the service needs from storage: the tenancy store and the
// agent store. (Once ports.Store embeds ports.AgentStore this is just it.)
type Store interface {
	ports.Store
	ports.AgentStore
}

// AsStore returns st as a Store, or an error naming what is missing. InTx
// hands transactions out as ports.Store; this recovers the agent accessors.
func AsStore(st ports.Store) (Store, error) {
	if s, ok := st.(Store); ok {
		return s, nil
	}
	return nil, fmt.Errorf("agents: the store %T does not implement ports.AgentStore", st)
}

// LinkCloser closes a device's live link, if this node holds one. The
// WebSocket hub implements it; decommissioning calls it.
type LinkCloser interface {
	Close(deviceID string)
}

// PluginOffers lists the agent-side plugins a device should run.
type PluginOffers interface {
	OffersFor(ctx context.Context, deviceID string) ([]protocol.PluginOffer, error)
}

// SetPlugins installs the plugin offers (the plugin service is built after
// this one). Call it before serving.
func (s *Service) SetPlugins(p PluginOffers) { s.d.Plugins = p }

// SampleSink accepts heartbeat samples without blocking; false means the
// sample was dropped (the queue is full). BatchWriter implements it.
type SampleSink interface {
	Add(s domain.MetricSample) bool
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
	Store   Store
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
	Logger  ports.Logger

	// HeartbeatInterval is what agents are told (default 60 s).
	HeartbeatInterval time.Duration
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

// inTx runs fn in one transaction with the agent accessors available.
func (s *Service) inTx(ctx context.Context, fn func(ctx context.Context, tx Store) error) error {
	return s.d.Store.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		st, err := AsStore(tx)
		if err != nil {
			return err
		}
		return fn(ctx, st)
	})
}
