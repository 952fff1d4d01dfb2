package queueasynq_test

import (
	"context"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	queueasynq "github.com/breeze-rmm/breeze/adapters/asynq"
	"github.com/breeze-rmm/breeze/adapters/redis/redistest"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/ports/queuetest"
)

// harness gives each call a Redis prefix of its own; every New is another
// node on it. asynq's keys are "asynq:{<queue>}:…", outside the prefix that
// redistest cleans, so the harness deletes them itself.
func harness(t testing.TB) queuetest.Harness {
	client, prefix := redistest.NewClient(t)
	t.Cleanup(func() { cleanAsynq(t, client, prefix) })
	return queuetest.Harness{
		Lease: 0, // a forced Shutdown hands tasks back at once
		New: func(opts queuetest.Options) ports.Queue {
			q, err := queueasynq.New(queueasynq.Deps{
				Redis: client, Prefix: prefix, RetryDelay: opts.RetryDelay,
				PollInterval: 10 * time.Millisecond, DelayedCheck: 50 * time.Millisecond,
				ShutdownGrace: 100 * time.Millisecond,
			})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			return q
		},
	}
}

// cleanAsynq deletes the keys of the asynq queues named prefix+….
func cleanAsynq(t testing.TB, client *goredis.Client, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var keys []string
	iter := client.Scan(ctx, 0, "asynq:{"+prefix+"*", 500).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("scanning asynq keys: %v", err)
	}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		if err := client.Unlink(ctx, keys[:n]...).Err(); err != nil {
			t.Errorf("deleting asynq keys: %v", err)
			break
		}
		keys = keys[n:]
	}
	queues, err := client.SMembers(ctx, "asynq:queues").Result()
	if err != nil {
		t.Errorf("listing asynq queues: %v", err)
	}
	for _, q := range queues {
		if strings.HasPrefix(q, prefix) {
			client.SRem(ctx, "asynq:queues", q)
		}
	}
}

func TestQueueConformance(t *testing.T) {
	queuetest.Run(t, harness)
}

func BenchmarkQueue(b *testing.B) {
	queuetest.Benchmark(b, harness)
}
