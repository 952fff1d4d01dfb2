package queuetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/ports"
)

// dup asserts that a second task of kind and key is refused.
func dup(t *testing.T, q ports.Queue, kind, key, state string) {
	t.Helper()
	id, err := q.Enqueue(context.Background(), kind, []byte("again"), ports.EnqueueOptions{UniqueKey: key})
	if !errors.Is(err, ports.ErrDuplicateTask) || id != "" {
		t.Fatalf("duplicate of a %s task: Enqueue = %q, %v; want ErrDuplicateTask", state, id, err)
	}
}

func testUnique(t *testing.T, h Harness) {
	q := newQueue(t, h, Options{RetryDelay: func(int) time.Duration { return time.Hour }})
	release := newLatch()
	t.Cleanup(release.open)
	started := make(chan string, 10)
	q.Handle("u-active", 1, func(ctx context.Context, task ports.Task) error {
		started <- task.ID
		<-release.done()
		return nil
	})
	q.Handle("u-retry", 1, func(context.Context, ports.Task) error { return errors.New("later") })
	q.Handle("u-dead", 1, func(context.Context, ports.Task) error { return ports.SkipRetry(errors.New("never")) })

	// pending: a kind with no handler here
	p := enqueue(t, q, "u-pending", []byte("first"), ports.EnqueueOptions{UniqueKey: "k"})
	dup(t, q, "u-pending", "k", "pending")
	enqueue(t, q, "u-pending", nil, ports.EnqueueOptions{UniqueKey: "other-key"})
	enqueue(t, q, "u-other-kind", nil, ports.EnqueueOptions{UniqueKey: "k"})
	enqueue(t, q, "u-pending", nil, ports.EnqueueOptions{}) // no key: never unique
	enqueue(t, q, "u-pending", nil, ports.EnqueueOptions{})
	if ti := info(t, q, p); string(ti.Payload) != "first" || ti.UniqueKey != "k" {
		t.Fatalf("the duplicate changed the stored task: %+v", ti)
	}
	// scheduled
	enqueue(t, q, "u-scheduled", nil, ports.EnqueueOptions{UniqueKey: "k", ProcessIn: time.Hour})
	dup(t, q, "u-scheduled", "k", "scheduled")

	start(t, q)
	a := enqueue(t, q, "u-active", nil, ports.EnqueueOptions{UniqueKey: "k"})
	if got := recv(t, started, "active task"); got != a {
		t.Fatalf("started %s, want %s", got, a)
	}
	dup(t, q, "u-active", "k", "active")
	r := enqueue(t, q, "u-retry", nil, ports.EnqueueOptions{UniqueKey: "k"})
	waitState(t, q, r, ports.TaskRetry)
	dup(t, q, "u-retry", "k", "retrying")
	d := enqueue(t, q, "u-dead", nil, ports.EnqueueOptions{UniqueKey: "k"})
	waitState(t, q, d, ports.TaskDead)
	dup(t, q, "u-dead", "k", "dead")

	// done: the key is free again
	release.open()
	waitState(t, q, a, ports.TaskDone)
	b := enqueue(t, q, "u-active", nil, ports.EnqueueOptions{UniqueKey: "k"})
	if got := recv(t, started, "task enqueued again after done"); got != b {
		t.Fatalf("started %s, want %s", got, b)
	}
}

// Many enqueues of one key at once store exactly one task.
func testUniqueConcurrent(t *testing.T, h Harness) {
	q := newQueue(t, h, Options{})
	ctx := context.Background()
	const n = 20
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := q.Enqueue(ctx, "race", nil, ports.EnqueueOptions{UniqueKey: "same"})
			errs <- err
		}()
	}
	ok := 0
	for range n {
		switch err := recv(t, errs, "concurrent enqueue"); {
		case err == nil:
			ok++
		case !errors.Is(err, ports.ErrDuplicateTask):
			t.Fatalf("concurrent enqueue: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d concurrent enqueues of one key succeeded, want 1", ok)
	}
	rec := newRecorder(nil)
	q.Handle("race", 1, rec.handle)
	start(t, q)
	first := recv(t, rec.c, "the unique task")
	waitState(t, q, first.task.ID, ports.TaskDone)
	second := enqueue(t, q, "race", nil, ports.EnqueueOptions{UniqueKey: "same"})
	if r := recv(t, rec.c, "the key reused"); r.task.ID != second {
		t.Fatalf("ran %s, want %s", r.task.ID, second)
	}
}
