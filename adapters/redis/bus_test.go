package redis_test

import (
	"context"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/breeze-rmm/breeze/adapters/redis"
	"github.com/breeze-rmm/breeze/adapters/redis/redistest"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/ports/bustest"
)

// busNodes returns a factory whose calls with one t are server nodes with
// their own connections sharing one Redis prefix (the first call's).
func busNodes() func(t testing.TB) ports.Bus {
	var mu sync.Mutex
	prefixes := map[testing.TB]string{}
	return func(t testing.TB) ports.Bus {
		client, prefix := redistest.NewClient(t)
		mu.Lock()
		if p, ok := prefixes[t]; ok {
			prefix = p
		} else {
			prefixes[t] = prefix
		}
		mu.Unlock()
		b := redis.NewBus(redis.BusDeps{Client: client, Prefix: prefix + "bus:", Buffer: 64})
		t.Cleanup(func() { _ = b.Close() })
		return b
	}
}

func TestBusConformance(t *testing.T) {
	bustest.Run(t, busNodes())
}

func BenchmarkBusPublishReceive(b *testing.B) {
	bustest.Benchmark(b, busNodes())
}

// subscribers counts Redis-side subscribers of a channel.
func subscribers(t *testing.T, client *goredis.Client, channel string) int64 {
	t.Helper()
	n, err := client.PubSubNumSub(context.Background(), channel).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n[channel]
}

// Local subscribers share one Redis subscription on the Bus's one pub/sub
// connection; the last one to leave unsubscribes; Close ends everything.
func TestBusSharesOneConnection(t *testing.T) {
	client, prefix := redistest.NewClient(t)
	b := redis.NewBus(redis.BusDeps{Client: client, Prefix: prefix})
	ctx := context.Background()
	var subs []ports.Subscription
	for _, topic := range []string{"a", "a", "a", "b"} {
		s, err := b.Subscribe(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, s)
	}
	if n := subscribers(t, client, prefix+"a"); n != 1 {
		t.Fatalf("%d Redis subscribers of topic a with 3 local ones, want 1", n)
	}
	_ = subs[0].Close()
	_ = subs[1].Close()
	if n := subscribers(t, client, prefix+"a"); n != 1 {
		t.Fatalf("%d Redis subscribers of topic a with 1 local one left, want 1", n)
	}
	_ = subs[2].Close()
	waitUntil(t, func() bool { return subscribers(t, client, prefix+"a") == 0 })
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-subs[3].C(); ok {
		t.Fatal("subscription open after Bus.Close")
	}
	waitUntil(t, func() bool { return subscribers(t, client, prefix+"b") == 0 })
	if _, err := b.Subscribe(ctx, "c"); err == nil {
		t.Fatal("Subscribe after Close succeeded")
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// A message published by a plain Redis client under the prefix arrives;
// one outside the prefix does not.
func TestBusPrefixIsolates(t *testing.T) {
	client, prefix := redistest.NewClient(t)
	b := redis.NewBus(redis.BusDeps{Client: client, Prefix: prefix + "x:"})
	t.Cleanup(func() { _ = b.Close() })
	ctx := context.Background()
	s, err := b.Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Publish(ctx, prefix+"y:t", "other prefix").Err(); err != nil {
		t.Fatal(err)
	}
	if err := client.Publish(ctx, prefix+"x:t", "mine").Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-s.C():
		if m.Topic != "t" || string(m.Payload) != "mine" {
			t.Fatalf("got {%q %q}, want {t mine}", m.Topic, m.Payload)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no message")
	}
}

func TestBusUnreachable(t *testing.T) {
	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = client.Close() })
	b := redis.NewBus(redis.BusDeps{Client: client})
	t.Cleanup(func() { _ = b.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := b.Publish(ctx, "t", []byte("x")); err == nil {
		t.Error("Publish on an unreachable Redis: no error")
	}
	if s, err := b.Subscribe(ctx, "t"); err == nil {
		_ = s.Close()
		t.Error("Subscribe on an unreachable Redis: no error")
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
