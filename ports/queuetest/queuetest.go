// Package queuetest is the conformance suite of ports.Queue. Every adapter
// runs Run (and Benchmark) unchanged.
//
// The factory is called once per subtest and returns a Harness bound to a
// fresh backing store (SQLite file, Redis namespace) that lives until the
// subtest ends; every Harness.New on it is another queue instance on that
// same store, which is how the suite restarts a node. The suite shuts every
// queue it makes down at cleanup, before the factory's own cleanups run.
//
// Subtests run in parallel and wait on events with generous deadlines;
// timing assertions are lower bounds only (not run early, waited at least
// the retry delay), never "fast enough".
package queuetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Options are what the suite asks of one queue instance.
type Options struct {
	// RetryDelay replaces the queue's backoff: the delay before retry n
	// (n from 1). The suite passes milliseconds, or hours to hold a task
	// in the retry state.
	RetryDelay func(n int) time.Duration
}

// Harness makes queue instances on one backing store.
type Harness struct {
	// New returns a new, not yet started queue on the harness's store.
	New func(opts Options) ports.Queue
	// Lease bounds how long after its worker vanished (forced shutdown with
	// the handler still stuck) a task is run again by another instance; the
	// suite waits Lease plus slack.
	Lease time.Duration
}

// wait bounds every expected event.
const wait = 5 * time.Second

// Run runs the suite.
func Run(t *testing.T, factory func(t testing.TB) Harness) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"EnqueueAndHandle", testEnqueueAndHandle},
		{"PayloadRoundTrip", testPayloadRoundTrip},
		{"InfoBeforeStart", testInfoBeforeStart},
		{"InfoUnknown", testInfoUnknown},
		{"Validation", testValidation},
		{"HandleMisuse", testHandleMisuse},
		{"Delayed", testDelayed},
		{"RetryThenDead", testRetryThenDead},
		{"SkipRetry", testSkipRetry},
		{"PanicIsError", testPanicIsError},
		{"NoRetries", testNoRetries},
		{"DeadFilter", testDeadFilter},
		{"Concurrency", testConcurrency},
		{"Unique", testUnique},
		{"UniqueConcurrent", testUniqueConcurrent},
		{"Timeout", testTimeout},
		{"GracefulShutdownRestart", testGracefulShutdownRestart},
		{"ForcedShutdownCancels", testForcedShutdownCancels},
		{"VanishedWorker", testVanishedWorker},
		{"Closed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, factory(t))
		})
	}
}

// fastRetry is the backoff most subtests use.
func fastRetry(n int) time.Duration { return time.Duration(n) * 20 * time.Millisecond }

// newQueue makes a queue shut down at cleanup.
func newQueue(t testing.TB, h Harness, opts Options) ports.Queue {
	t.Helper()
	if opts.RetryDelay == nil {
		opts.RetryDelay = fastRetry
	}
	q := h.New(opts)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := q.Shutdown(ctx); err != nil {
			t.Errorf("cleanup Shutdown: %v", err)
		}
	})
	return q
}

func start(t testing.TB, q ports.Queue) {
	t.Helper()
	if err := q.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

func enqueue(t testing.TB, q ports.Queue, kind string, payload []byte, opts ports.EnqueueOptions) string {
	t.Helper()
	id, err := q.Enqueue(context.Background(), kind, payload, opts)
	if err != nil {
		t.Fatalf("Enqueue(%q): %v", kind, err)
	}
	if id == "" {
		t.Fatalf("Enqueue(%q) returned an empty id", kind)
	}
	return id
}

func info(t testing.TB, q ports.Queue, id string) ports.TaskInfo {
	t.Helper()
	ti, err := q.Info(context.Background(), id)
	if err != nil {
		t.Fatalf("Info(%s): %v", id, err)
	}
	return ti
}

// eventually polls cond until it holds or wait passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, wait)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitState waits until Info reports state (done also matches ErrNotFound:
// adapters may forget finished tasks).
func waitState(t testing.TB, q ports.Queue, id string, state ports.TaskState) ports.TaskInfo {
	t.Helper()
	var last ports.TaskInfo
	var lastErr error
	deadline := time.Now().Add(wait)
	for {
		last, lastErr = q.Info(context.Background(), id)
		switch {
		case lastErr == nil && last.State == state:
			return last
		case state == ports.TaskDone && errors.Is(lastErr, domain.ErrNotFound):
			return ports.TaskInfo{ID: id, State: ports.TaskDone}
		case lastErr != nil && !errors.Is(lastErr, domain.ErrNotFound):
			t.Fatalf("Info(%s): %v", id, lastErr)
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s: state %q (err %v), want %q within %s", id, last.State, lastErr, state, wait)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// recv returns the next value of c or fails after wait.
func recv[T any](t testing.TB, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(wait):
		t.Fatalf("%s: nothing within %s", what, wait)
	}
	var zero T
	return zero
}

// run is one handler call as the suite saw it.
type run struct {
	task ports.Task
	at   time.Time
}

// recorder is a handler that reports every call on a channel and returns
// what result says (nil result: success).
type recorder struct {
	c      chan run
	result func(t ports.Task) error
}

func newRecorder(result func(t ports.Task) error) *recorder {
	return &recorder{c: make(chan run, 1000), result: result}
}

func (r *recorder) handle(_ context.Context, t ports.Task) error {
	r.c <- run{task: t, at: time.Now()}
	if r.result == nil {
		return nil
	}
	return r.result(t)
}

// noneWithin asserts that nothing arrives on c within d.
func noneWithin[T any](t testing.TB, c <-chan T, d time.Duration, what string) {
	t.Helper()
	select {
	case v := <-c:
		t.Fatalf("%s: got %+v", what, v)
	case <-time.After(d):
	}
}

// latch is closed once.
type latch struct {
	once sync.Once
	c    chan struct{}
}

func newLatch() *latch                 { return &latch{c: make(chan struct{})} }
func (l *latch) open()                 { l.once.Do(func() { close(l.c) }) }
func (l *latch) done() <-chan struct{} { return l.c }

// atomicInt tracks a gauge and its maximum.
type atomicInt struct{ v atomic.Int64 }

func (a *atomicInt) add(d int64) int64 { return a.v.Add(d) }
func (a *atomicInt) load() int64       { return a.v.Load() }

// raise sets a to at least n.
func (a *atomicInt) raise(n int64) {
	for {
		cur := a.v.Load()
		if n <= cur || a.v.CompareAndSwap(cur, n) {
			return
		}
	}
}
