package redis_test

import (
	"context"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/breeze-rmm/breeze/adapters/redis"
	"github.com/breeze-rmm/breeze/adapters/redis/redistest"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/ports/ratelimittest"
)

func TestRateLimiterConformance(t *testing.T) {
	ratelimittest.Run(t, func(t testing.TB) ports.RateLimiter {
		client, prefix := redistest.NewClient(t)
		return redis.NewRateLimiter(redis.RateLimiterDeps{Client: client, Prefix: prefix})
	})
}

func BenchmarkAllow(b *testing.B) {
	client, prefix := redistest.NewClient(b)
	ratelimittest.Benchmark(b, redis.NewRateLimiter(redis.RateLimiterDeps{Client: client, Prefix: prefix}))
}

// Two server nodes sharing Redis share the limit.
func TestRateLimiterNodesShareLimit(t *testing.T) {
	client, prefix := redistest.NewClient(t)
	other, _ := redistest.NewClient(t) // a second connection pool, as on another node
	node1 := redis.NewRateLimiter(redis.RateLimiterDeps{Client: client, Prefix: prefix})
	node2 := redis.NewRateLimiter(redis.RateLimiterDeps{Client: other, Prefix: prefix})
	ctx := context.Background()
	lim := ports.Limit{N: 4, Window: time.Minute}
	for i := range lim.N {
		node := node1
		if i%2 == 1 {
			node = node2
		}
		d, err := node.Allow(ctx, "login:bob", lim)
		if err != nil || !d.Allowed || d.Remaining != lim.N-1-i {
			t.Fatalf("event %d: %+v, %v", i+1, d, err)
		}
	}
	for _, node := range []*redis.RateLimiter{node1, node2} {
		if d, err := node.Allow(ctx, "login:bob", lim); err != nil || d.Allowed {
			t.Fatalf("allowed beyond N across nodes: %+v, %v", d, err)
		}
	}
	if err := node2.Reset(ctx, "login:bob"); err != nil {
		t.Fatal(err)
	}
	if d, err := node1.Allow(ctx, "login:bob", lim); err != nil || !d.Allowed {
		t.Fatalf("after Reset on the other node: %+v, %v", d, err)
	}
}

// Keys live under the prefix, hold only counted events and expire with
// their window, so Redis memory stays bounded without a janitor.
func TestRateLimiterKeysUnderPrefixExpire(t *testing.T) {
	client, prefix := redistest.NewClient(t)
	rl := redis.NewRateLimiter(redis.RateLimiterDeps{Client: client, Prefix: prefix + "rl:"})
	ctx := context.Background()
	lim := ports.Limit{N: 3, Window: 90 * time.Second}
	for range 5 {
		if _, err := rl.Allow(ctx, "agent:42", lim); err != nil {
			t.Fatal(err)
		}
	}
	key := prefix + "rl:agent:42"
	if n, err := client.ZCard(ctx, key).Result(); err != nil || n != 3 {
		t.Fatalf("ZCARD %s = %d, %v; want 3 (denied events not stored)", key, n, err)
	}
	ttl, err := client.PTTL(ctx, key).Result()
	if err != nil || ttl <= lim.Window-10*time.Second || ttl > lim.Window {
		t.Fatalf("PTTL %s = %s, %v; want about %s", key, ttl, err, lim.Window)
	}
	if n, err := client.Exists(ctx, "agent:42").Result(); err != nil || n != 0 {
		t.Fatalf("unprefixed key written: %d, %v", n, err)
	}

	// A short window: the key disappears on its own.
	if _, err := rl.Allow(ctx, "short", ports.Limit{N: 1, Window: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		n, err := client.Exists(ctx, prefix+"rl:short").Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("key with a 50ms window still present after 3s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A Redis that cannot be reached is an error, never an allowed event.
func TestRateLimiterUnreachable(t *testing.T) {
	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = client.Close() })
	rl := redis.NewRateLimiter(redis.RateLimiterDeps{Client: client})
	d, err := rl.Allow(context.Background(), "k", ports.Limit{N: 5, Window: time.Second})
	if err == nil || d.Allowed {
		t.Fatalf("Allow on an unreachable Redis: %+v, %v; want an error and not allowed", d, err)
	}
	if err := rl.Reset(context.Background(), "k"); err == nil {
		t.Fatal("Reset on an unreachable Redis: no error")
	}
}
