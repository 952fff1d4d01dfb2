package queuetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/ports"
)

func testRetryThenDead(t *testing.T, h Harness) {
	delay := func(n int) time.Duration { return time.Duration(n) * 250 * time.Millisecond }
	q := newQueue(t, h, Options{RetryDelay: delay})
	rec := newRecorder(func(task ports.Task) error { return fmt.Errorf("boom %d", task.Attempt) })
	q.Handle("flaky", 1, rec.handle)
	start(t, q)
	id := enqueue(t, q, "flaky", []byte("x"), ports.EnqueueOptions{MaxRetries: 2})
	var prev time.Time
	for attempt := 1; attempt <= 3; attempt++ {
		r := recv(t, rec.c, fmt.Sprintf("attempt %d", attempt))
		if r.task.ID != id || r.task.Attempt != attempt || string(r.task.Payload) != "x" {
			t.Fatalf("attempt %d: handler got %+v", attempt, r.task)
		}
		if attempt > 1 {
			if gap, want := r.at.Sub(prev), delay(attempt-1); gap < want {
				t.Fatalf("attempt %d came %v after the previous, want at least RetryDelay(%d) = %v", attempt, gap, attempt-1, want)
			}
		}
		if attempt == 2 {
			// Between attempts the task waits in retry (or is already due).
			if ti := info(t, q, id); ti.Attempts < 1 || ti.LastError == "" {
				t.Fatalf("info between attempts %+v, want attempts and last error", ti)
			}
		}
		prev = r.at
	}
	ti := waitState(t, q, id, ports.TaskDead)
	if ti.Attempts != 3 || !strings.Contains(ti.LastError, "boom 3") || ti.Kind != "flaky" || string(ti.Payload) != "x" || ti.MaxRetries != 2 {
		t.Fatalf("dead info %+v, want 3 attempts, last error boom 3", ti)
	}
	noneWithin(t, rec.c, 200*time.Millisecond, "run after dead")
	dead, err := q.Dead(context.Background(), "flaky", 10)
	if err != nil || len(dead) != 1 || dead[0].ID != id || dead[0].Attempts != 3 || !strings.Contains(dead[0].LastError, "boom 3") || dead[0].State != ports.TaskDead {
		t.Fatalf("Dead(flaky) = %+v, %v; want the task with 3 attempts and boom 3", dead, err)
	}
}

// A task in the retry state is reported as such.
func testRetryState(t *testing.T, q ports.Queue, id string) {
	t.Helper()
	ti := waitState(t, q, id, ports.TaskRetry)
	if ti.Attempts != 1 || ti.LastError == "" || !ti.ProcessAt.After(time.Now()) {
		t.Fatalf("retry info %+v, want 1 attempt, an error and a future ProcessAt", ti)
	}
}

func testSkipRetry(t *testing.T, h Harness) {
	q := newQueue(t, h, Options{})
	rec := newRecorder(func(ports.Task) error { return ports.SkipRetry(errors.New("bad input")) })
	q.Handle("strict", 1, rec.handle)
	start(t, q)
	id := enqueue(t, q, "strict", nil, ports.EnqueueOptions{MaxRetries: 5})
	recv(t, rec.c, "first attempt")
	ti := waitState(t, q, id, ports.TaskDead)
	if ti.Attempts != 1 || !strings.Contains(ti.LastError, "bad input") {
		t.Fatalf("dead info %+v, want 1 attempt with bad input", ti)
	}
	noneWithin(t, rec.c, 200*time.Millisecond, "retry after SkipRetry")
}

func testPanicIsError(t *testing.T, h Harness) {
	q := newQueue(t, h, Options{})
	rec := newRecorder(func(task ports.Task) error {
		if task.Attempt == 1 || string(task.Payload) == "always" {
			panic("kaboom")
		}
		return nil
	})
	q.Handle("panicky", 1, rec.handle)
	start(t, q)
	id := enqueue(t, q, "panicky", nil, ports.EnqueueOptions{})
	if r := recv(t, rec.c, "first attempt"); r.task.Attempt != 1 {
		t.Fatalf("first attempt %+v", r.task)
	}
	if r := recv(t, rec.c, "retry after panic"); r.task.ID != id || r.task.Attempt != 2 {
		t.Fatalf("retry %+v, want attempt 2 of %s", r.task, id)
	}
	waitState(t, q, id, ports.TaskDone)
	dead := enqueue(t, q, "panicky", []byte("always"), ports.EnqueueOptions{MaxRetries: -1})
	ti := waitState(t, q, dead, ports.TaskDead)
	if ti.Attempts != 1 || !strings.Contains(ti.LastError, "kaboom") {
		t.Fatalf("dead after panic %+v, want 1 attempt with kaboom", ti)
	}
}

func testNoRetries(t *testing.T, h Harness) {
	// Long backoff: the task must sit in retry, visible as such.
	q := newQueue(t, h, Options{RetryDelay: func(int) time.Duration { return time.Hour }})
	rec := newRecorder(func(ports.Task) error { return errors.New("nope") })
	q.Handle("once", 1, rec.handle)
	start(t, q)
	none := enqueue(t, q, "once", nil, ports.EnqueueOptions{MaxRetries: -1})
	recv(t, rec.c, "only attempt")
	if ti := waitState(t, q, none, ports.TaskDead); ti.Attempts != 1 {
		t.Fatalf("MaxRetries -1: %+v, want dead after 1 attempt", ti)
	}
	retrying := enqueue(t, q, "once", nil, ports.EnqueueOptions{MaxRetries: 3})
	recv(t, rec.c, "first attempt")
	testRetryState(t, q, retrying)
	noneWithin(t, rec.c, 200*time.Millisecond, "retry before its delay")
}

func testDeadFilter(t *testing.T, h Harness) {
	q := newQueue(t, h, Options{})
	fail := func(context.Context, ports.Task) error { return ports.SkipRetry(errors.New("no")) }
	q.Handle("a", 2, fail)
	q.Handle("b", 2, fail)
	start(t, q)
	var ids []string
	for range 3 {
		ids = append(ids, enqueue(t, q, "a", nil, ports.EnqueueOptions{}))
	}
	ids = append(ids, enqueue(t, q, "b", nil, ports.EnqueueOptions{}))
	for _, id := range ids {
		waitState(t, q, id, ports.TaskDead)
	}
	ctx := context.Background()
	check := func(kind string, limit, want int) {
		t.Helper()
		got, err := q.Dead(ctx, kind, limit)
		if err != nil || len(got) != want {
			t.Fatalf("Dead(%q, %d) = %d tasks, %v; want %d", kind, limit, len(got), err, want)
		}
		for _, ti := range got {
			if (kind != "" && ti.Kind != kind) || ti.State != ports.TaskDead {
				t.Fatalf("Dead(%q) listed %+v", kind, ti)
			}
		}
	}
	check("a", 10, 3)
	check("a", 2, 2)
	check("b", 10, 1)
	check("", 10, 4)
	check("c", 10, 0)
}
