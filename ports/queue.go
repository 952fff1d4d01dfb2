package ports

import (
	"context"
	"errors"
	"time"
)

// TaskState is where a queued task is.
type TaskState string

const (
	TaskPending   TaskState = "pending"   // ready (ProcessAt reached) and waiting for a worker
	TaskScheduled TaskState = "scheduled" // waiting for ProcessAt
	TaskActive    TaskState = "active"    // a handler runs it
	TaskRetry     TaskState = "retry"     // failed; waits for its next attempt
	TaskDead      TaskState = "dead"      // out of retries (or SkipRetry): kept for inspection
	TaskDone      TaskState = "done"      // succeeded
)

// EnqueueOptions tune one task; zero fields take the defaults.
type EnqueueOptions struct {
	// ProcessAt delays the task until then (zero: now). ProcessIn is the
	// same relative to now; ProcessAt wins when both are set.
	ProcessAt time.Time
	ProcessIn time.Duration
	// MaxRetries after the first attempt (default 5; -1: none). The delay
	// before retry n is the queue's RetryDelay(n) (exponential with jitter).
	MaxRetries int
	// Timeout bounds one attempt: the handler's ctx ends then (default 60 s).
	Timeout time.Duration
	// UniqueKey makes the task unique within its kind: while a task of the
	// same kind and key is scheduled, pending, active, retrying or dead,
	// Enqueue returns ErrDuplicateTask and stores nothing. Once it is done
	// the key is free again.
	UniqueKey string
}

// Task is what a handler gets.
type Task struct {
	ID      string
	Kind    string
	Payload []byte
	// Attempt counts from 1.
	Attempt int
}

// TaskInfo describes a stored task (inspection, tests).
type TaskInfo struct {
	ID         string
	Kind       string
	Payload    []byte
	State      TaskState
	Attempts   int // attempts made so far
	MaxRetries int
	LastError  string
	ProcessAt  time.Time
	UniqueKey  string
}

// Handler processes a task. nil: done. An error: retried after a delay
// while retries remain, then dead; wrap it with SkipRetry to go dead at
// once. A panic counts as an error. ctx ends at the attempt's Timeout or
// when the queue drains past its deadline.
type Handler func(ctx context.Context, t Task) error

// ErrDuplicateTask: a task of that kind and UniqueKey already exists.
var ErrDuplicateTask = errors.New("queue: duplicate task")

// ErrQueueClosed: the queue was shut down.
var ErrQueueClosed = errors.New("queue: closed")

// SkipRetry marks a handler error as final (the task goes dead now).
func SkipRetry(err error) error { return &skipRetry{err} }

// IsSkipRetry reports whether err was wrapped by SkipRetry.
func IsSkipRetry(err error) bool {
	var s *skipRetry
	return errors.As(err, &s)
}

type skipRetry struct{ err error }

func (s *skipRetry) Error() string { return s.err.Error() }
func (s *skipRetry) Unwrap() error { return s.err }

// MaxTaskPayload bounds a task's payload (1 MiB).
const MaxTaskPayload = 1 << 20

// Queue is durable background work with at-least-once execution.
// Implementations: adapters/sqlite (in the SQLite database; a restart
// loses nothing) and adapters/asynq (Redis). ports/queuetest asserts:
//   - Enqueue stores the task durably before returning; an unknown kind is
//     accepted (another node may handle it). Empty kind, a payload over
//     MaxTaskPayload or negative options are domain.ErrInvalid.
//   - Handlers are registered with Handle before Start; a kind is handled
//     by at most `concurrency` attempts at once on this node.
//   - A task runs when ProcessAt is reached; an attempt that fails is
//     retried with backoff until MaxRetries, then kept as dead (Dead lists
//     it with its last error). A worker that dies mid-attempt (process
//     killed) leaves the task to be run again by a later worker.
//   - Shutdown stops taking tasks, waits for running attempts until ctx
//     ends (then cancels their ctx) and returns; tasks not started stay
//     stored. Enqueue after Shutdown is ErrQueueClosed.
type Queue interface {
	Enqueue(ctx context.Context, kind string, payload []byte, opts EnqueueOptions) (id string, err error)
	// Handle registers h for kind with at most concurrency (>= 1) attempts
	// at once on this node. It panics after Start or on a second Handle of
	// the same kind (a wiring bug).
	Handle(kind string, concurrency int, h Handler)
	// Start runs the workers until Shutdown.
	Start(ctx context.Context) error
	Shutdown(ctx context.Context) error
	// Info describes a task; ErrNotFound (domain) when unknown or, for
	// adapters that do not keep finished tasks, done and forgotten.
	Info(ctx context.Context, id string) (TaskInfo, error)
	// Dead lists dead tasks of kind ("" = every kind), at most limit.
	Dead(ctx context.Context, kind string, limit int) ([]TaskInfo, error)
}
