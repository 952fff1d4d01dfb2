package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/breeze-rmm/breeze/ports"
)

// DefaultPresencePrefix prefixes every key when PresenceRegistryDeps.Prefix is empty.
const DefaultPresencePrefix = "breeze:presence:"

// releaseScript deletes the key only while it still names the releasing
// node, so a stale node cannot erase a newer claim made by another one.
// KEYS[1] the agent's key; ARGV[1] the node id. Returns 1 when deleted.
var releaseScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// PresenceRegistryDeps configures NewPresenceRegistry.
type PresenceRegistryDeps struct {
	// Client is a standalone, failover or cluster client (one key per call).
	Client goredis.UniversalClient
	// Prefix is put before every agent id (empty: DefaultPresencePrefix).
	Prefix string
}

// PresenceRegistry is the ports.PresenceRegistry shared by every server
// node: one key per agent holding the node id, with the claim's TTL.
type PresenceRegistry struct {
	client goredis.UniversalClient
	prefix string
}

var _ ports.PresenceRegistry = (*PresenceRegistry)(nil)

// NewPresenceRegistry returns a registry on deps.Client. It panics without
// a client (a wiring mistake).
func NewPresenceRegistry(deps PresenceRegistryDeps) *PresenceRegistry {
	if deps.Client == nil {
		panic("redis.NewPresenceRegistry: nil Client")
	}
	if deps.Prefix == "" {
		deps.Prefix = DefaultPresencePrefix
	}
	return &PresenceRegistry{client: deps.Client, prefix: deps.Prefix}
}

// Claim implements ports.PresenceRegistry with SET PX: last claim wins and
// restarts the TTL. Redis keeps milliseconds: the TTL is rounded up.
func (r *PresenceRegistry) Claim(ctx context.Context, agentID, nodeID string, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redis presence: %w", err)
	}
	if err := ports.ValidatePresenceID("agent", agentID); err != nil {
		return err
	}
	if err := ports.ValidatePresenceID("node", nodeID); err != nil {
		return err
	}
	if err := ports.ValidatePresenceTTL(ttl); err != nil {
		return err
	}
	ttl = (ttl + time.Millisecond - 1).Truncate(time.Millisecond)
	if err := r.client.Set(ctx, r.prefix+agentID, nodeID, ttl).Err(); err != nil {
		return fmt.Errorf("redis presence: claim: %w", err)
	}
	return nil
}

// claimAllChunk bounds the commands of one pipeline: a node renewing
// 20 000 claims sends 20 round trips' worth of SETs in a few, not 20 000.
const claimAllChunk = 1000

// ClaimAll implements ports.PresenceRegistry with SET PX pipelined (one
// round trip per claimAllChunk claims). The pipeline is not a
// transaction: each SET stands alone, as with Claim; in a cluster
// go-redis splits it by slot.
func (r *PresenceRegistry) ClaimAll(ctx context.Context, agentIDs []string, nodeID string, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redis presence: %w", err)
	}
	if err := ports.ValidatePresenceClaims(agentIDs, nodeID, ttl); err != nil {
		return err
	}
	ttl = (ttl + time.Millisecond - 1).Truncate(time.Millisecond)
	for len(agentIDs) > 0 {
		chunk := agentIDs[:min(len(agentIDs), claimAllChunk)]
		agentIDs = agentIDs[len(chunk):]
		_, err := r.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
			for _, id := range chunk {
				p.Set(ctx, r.prefix+id, nodeID, ttl)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("redis presence: claim all: %w", err)
		}
	}
	return nil
}

// Release implements ports.PresenceRegistry with a compare-and-delete script.
func (r *PresenceRegistry) Release(ctx context.Context, agentID, nodeID string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redis presence: %w", err)
	}
	if err := ports.ValidatePresenceID("agent", agentID); err != nil {
		return err
	}
	if err := ports.ValidatePresenceID("node", nodeID); err != nil {
		return err
	}
	if err := releaseScript.Run(ctx, r.client, []string{r.prefix + agentID}, nodeID).Err(); err != nil {
		return fmt.Errorf("redis presence: release: %w", err)
	}
	return nil
}

// Lookup implements ports.PresenceRegistry.
func (r *PresenceRegistry) Lookup(ctx context.Context, agentID string) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, fmt.Errorf("redis presence: %w", err)
	}
	if err := ports.ValidatePresenceID("agent", agentID); err != nil {
		return "", false, err
	}
	node, err := r.client.Get(ctx, r.prefix+agentID).Result()
	if errors.Is(err, goredis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("redis presence: lookup: %w", err)
	}
	return node, true, nil
}
