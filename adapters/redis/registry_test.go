package redis_test

import (
	"context"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/breeze-rmm/breeze/adapters/redis"
	"github.com/breeze-rmm/breeze/adapters/redis/redistest"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/ports/registrytest"
)

func TestPresenceRegistryConformance(t *testing.T) {
	registrytest.Run(t, func(t testing.TB) ports.PresenceRegistry {
		client, prefix := redistest.NewClient(t)
		return redis.NewPresenceRegistry(redis.PresenceRegistryDeps{Client: client, Prefix: prefix})
	})
}

// Two nodes with their own connection pools see one registry; keys live
// under the prefix with the claim's TTL.
func TestPresenceRegistryNodesShare(t *testing.T) {
	client, prefix := redistest.NewClient(t)
	other, _ := redistest.NewClient(t)
	nodeA := redis.NewPresenceRegistry(redis.PresenceRegistryDeps{Client: client, Prefix: prefix + "p:"})
	nodeB := redis.NewPresenceRegistry(redis.PresenceRegistryDeps{Client: other, Prefix: prefix + "p:"})
	ctx := context.Background()
	if err := nodeA.Claim(ctx, "agent-1", "node-a", 90*time.Second); err != nil {
		t.Fatal(err)
	}
	if node, ok, err := nodeB.Lookup(ctx, "agent-1"); err != nil || !ok || node != "node-a" {
		t.Fatalf("Lookup on node B = %q, %v, %v; want node-a", node, ok, err)
	}
	ttl, err := client.PTTL(ctx, prefix+"p:agent-1").Result()
	if err != nil || ttl <= 80*time.Second || ttl > 90*time.Second {
		t.Fatalf("PTTL = %s, %v; want about 90s", ttl, err)
	}
	if err := nodeB.Claim(ctx, "agent-1", "node-b", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := nodeA.Release(ctx, "agent-1", "node-a"); err != nil {
		t.Fatal(err)
	}
	if node, ok, err := nodeA.Lookup(ctx, "agent-1"); err != nil || !ok || node != "node-b" {
		t.Fatalf("after node A's stale release: %q, %v, %v; want node-b", node, ok, err)
	}
}

func TestPresenceRegistryUnreachable(t *testing.T) {
	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = client.Close() })
	r := redis.NewPresenceRegistry(redis.PresenceRegistryDeps{Client: client})
	ctx := context.Background()
	if err := r.Claim(ctx, "a", "n", time.Second); err == nil {
		t.Error("Claim on an unreachable Redis: no error")
	}
	if err := r.Release(ctx, "a", "n"); err == nil {
		t.Error("Release on an unreachable Redis: no error")
	}
	if _, ok, err := r.Lookup(ctx, "a"); err == nil || ok {
		t.Errorf("Lookup on an unreachable Redis: ok=%v err=%v; want an error", ok, err)
	}
}
