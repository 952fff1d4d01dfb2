package queuetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/ports"
)

func testTimeout(t *testing.T, h Harness) {
	q := newQueue(t, h, Options{})
	type seen struct {
		err     error
		elapsed time.Duration
		hasDL   bool
		dl      time.Duration
	}
	c := make(chan seen, 4)
	q.Handle("slow", 2, func(ctx context.Context, task ports.Task) error {
		t0 := time.Now()
		dl, ok := ctx.Deadline()
		if string(task.Payload) == "default" {
			c <- seen{hasDL: ok, dl: time.Until(dl)}
			return nil
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		c <- seen{err: ctx.Err(), elapsed: time.Since(t0), hasDL: ok}
		return ctx.Err()
	})
	start(t, q)
	id := enqueue(t, q, "slow", nil, ports.EnqueueOptions{Timeout: 150 * time.Millisecond, MaxRetries: -1})
	s := recv(t, c, "timed-out attempt")
	if !errors.Is(s.err, context.DeadlineExceeded) || !s.hasDL || s.elapsed < 100*time.Millisecond || s.elapsed > 3*time.Second {
		t.Fatalf("handler saw %+v, want DeadlineExceeded after about 150ms", s)
	}
	if ti := waitState(t, q, id, ports.TaskDead); ti.Attempts != 1 || ti.LastError == "" {
		t.Fatalf("timed-out task %+v, want dead after 1 attempt", ti)
	}
	enqueue(t, q, "slow", []byte("default"), ports.EnqueueOptions{})
	if s := recv(t, c, "default timeout"); !s.hasDL || s.dl < 50*time.Second || s.dl > 61*time.Second {
		t.Fatalf("default attempt deadline in %v (set %v), want about 60s", s.dl, s.hasDL)
	}
}

// counter counts handler completions per task id.
type counter struct {
	mu   sync.Mutex
	runs map[string]int
}

func (c *counter) inc(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.runs == nil {
		c.runs = map[string]int{}
	}
	c.runs[id]++
}

func (c *counter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.runs))
	for k, v := range c.runs {
		out[k] = v
	}
	return out
}

func testGracefulShutdownRestart(t *testing.T, h Harness) {
	var done counter
	started := make(chan string, 100)
	slow := func(ctx context.Context, task ports.Task) error {
		started <- task.ID
		select {
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err() // the suite fails below if this happens
		}
		done.inc(task.ID)
		return nil
	}
	a := newQueue(t, h, Options{})
	a.Handle("job", 1, slow)
	ids := map[string]bool{}
	for range 5 {
		ids[enqueue(t, a, "job", nil, ports.EnqueueOptions{})] = true
	}
	later := enqueue(t, a, "job", nil, ports.EnqueueOptions{ProcessIn: 300 * time.Millisecond})
	ids[later] = true
	start(t, a)
	first := recv(t, started, "first attempt")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := a.Shutdown(ctx); err != nil {
		t.Fatalf("graceful Shutdown: %v", err)
	}
	// The running attempt finished; nothing else started after Shutdown.
	afterA := done.snapshot()
	if afterA[first] != 1 {
		t.Fatalf("after Shutdown, runs %v: the running attempt %s did not finish", afterA, first)
	}
	if _, err := a.Enqueue(context.Background(), "job", nil, ports.EnqueueOptions{}); !errors.Is(err, ports.ErrQueueClosed) {
		t.Fatalf("Enqueue after Shutdown = %v, want ErrQueueClosed", err)
	}
	for id := range afterA {
		if ti, err := a.Info(context.Background(), id); err == nil && ti.State != ports.TaskDone {
			t.Fatalf("finished task %s is %q", id, ti.State)
		}
	}
	for id := range ids {
		if afterA[id] == 0 {
			if ti := info(t, a, id); ti.State != ports.TaskPending && ti.State != ports.TaskScheduled {
				t.Fatalf("unstarted task %s is %q after Shutdown, want pending or scheduled", id, ti.State)
			}
		}
	}
	// A new instance on the same store (a restart) runs the rest, once each.
	b := newQueue(t, h, Options{})
	b.Handle("job", 3, slow)
	start(t, b)
	eventually(t, "every task done once across the restart", func() bool { return len(done.snapshot()) == len(ids) })
	time.Sleep(100 * time.Millisecond)
	for id, n := range done.snapshot() {
		if !ids[id] || n != 1 {
			t.Fatalf("task %s completed %d times (known %v), want once", id, n, ids[id])
		}
	}
}

func testForcedShutdownCancels(t *testing.T, h Harness) {
	a := newQueue(t, h, Options{})
	started := make(chan string, 1)
	cancelled := make(chan error, 1)
	a.Handle("stuck", 1, func(ctx context.Context, task ports.Task) error {
		started <- task.ID
		<-ctx.Done()
		cancelled <- ctx.Err()
		return ctx.Err()
	})
	start(t, a)
	id := enqueue(t, a, "stuck", nil, ports.EnqueueOptions{})
	recv(t, started, "attempt")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	err := a.Shutdown(ctx)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("forced Shutdown: %v", err)
	}
	if el := time.Since(t0); el > wait {
		t.Fatalf("forced Shutdown took %v", el)
	}
	recv(t, cancelled, "handler ctx cancelled by Shutdown")
	// The interrupted attempt is not lost: another instance runs it.
	b := newQueue(t, h, Options{})
	rec := newRecorder(nil)
	b.Handle("stuck", 1, rec.handle)
	start(t, b)
	deadline := h.Lease + wait
	select {
	case r := <-rec.c:
		if r.task.ID != id {
			t.Fatalf("restarted instance ran %s, want %s", r.task.ID, id)
		}
	case <-time.After(deadline):
		t.Fatalf("the interrupted task was not run again within %v", deadline)
	}
	waitState(t, b, id, ports.TaskDone)
}

func testVanishedWorker(t *testing.T, h Harness) {
	a := newQueue(t, h, Options{})
	release := newLatch()
	t.Cleanup(release.open)
	started := make(chan string, 1)
	// A stuck worker: ignores its ctx, as if its process had frozen.
	a.Handle("orphan", 1, func(ctx context.Context, task ports.Task) error {
		started <- task.ID
		<-release.done()
		return errors.New("late result of a vanished worker")
	})
	start(t, a)
	id := enqueue(t, a, "orphan", []byte("o"), ports.EnqueueOptions{MaxRetries: 1})
	recv(t, started, "attempt on A")
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	t0 := time.Now()
	_ = a.Shutdown(gone) // an error is allowed: the attempt did not finish
	if el := time.Since(t0); el > wait {
		t.Fatalf("Shutdown with a cancelled ctx took %v", el)
	}
	b := newQueue(t, h, Options{})
	rec := newRecorder(nil)
	b.Handle("orphan", 1, rec.handle)
	start(t, b)
	deadline := h.Lease + wait
	select {
	case r := <-rec.c:
		if r.task.ID != id || string(r.task.Payload) != "o" {
			t.Fatalf("B ran %+v, want %s", r.task, id)
		}
	case <-time.After(deadline):
		t.Fatalf("the vanished worker's task was not run again within %v", deadline)
	}
	waitState(t, b, id, ports.TaskDone)
	// The vanished worker's late result must not resurrect or kill the task.
	release.open()
	time.Sleep(100 * time.Millisecond)
	if ti, err := b.Info(context.Background(), id); err == nil && ti.State != ports.TaskDone {
		t.Fatalf("after the stale worker returned, task is %q (%s)", ti.State, ti.LastError)
	}
	noneWithin(t, rec.c, 100*time.Millisecond, "another run")
}
