package queuetest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

func testEnqueueAndHandle(t *testing.T, h Harness) {
	q := newQueue(t, h, Options{})
	rec := newRecorder(nil)
	q.Handle("mail", 2, rec.handle)
	start(t, q)
	id := enqueue(t, q, "mail", []byte("hello"), ports.EnqueueOptions{})
	r := recv(t, rec.c, "handler call")
	if r.task.ID != id || r.task.Kind != "mail" || string(r.task.Payload) != "hello" || r.task.Attempt != 1 {
		t.Fatalf("handler got %+v, want id %s kind mail payload hello attempt 1", r.task, id)
	}
	waitState(t, q, id, ports.TaskDone)
	// A task of a kind nobody handles here stays stored (another node may).
	other := enqueue(t, q, "unhandled", nil, ports.EnqueueOptions{})
	noneWithin(t, rec.c, 100*time.Millisecond, "unexpected handler call")
	if ti := info(t, q, other); ti.State != ports.TaskPending || ti.Kind != "unhandled" {
		t.Fatalf("unhandled task info %+v, want pending", ti)
	}
}

func testPayloadRoundTrip(t *testing.T, h Harness) {
	q := newQueue(t, h, Options{})
	rec := newRecorder(nil)
	q.Handle("blob", 1, rec.handle)
	start(t, q)
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	big := bytes.Repeat([]byte{0xfe, 0x00, 'x'}, ports.MaxTaskPayload/3)
	want := map[string][]byte{}
	for _, p := range [][]byte{nil, {}, binary, []byte(`{"json":true}`), big} {
		want[enqueue(t, q, "blob", p, ports.EnqueueOptions{})] = p
	}
	for range want {
		r := recv(t, rec.c, "handler call")
		p, ok := want[r.task.ID]
		if !ok {
			t.Fatalf("handler got unknown id %s", r.task.ID)
		}
		if !bytes.Equal(r.task.Payload, p) {
			t.Fatalf("task %s payload: %d bytes differ from the %d enqueued", r.task.ID, len(r.task.Payload), len(p))
		}
		delete(want, r.task.ID)
	}
}

func testInfoBeforeStart(t *testing.T, h Harness) {
	q := newQueue(t, h, Options{})
	ctx := context.Background()
	before := time.Now()
	id := enqueue(t, q, "report", []byte("p"), ports.EnqueueOptions{UniqueKey: "r1"})
	ti := info(t, q, id)
	if ti.ID != id || ti.Kind != "report" || string(ti.Payload) != "p" || ti.State != ports.TaskPending ||
		ti.Attempts != 0 || ti.MaxRetries != 5 || ti.LastError != "" || ti.UniqueKey != "r1" {
		t.Fatalf("info %+v, want pending report, 0 attempts, default 5 retries, key r1", ti)
	}
	if ti.ProcessAt.Before(before.Add(-time.Second)) || ti.ProcessAt.After(time.Now().Add(time.Second)) {
		t.Fatalf("pending ProcessAt %v, want about now", ti.ProcessAt)
	}
	at := time.Now().Add(time.Hour)
	sid := enqueue(t, q, "report", nil, ports.EnqueueOptions{ProcessAt: at, MaxRetries: -1})
	si := info(t, q, sid)
	if si.State != ports.TaskScheduled || si.MaxRetries != 0 {
		t.Fatalf("scheduled info %+v, want scheduled with 0 retries", si)
	}
	if d := si.ProcessAt.Sub(at); d < -time.Millisecond || d > 2*time.Second {
		t.Fatalf("scheduled ProcessAt %v, want %v (rounded up at most a second)", si.ProcessAt, at)
	}
	rid := enqueue(t, q, "report", nil, ports.EnqueueOptions{ProcessIn: time.Hour, MaxRetries: 2})
	if ri := info(t, q, rid); ri.State != ports.TaskScheduled || ri.MaxRetries != 2 || ri.ProcessAt.Before(before.Add(time.Hour)) {
		t.Fatalf("ProcessIn info %+v, want scheduled an hour ahead with 2 retries", ri)
	}
	// ProcessAt wins over ProcessIn.
	wid := enqueue(t, q, "report", nil, ports.EnqueueOptions{ProcessAt: at, ProcessIn: time.Minute})
	if wi := info(t, q, wid); wi.ProcessAt.Before(at.Add(-time.Millisecond)) {
		t.Fatalf("ProcessAt+ProcessIn info %+v, want ProcessAt %v", wi, at)
	}
	if _, err := q.Dead(ctx, "", 10); err != nil {
		t.Fatalf("Dead on a fresh store: %v", err)
	}
}

func testInfoUnknown(t *testing.T, h Harness) {
	q := newQueue(t, h, Options{})
	for _, id := range []string{domain.NewID(), "nonsense", "x|y", ""} {
		if _, err := q.Info(context.Background(), id); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("Info(%q) = %v, want ErrNotFound", id, err)
		}
	}
}

