package queuetest

import (
	"context"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/ports"
)

// Benchmark measures an adapter:
//   - Latency: one task at a time, back to back, from Enqueue to its
//     handler starting (ns/op is that latency, the store's write included).
//   - LatencyIdle: the same after the workers sat idle for 2 ms (outside
//     the timer): what a polling adapter costs a lone task.
//   - Enqueue: Enqueue throughput from parallel callers, no workers.
//   - Drain: enqueue b.N tasks, then time until 8 workers have run them all.
func Benchmark(b *testing.B, factory func(t testing.TB) Harness) {
	b.Run("Latency", func(b *testing.B) { benchLatency(b, factory, 0) })
	b.Run("LatencyIdle", func(b *testing.B) { benchLatency(b, factory, 2*time.Millisecond) })
	b.Run("Enqueue", func(b *testing.B) {
		q := newQueue(b, factory(b), Options{})
		ctx := context.Background()
		payload := make([]byte, 128)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := q.Enqueue(ctx, "bench", payload, ports.EnqueueOptions{}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("Drain", func(b *testing.B) {
		q := newQueue(b, factory(b), Options{})
		done := make(chan struct{}, 1024)
		q.Handle("bench", 8, func(context.Context, ports.Task) error {
			done <- struct{}{}
			return nil
		})
		ctx := context.Background()
		payload := make([]byte, 128)
		for range b.N {
			if _, err := q.Enqueue(ctx, "bench", payload, ports.EnqueueOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		start(b, q)
		for range b.N {
			select {
			case <-done:
			case <-time.After(wait):
				b.Fatal("drain stalled for 5s")
			}
		}
	})
}

// benchLatency enqueues one task at a time and waits for its handler,
// pausing idle between tasks with the timer stopped.
func benchLatency(b *testing.B, factory func(t testing.TB) Harness, idle time.Duration) {
	q := newQueue(b, factory(b), Options{})
	got := make(chan struct{}, 1)
	q.Handle("bench", 1, func(context.Context, ports.Task) error {
		got <- struct{}{}
		return nil
	})
	start(b, q)
	ctx := context.Background()
	payload := make([]byte, 128)
	b.ResetTimer()
	for range b.N {
		if idle > 0 {
			b.StopTimer()
			time.Sleep(idle)
			b.StartTimer()
		}
		if _, err := q.Enqueue(ctx, "bench", payload, ports.EnqueueOptions{}); err != nil {
			b.Fatal(err)
		}
		select {
		case <-got:
		case <-time.After(wait):
			b.Fatal("task not handled within 5s")
		}
	}
}
