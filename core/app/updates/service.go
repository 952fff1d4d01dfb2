// Package updates is the agents' self-update on the server: agent builds
// (releases) signed offline with a release key, and rollouts that move a
// partner's, org's, site's or group's agents to a version in stages,
// pausing between stages and stopping when failures pass a threshold.
//
// Progress is driven by Tick, which every node runs: the rollout and
// device rows are the whole state (a node restart loses nothing),
// assignments are idempotent, device transitions are guarded by their
// current state and rollout transitions are compare-and-set, so nodes
// ticking together do each step once. Offers go over the relay to the
// node holding the link; a device offline at its stage gets its offer
// when it links (OnLinkUp). A device counts as updated when it links on
// the target version (hello's agentVersion) or reports it.
package updates

import (
	"context"
	"crypto/ed25519"
	"errors"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Defaults.
const (
	DefaultTickEvery     = 2 * time.Second
	DefaultDeviceTimeout = 30 * time.Minute
	// MaxBinary bounds an uploaded build.
	MaxBinary = 64 << 20
)

// AgentSender pushes a frame to a device's live link wherever it is
// (core/app/relay.Relay).
type AgentSender interface {
	ToAgent(ctx context.Context, deviceID string, frame any) error
}

// Deps are the service's collaborators.
type Deps struct {
	Store  ports.Store
	Agents AgentSender // nil: offers wait for the link-up
	Clock  ports.Clock
	Logger ports.Logger
	// ReleaseKeys verify uploaded builds (the public halves of the release
	// keys; the private ones never reach the server).
	ReleaseKeys []ed25519.PublicKey
	// CacheDir keeps builds read from the database as files, so a download
	// is served from disk ("" : from memory).
	CacheDir      string
	TickEvery     time.Duration
	DeviceTimeout time.Duration // offered/downloading/installed longer than this: failed
}

// Service is the releases and rollouts use cases.
type Service struct {
	d Deps
}

// New checks d and builds the service.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Clock == nil || d.Logger == nil {
		return nil, errors.New("updates: Store, Clock and Logger are required")
	}
	if d.TickEvery <= 0 {
		d.TickEvery = DefaultTickEvery
	}
	if d.DeviceTimeout <= 0 {
		d.DeviceTimeout = DefaultDeviceTimeout
	}
	return &Service{d: d}, nil
}

// Run ticks until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.d.TickEvery)
	defer t.Stop()
	for {
		if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.d.Logger.Warn("rollout tick failed; the next one retries", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// notFound is the answer for anything outside the caller's scope.
func notFound(what string) error { return domain.NotFoundf("%s not found", what) }
