package ports

import (
	"context"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// MaxPresenceIDLen bounds agent and node ids in the PresenceRegistry, in bytes.
const MaxPresenceIDLen = 200

// MinPresenceTTL is the shortest claim (Redis expires keys to the millisecond).
const MinPresenceTTL = time.Millisecond

// PresenceRegistry records which server node holds (has the live link of)
// which agent, so a command for the agent can be sent over the Bus to that
// node. Implementations: adapters/memory (one process), adapters/redis
// (keys with a TTL, shared by every node).
//
// Semantics, identical in every adapter and asserted by ports/registrytest:
//   - Claim records nodeID as the holder and (re)starts the TTL; the last
//     Claim wins, whichever node made it (the agent reconnected elsewhere).
//   - An entry not claimed again within its TTL disappears: Lookup then
//     answers ok=false. A node keeps its agents by claiming again well
//     before the TTL runs out (e.g. every TTL/3).
//   - Release deletes the entry only while nodeID still holds it (compare
//     and delete, atomically), so a node closing a stale link does not erase
//     a newer claim by another node. Releasing what one does not hold is
//     not an error.
//   - ClaimAll is Claim of each agent, in one round trip however many
//     (a node renews all of its claims at once); an invalid id claims
//     nothing. On another error some of the claims may have been made.
//   - Empty or over-long ids (> MaxPresenceIDLen bytes) and a TTL below
//     MinPresenceTTL are domain.ErrInvalid; a done ctx is an error wrapping
//     ctx.Err().
type PresenceRegistry interface {
	// Claim records that nodeID holds agentID for ttl.
	Claim(ctx context.Context, agentID, nodeID string, ttl time.Duration) error
	// ClaimAll records that nodeID holds each of agentIDs for ttl.
	ClaimAll(ctx context.Context, agentIDs []string, nodeID string, ttl time.Duration) error
	// Release forgets agentID if nodeID still holds it.
	Release(ctx context.Context, agentID, nodeID string) error
	// Lookup tells which node holds agentID, if any.
	Lookup(ctx context.Context, agentID string) (nodeID string, ok bool, err error)
}

// ValidatePresenceID reports an empty or over-long id as domain.ErrInvalid
// (what names it, "agent" or "node", goes into the message).
func ValidatePresenceID(what, id string) error {
	if id == "" {
		return domain.Invalidf("presence: empty %s id", what)
	}
	if len(id) > MaxPresenceIDLen {
		return domain.Invalidf("presence: %s id of %d bytes, max %d", what, len(id), MaxPresenceIDLen)
	}
	return nil
}

// ValidatePresenceClaims checks what ClaimAll is given (see
// ValidatePresenceID and ValidatePresenceTTL).
func ValidatePresenceClaims(agentIDs []string, nodeID string, ttl time.Duration) error {
	for _, id := range agentIDs {
		if err := ValidatePresenceID("agent", id); err != nil {
			return err
		}
	}
	if err := ValidatePresenceID("node", nodeID); err != nil {
		return err
	}
	return ValidatePresenceTTL(ttl)
}

// ValidatePresenceTTL reports a TTL below MinPresenceTTL as domain.ErrInvalid.
func ValidatePresenceTTL(ttl time.Duration) error {
	if ttl < MinPresenceTTL {
		return domain.Invalidf("presence: ttl %s below %s", ttl, MinPresenceTTL)
	}
	return nil
}
