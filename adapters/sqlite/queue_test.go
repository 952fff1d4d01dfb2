package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/ports/queuetest"
)

const testLease = 300 * time.Millisecond

// queueHarness opens one database file per call; every New is another queue
// instance on it, as after a restart.
func queueHarness(t testing.TB) queuetest.Harness {
	s := openTest(t, filepath.Join(t.TempDir(), "queue.db"))
	return queuetest.Harness{
		Lease: testLease,
		New: func(opts queuetest.Options) ports.Queue {
			q, err := NewQueue(QueueDeps{
				Store: s, PollInterval: 50 * time.Millisecond, RetryDelay: opts.RetryDelay,
				Lease: testLease, ShutdownGrace: 50 * time.Millisecond,
			})
			if err != nil {
				t.Fatalf("NewQueue: %v", err)
			}
			return q
		},
	}
}

func TestQueueConformance(t *testing.T) {
	queuetest.Run(t, queueHarness)
}

func BenchmarkQueue(b *testing.B) {
	queuetest.Benchmark(b, queueHarness)
}

// Enqueue inside InTx is part of that transaction: gone on rollback, kept
// on commit, and it does not deadlock on the single writer.
func TestQueueEnqueueJoinsTransaction(t *testing.T) {
	h := queueHarness(t)
	q := h.New(queuetest.Options{})
	defer q.Shutdown(context.Background())
	s := q.(*Queue).s
	ctx := context.Background()
	var rolledBack, committed string
	boom := errors.New("boom")
	err := s.InTx(ctx, func(ctx context.Context, _ ports.Store) (err error) {
		rolledBack, err = q.Enqueue(ctx, "k", nil, ports.EnqueueOptions{})
		if err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v", err)
	}
	if _, err := q.Info(ctx, rolledBack); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("task enqueued in a rolled back transaction: Info = %v, want ErrNotFound", err)
	}
	err = s.InTx(ctx, func(ctx context.Context, _ ports.Store) (err error) {
		committed, err = q.Enqueue(ctx, "k", nil, ports.EnqueueOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if ti, err := q.Info(ctx, committed); err != nil || ti.State != ports.TaskPending {
		t.Fatalf("committed task: %+v, %v", ti, err)
	}
}

// A long attempt keeps its lease: no second worker takes the task while
// the first still runs it, however many leases long it takes.
func TestQueueLeaseRenewed(t *testing.T) {
	h := queueHarness(t)
	ctx := context.Background()
	runs := make(chan string, 10)
	mk := func() ports.Queue {
		q := h.New(queuetest.Options{})
		q.Handle("long", 1, func(ctx context.Context, task ports.Task) error {
			runs <- task.ID
			time.Sleep(4 * testLease)
			return nil
		})
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = q.Shutdown(ctx) })
		return q
	}
	a, _ := mk(), mk()
	id, err := a.Enqueue(ctx, "long", nil, ports.EnqueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	<-runs
	select {
	case second := <-runs:
		t.Fatalf("task %s ran twice at once (second %s)", id, second)
	case <-time.After(5 * testLease):
	}
	if _, err := a.Info(ctx, id); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("after the attempt: Info = %v, want ErrNotFound (done tasks are deleted)", err)
	}
}

// Dead tasks past their retention are pruned when a queue starts.
func TestQueuePrunesOldDead(t *testing.T) {
	h := queueHarness(t)
	ctx := context.Background()
	q := h.New(queuetest.Options{})
	q.Handle("bad", 1, func(context.Context, ports.Task) error { return ports.SkipRetry(errors.New("no")) })
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	id, _ := q.Enqueue(ctx, "bad", nil, ports.EnqueueOptions{})
	deadline := time.Now().Add(5 * time.Second)
	for {
		if ti, err := q.Info(ctx, id); err == nil && ti.State == ports.TaskDead {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("task not dead")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = q.Shutdown(ctx)
	s := q.(*Queue).s
	later, err := NewQueue(QueueDeps{Store: s, DeadRetention: time.Hour,
		Clock: ports.ClockFunc(func() time.Time { return time.Now().Add(2 * time.Hour) })})
	if err != nil {
		t.Fatal(err)
	}
	if err := later.Start(ctx); err != nil {
		t.Fatal(err)
	}
	_ = later.Shutdown(ctx)
	if _, err := q.Info(ctx, id); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("old dead task: Info = %v, want pruned", err)
	}
}