func testValidation(t *testing.T, h Harness) {
	q := newQueue(t, h, Options{})
	ctx := context.Background()
	cases := []struct {
		name    string
		kind    string
		payload []byte
		opts    ports.EnqueueOptions
	}{
		{"empty kind", "", nil, ports.EnqueueOptions{}},
		{"payload too big", "k", make([]byte, ports.MaxTaskPayload+1), ports.EnqueueOptions{}},
		{"negative ProcessIn", "k", nil, ports.EnqueueOptions{ProcessIn: -time.Second}},
		{"negative Timeout", "k", nil, ports.EnqueueOptions{Timeout: -time.Second}},
		{"MaxRetries below -1", "k", nil, ports.EnqueueOptions{MaxRetries: -2}},
	}
	for _, c := range cases {
		id, err := q.Enqueue(ctx, c.kind, c.payload, c.opts)
		if !errors.Is(err, domain.ErrInvalid) || id != "" {
			t.Errorf("%s: Enqueue = %q, %v; want ErrInvalid", c.name, id, err)
		}
	}
	if dead, err := q.Dead(ctx, "", 100); err != nil || len(dead) != 0 {
		t.Fatalf("Dead after rejected enqueues = %v, %v", dead, err)
	}
	// The limit itself is allowed, and a past ProcessAt means now.
	enqueue(t, q, "k", make([]byte, ports.MaxTaskPayload), ports.EnqueueOptions{})
	id := enqueue(t, q, "k", nil, ports.EnqueueOptions{ProcessAt: time.Now().Add(-time.Hour)})
	if ti := info(t, q, id); ti.State != ports.TaskPending {
		t.Fatalf("past ProcessAt: state %q, want pending", ti.State)
	}
}

// mustPanic runs fn and fails unless it panics.
func mustPanic(t *testing.T, what string, fn func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	fn()
}

func testHandleMisuse(t *testing.T, h Harness) {
	q := newQueue(t, h, Options{})
	noop := func(context.Context, ports.Task) error { return nil }
	q.Handle("a", 1, noop)
	mustPanic(t, "second Handle of a kind", func() { q.Handle("a", 1, noop) })
	mustPanic(t, "Handle with concurrency 0", func() { q.Handle("b", 0, noop) })
	mustPanic(t, "Handle with a nil handler", func() { q.Handle("c", 1, nil) })
	mustPanic(t, "Handle with an empty kind", func() { q.Handle("", 1, noop) })
	start(t, q)
	mustPanic(t, "Handle after Start", func() { q.Handle("d", 1, noop) })
	if err := q.Start(context.Background()); err == nil {
		t.Fatal("second Start succeeded, want an error")
	}
}

func testDelayed(t *testing.T, h Harness) {
	q := newQueue(t, h, Options{})
	rec := newRecorder(nil)
	q.Handle("later", 4, rec.handle)
	start(t, q)
	const delay = 400 * time.Millisecond
	t0 := time.Now()
	in := enqueue(t, q, "later", []byte("in"), ports.EnqueueOptions{ProcessIn: delay})
	at := enqueue(t, q, "later", []byte("at"), ports.EnqueueOptions{ProcessAt: t0.Add(delay)})
	now := enqueue(t, q, "later", []byte("now"), ports.EnqueueOptions{})
	if ti := info(t, q, in); ti.State != ports.TaskScheduled && time.Since(t0) < delay {
		t.Fatalf("delayed task state %q before its time, want scheduled", ti.State)
	}
	first := recv(t, rec.c, "immediate task")
	if first.task.ID != now {
		t.Fatalf("first run was %s (%s), want the immediate task %s", first.task.ID, first.task.Payload, now)
	}
	got := map[string]bool{}
	for range 2 {
		r := recv(t, rec.c, "delayed task")
		if r.at.Before(t0.Add(delay)) {
			t.Fatalf("task %s (%s) ran %v after enqueue, before its delay %v", r.task.ID, r.task.Payload, r.at.Sub(t0), delay)
		}
		got[r.task.ID] = true
	}
	if !got[in] || !got[at] {
		t.Fatalf("delayed runs %v, want %s and %s", got, in, at)
	}
}

func testConcurrency(t *testing.T, h Harness) {
	q := newQueue(t, h, Options{})
	type gauge struct{ cur, max atomicInt }
	var three, one gauge
	done := make(chan string, 100)
	limited := func(g *gauge) ports.Handler {
		return func(ctx context.Context, task ports.Task) error {
			g.max.raise(g.cur.add(1))
			time.Sleep(40 * time.Millisecond)
			g.cur.add(-1)
			done <- task.Kind
			return nil
		}
	}
	q.Handle("three", 3, limited(&three))
	q.Handle("one", 1, limited(&one))
	for range 15 {
		enqueue(t, q, "three", nil, ports.EnqueueOptions{})
	}
	for range 5 {
		enqueue(t, q, "one", nil, ports.EnqueueOptions{})
	}
	start(t, q)
	for range 20 {
		recv(t, done, "task completion")
	}
	if m := three.max.load(); m > 3 || m < 2 {
		t.Fatalf("kind three ran %d at once, want 2..3 (limit 3)", m)
	}
	if m := one.max.load(); m != 1 {
		t.Fatalf("kind one ran %d at once, want 1", m)
	}
}

func testClosed(t *testing.T, h Harness) {
	q := newQueue(t, h, Options{})
	start(t, q)
	ctx := context.Background()
	if err := q.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := q.Shutdown(ctx); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
	if _, err := q.Enqueue(ctx, "k", nil, ports.EnqueueOptions{}); !errors.Is(err, ports.ErrQueueClosed) {
		t.Fatalf("Enqueue after Shutdown = %v, want ErrQueueClosed", err)
	}
	if err := q.Start(ctx); err == nil {
		t.Fatal("Start after Shutdown succeeded")
	}
	// A queue shut down before it started is closed too.
	q2 := newQueue(t, h, Options{})
	if err := q2.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown before Start: %v", err)
	}
	if _, err := q2.Enqueue(ctx, "k", nil, ports.EnqueueOptions{}); !errors.Is(err, ports.ErrQueueClosed) {
		t.Fatalf("Enqueue after Shutdown (never started) = %v, want ErrQueueClosed", err)
	}
}
