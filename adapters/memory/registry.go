package memory

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/ports"
)

// registrySweepEvery is how often a Claim also sweeps expired entries, so
// agents that vanished without a Release do not pile up.
const registrySweepEvery = time.Minute

// PresenceRegistryOptions configures NewPresenceRegistry.
type PresenceRegistryOptions struct {
	// Clock gives the time (nil: the system clock, monotonic).
	Clock ports.Clock
}

// PresenceRegistry is the in-process ports.PresenceRegistry (the embedded
// profile has a single node). Expired entries are ignored on Lookup and
// swept by Claim at most once per registrySweepEvery: no goroutine to stop.
type PresenceRegistry struct {
	clock ports.Clock

	mu        sync.Mutex
	entries   map[string]presenceEntry
	nextSweep time.Time
}

type presenceEntry struct {
	node    string
	expires time.Time
}

var _ ports.PresenceRegistry = (*PresenceRegistry)(nil)

// NewPresenceRegistry returns an empty registry.
func NewPresenceRegistry(opts PresenceRegistryOptions) *PresenceRegistry {
	if opts.Clock == nil {
		opts.Clock = ports.ClockFunc(time.Now)
	}
	return &PresenceRegistry{clock: opts.Clock, entries: make(map[string]presenceEntry)}
}

// Claim implements ports.PresenceRegistry.
func (r *PresenceRegistry) Claim(ctx context.Context, agentID, nodeID string, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory presence: %w", err)
	}
	if err := presenceValidateClaim(agentID, nodeID, ttl); err != nil {
		return err
	}
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !now.Before(r.nextSweep) {
		for id, e := range r.entries {
			if !now.Before(e.expires) {
				delete(r.entries, id)
			}
		}
		r.nextSweep = now.Add(registrySweepEvery)
	}
	r.entries[agentID] = presenceEntry{node: nodeID, expires: now.Add(ttl)}
	return nil
}

// ClaimAll implements ports.PresenceRegistry.
func (r *PresenceRegistry) ClaimAll(ctx context.Context, agentIDs []string, nodeID string, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory presence: %w", err)
	}
	if err := ports.ValidatePresenceClaims(agentIDs, nodeID, ttl); err != nil {
		return err
	}
	expires := r.clock.Now().Add(ttl)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range agentIDs {
		r.entries[id] = presenceEntry{node: nodeID, expires: expires}
	}
	return nil
}

// Release implements ports.PresenceRegistry.
func (r *PresenceRegistry) Release(ctx context.Context, agentID, nodeID string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory presence: %w", err)
	}
	if err := ports.ValidatePresenceID("agent", agentID); err != nil {
		return err
	}
	if err := ports.ValidatePresenceID("node", nodeID); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.entries[agentID]; ok && e.node == nodeID {
		delete(r.entries, agentID)
	}
	return nil
}

// Lookup implements ports.PresenceRegistry.
func (r *PresenceRegistry) Lookup(ctx context.Context, agentID string) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, fmt.Errorf("memory presence: %w", err)
	}
	if err := ports.ValidatePresenceID("agent", agentID); err != nil {
		return "", false, err
	}
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.entries[agentID]
	if !ok || !now.Before(e.expires) {
		return "", false, nil
	}
	return e.node, true, nil
}

// Len is the number of entries held, expired ones not yet swept included
// (for metrics and tests).
func (r *PresenceRegistry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.entries)
}

func presenceValidateClaim(agentID, nodeID string, ttl time.Duration) error {
	if err := ports.ValidatePresenceID("agent", agentID); err != nil {
		return err
	}
	if err := ports.ValidatePresenceID("node", nodeID); err != nil {
		return err
	}
	return ports.ValidatePresenceTTL(ttl)
}
