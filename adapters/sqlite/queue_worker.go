package sqlite

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/breeze-rmm/breeze/ports"
)

// loop claims and runs the tasks of one kind until ctx ends. It claims as
// many as it has free slots, then sleeps until woken (Enqueue, an attempt
// ended), the next row is due, or the poll interval passes.
func (q *Queue) loop(ctx context.Context, w *kindWorker) {
	defer q.loops.Done()
	timer := time.NewTimer(0)
	defer timer.Stop()
	inflight := 0
	for {
		sleep := q.d.PollInterval
		if free := w.limit - inflight; free > 0 {
			got, err := q.claim(ctx, w.kind, free)
			if err != nil && ctx.Err() == nil {
				q.log.Error("claim failed", "kind", w.kind, "error", err)
			}
			for _, c := range got {
				inflight++
				q.running.Add(1)
				q.nRunning.Add(1)
				go q.attempt(w, c)
			}
			// All slots taken: only a finished attempt matters. Fewer due
			// than free: sleep until the next row is due, at most a poll.
			if len(got) < free && err == nil {
				if next, err := q.nextDue(ctx, w.kind); err == nil && !next.IsZero() {
					sleep = min(sleep, max(time.Until(next), time.Millisecond))
				}
			}
		}
		if inflight < w.limit {
			timer.Reset(sleep)
		} else {
			timer.Stop() // full: only a finished attempt matters
		}
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-w.finished:
			inflight--
		case <-timer.C:
		}
		// Count every attempt that ended meanwhile.
		for drained := false; !drained; {
			select {
			case <-w.finished:
				inflight--
			default:
				drained = true
			}
		}
	}
}

// attempt runs one claimed task and stores the outcome.
func (q *Queue) attempt(w *kindWorker, c claimed) {
	defer func() {
		q.nRunning.Add(-1)
		w.finished <- struct{}{}
		q.running.Done()
	}()
	// The outcome is written even when Shutdown cancelled the handler.
	wctx := context.WithoutCancel(q.hard)
	if c.task.Attempt > c.maxRetries+1 {
		// Claimed again after lapsed leases more often than it may run.
		q.store("bury", c, q.bury(wctx, c, "out of attempts: its workers vanished mid-attempt"))
		return
	}
	ctx, cancel := context.WithTimeout(q.hard, c.timeout)
	defer cancel()
	res := make(chan error, 1)
	go func() { res <- q.call(ctx, w.h, c.task) }()
	var err error
	select {
	case err = <-res:
	case <-ctx.Done():
		select {
		case err = <-res:
		case <-time.After(q.d.ShutdownGrace):
			if q.hard.Err() != nil {
				// Stuck past Shutdown: abandon it; its lease lapses.
				q.log.Warn("handler ignored shutdown; task left to its lease", "kind", c.task.Kind, "id", c.task.ID)
				return
			}
			err = fmt.Errorf("attempt timed out after %s: %w", c.timeout, ctx.Err())
		}
	}
	switch {
	case err == nil:
		q.store("finish", c, q.finish(wctx, c))
	case q.hard.Err() != nil:
		q.store("put back", c, q.putBack(wctx, c))
	case ports.IsSkipRetry(err) || c.task.Attempt > c.maxRetries:
		q.store("bury", c, q.bury(wctx, c, err.Error()))
	default:
		at := q.now().Add(q.d.RetryDelay(c.task.Attempt))
		q.store("retry", c, q.retryLater(wctx, c, at, err.Error()))
	}
}

// call runs the handler; a panic is an error.
func (q *Queue) call(ctx context.Context, h ports.Handler, t ports.Task) (err error) {
	defer func() {
		if r := recover(); r != nil {
			q.log.Error("task handler panicked", "kind", t.Kind, "id", t.ID, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return h(ctx, t)
}

func (q *Queue) store(op string, c claimed, err error) {
	if err != nil && !errors.Is(err, context.Canceled) {
		q.log.Error("storing a task outcome failed; its lease will lapse", "op", op, "kind", c.task.Kind, "id", c.task.ID, "error", err)
	}
}

// aux renews the leases of running attempts every Lease/3 and prunes
// old dead tasks hourly, until Shutdown.
func (q *Queue) aux() {
	defer close(q.auxDone)
	ctx := context.Background()
	renew := time.NewTicker(q.d.Lease / 3)
	defer renew.Stop()
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	if err := q.prune(ctx); err != nil {
		q.log.Warn("pruning dead tasks failed", "error", err)
	}
	for {
		select {
		case <-q.stopAux:
			return
		case <-renew.C:
			if q.nRunning.Load() == 0 {
				continue
			}
			if err := q.renew(ctx); err != nil {
				q.log.Error("renewing task leases failed", "error", err)
			}
		case <-prune.C:
			if err := q.prune(ctx); err != nil {
				q.log.Warn("pruning dead tasks failed", "error", err)
			}
		}
	}
}
