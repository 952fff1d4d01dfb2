package queueasynq

import (
	"context"
	"fmt"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/breeze-rmm/breeze/ports"
)

// skip carries ports.SkipRetry to asynq: it is asynq.SkipRetry for
// errors.Is, while its message stays the handler's.
type skip struct{ err error }

func (s skip) Error() string        { return s.err.Error() }
func (s skip) Unwrap() error        { return s.err }
func (s skip) Is(target error) bool { return target == asynq.SkipRetry }

// handler adapts k's handler to asynq: the exact Timeout, Shutdown's
// cancellation, panics as errors, SkipRetry.
func (q *Queue) handler(k *kind) func(context.Context, *asynq.Task) error {
	return func(actx context.Context, at *asynq.Task) error {
		q.inflight.Add(1)
		defer q.inflight.Add(-1)
		taskID, _ := asynq.GetTaskID(actx)
		retried, _ := asynq.GetRetryCount(actx)
		timeout := defaultTaskTimeout
		if us, err := strconv.ParseInt(at.Headers()[hdrTimeout], 10, 64); err == nil && us > 0 {
			timeout = time.Duration(us) * time.Microsecond
		}
		ctx, cancel := context.WithTimeout(actx, timeout)
		defer cancel()
		stop := context.AfterFunc(q.hard, cancel)
		defer stop()

		err := q.call(ctx, k.h, ports.Task{
			ID: joinID(k.name, taskID), Kind: k.name, Payload: at.Payload(), Attempt: retried + 1,
		})
		switch {
		case err == nil:
			return nil
		case q.hard.Err() != nil:
			// Cut short by Shutdown: hold on until asynq gives up on this
			// worker (ShutdownGrace) and requeues the task uncounted.
			<-actx.Done()
			return actx.Err()
		case ports.IsSkipRetry(err):
			return skip{err}
		}
		return err
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

// retryDelay is asynq's RetryDelayFunc: n is the retries so far (from 0).
// The delay is stretched to a whole second: asynq truncates retry times to
// seconds and would otherwise retry early.
func (q *Queue) retryDelay(n int, _ error, _ *asynq.Task) time.Duration {
	now := time.Now()
	return ceilSecond(now.Add(q.d.RetryDelay(n + 1))).Sub(now)
}
