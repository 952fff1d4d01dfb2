package relay_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/memory"
	"github.com/breeze-rmm/breeze/core/app/relay"
	"github.com/breeze-rmm/breeze/ports"
)

// countingRegistry counts the claims made one by one and all at once.
type countingRegistry struct {
	ports.PresenceRegistry
	mu             sync.Mutex
	single, rounds int
	most           int // devices in the largest ClaimAll
}

func (c *countingRegistry) Claim(ctx context.Context, id, node string, ttl time.Duration) error {
	c.mu.Lock()
	if id[:2] == "d-" {
		c.single++
	}
	c.mu.Unlock()
	return c.PresenceRegistry.Claim(ctx, id, node, ttl)
}

func (c *countingRegistry) ClaimAll(ctx context.Context, ids []string, node string, ttl time.Duration) error {
	c.mu.Lock()
	c.rounds++
	c.most = max(c.most, len(ids))
	c.mu.Unlock()
	return c.PresenceRegistry.ClaimAll(ctx, ids, node, ttl)
}

// A node renews all of its claims in one registry call per round, and
// they outlive their TTL while it runs.
func TestClaimsAreRenewedTogether(t *testing.T) {
	reg := &countingRegistry{PresenceRegistry: memory.NewPresenceRegistry(memory.PresenceRegistryOptions{})}
	bus := memory.NewBus(memory.BusOptions{})
	defer bus.Close()
	const n, ttl = 300, 600 * time.Millisecond
	held := links{}
	for i := range n {
		held[fmt.Sprintf("d-%d", i)] = true
	}
	r, err := relay.New(relay.Deps{Bus: bus, Registry: reg, NodeID: "node-a", Links: held, ClaimTTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx, ready) }()
	<-ready
	for id := range held {
		if err := r.Linked(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(3 * ttl)
	for id := range held {
		if node, ok, err := reg.Lookup(ctx, id); err != nil || !ok || node != "node-a" {
			t.Fatalf("%s after 3 TTLs: %q %v %v", id, node, ok, err)
		}
	}
	cancel()
	<-done
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if reg.single != n || reg.rounds < 3 || reg.most != n {
		t.Fatalf("claims one by one %d (want %d, the links' own), renewal rounds %d (want ≥ 3), largest %d (want %d)",
			reg.single, n, reg.rounds, reg.most, n)
	}
}
