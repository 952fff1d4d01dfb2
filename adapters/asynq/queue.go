// Package queueasynq is the Redis ports.Queue for the production profile,
// built on asynq (github.com/hibiken/asynq). It is named queueasynq, not
// asynq, so that it does not shadow the library it wraps.
//
// Mapping:
//   - one asynq queue per kind, named Prefix+kind, and one asynq server per
//     handled kind whose Concurrency is the kind's limit;
//   - a task id is "<kind>|<asynq task id>" (Info finds the queue from it);
//   - UniqueKey: the asynq task id is derived from kind and key, so asynq's
//     ErrTaskIDConflict is ports.ErrDuplicateTask while the task exists in
//     any state; a succeeded task is deleted (no Retention), which frees it
//     and makes Info answer ErrNotFound;
//   - dead = archived (asynq keeps them up to 90 days / 10 000 per queue);
//   - SkipRetry wraps asynq.SkipRetry; a panic is an error.
//
// asynq keeps schedules in whole seconds (it truncates ProcessAt and retry
// times), so ProcessAt and retry times are rounded up to the next second:
// never early, up to a second late. Its Timeout is whole seconds too, so the
// exact Timeout is applied by the adapter (a header carries it) and asynq's
// own is that plus a margin. A worker that dies mid-attempt leaves its task
// to asynq's recoverer (lease 30 s, checked every minute); a forced
// Shutdown instead hands running attempts back at once (asynq requeues
// them when its ShutdownTimeout, our ShutdownGrace, passes).
package queueasynq

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hibiken/asynq"
	goredis "github.com/redis/go-redis/v9"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

var _ ports.Queue = (*Queue)(nil)

// Defaults.
const (
	DefaultPrefix        = "breeze:"
	DefaultPollInterval  = 250 * time.Millisecond
	DefaultDelayedCheck  = time.Second
	DefaultShutdownGrace = 2 * time.Second
	defaultTaskTimeout   = 60 * time.Second
	defaultMaxRetries    = 5
)

// Deps configures New; zero fields take the defaults.
type Deps struct {
	// Redis is the connection; the queue never closes it.
	Redis goredis.UniversalClient
	// Prefix namespaces the asynq queue names (Prefix+kind); tests use one
	// of their own. Must not be empty after defaulting.
	Prefix string
	Logger hclog.Logger
	// PollInterval is how often an idle worker asks Redis for a task (the
	// latency of a ready task; each poll of each kind is a Redis call).
	PollInterval time.Duration
	// DelayedCheck is how often scheduled and retrying tasks are moved to
	// pending once due.
	DelayedCheck time.Duration
	// RetryDelay is the delay before retry n (from 1); default exponential
	// from 1 s, capped at 1 h, with ±50 % jitter.
	RetryDelay func(n int) time.Duration
	// ShutdownGrace is how long a forced Shutdown waits, after cancelling
	// the handlers' ctx, before asynq hands their tasks back to Redis.
	ShutdownGrace time.Duration
}

// Queue is the asynq ports.Queue.
type Queue struct {
	d       Deps
	log     hclog.Logger
	client  *asynq.Client
	inspect *asynq.Inspector

	mu      sync.Mutex
	started bool
	closed  bool
	kinds   map[string]*kind
	servers []*asynq.Server

	hard       context.Context // parent of every handler ctx
	hardCancel context.CancelFunc
	inflight   atomic.Int64
}

type kind struct {
	name  string
	limit int
	h     ports.Handler
}

// New returns a queue on deps.Redis; call Start after Handle.
func New(deps Deps) (*Queue, error) {
	if deps.Redis == nil {
		return nil, errors.New("queueasynq: Redis is required")
	}
	if deps.PollInterval < 0 || deps.DelayedCheck < 0 || deps.ShutdownGrace < 0 {
		return nil, domain.Invalidf("queueasynq: negative durations")
	}
	if deps.Prefix == "" {
		deps.Prefix = DefaultPrefix
	}
	if deps.Logger == nil {
		deps.Logger = hclog.NewNullLogger()
	}
	if deps.PollInterval == 0 {
		deps.PollInterval = DefaultPollInterval
	}
	if deps.DelayedCheck == 0 {
		deps.DelayedCheck = DefaultDelayedCheck
	}
	if deps.ShutdownGrace == 0 {
		deps.ShutdownGrace = DefaultShutdownGrace
	}
	if deps.RetryDelay == nil {
		deps.RetryDelay = DefaultRetryDelay
	}
	hard, cancel := context.WithCancel(context.Background())
	return &Queue{
		d: deps, log: deps.Logger.Named("queue"),
		client:  asynq.NewClientFromRedisClient(deps.Redis),
		inspect: asynq.NewInspectorFromRedisClient(deps.Redis),
		kinds:   map[string]*kind{}, hard: hard, hardCancel: cancel,
	}, nil
}

// DefaultRetryDelay doubles from 1 s up to 1 h, with ±50 % jitter.
func DefaultRetryDelay(n int) time.Duration {
	d := min(time.Second<<min(max(n-1, 0), 12), time.Hour)
	return d/2 + rand.N(d)
}

func (q *Queue) queueName(kind string) string { return q.d.Prefix + kind }

// Handle registers h for kind; it panics after Start or on misuse.
func (q *Queue) Handle(name string, concurrency int, h ports.Handler) {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.started || q.closed:
		panic("queueasynq: Handle after Start")
	case name == "" || h == nil || concurrency < 1:
		panic(fmt.Sprintf("queueasynq: Handle(%q, %d, handler set %v)", name, concurrency, h != nil))
	case q.kinds[name] != nil:
		panic(fmt.Sprintf("queueasynq: kind %q handled twice", name))
	}
	q.kinds[name] = &kind{name: name, limit: concurrency, h: h}
}

// Start starts one asynq server per handled kind and returns; they run
// until Shutdown.
func (q *Queue) Start(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ports.ErrQueueClosed
	}
	if q.started {
		return errors.New("queueasynq: already started")
	}
	q.started = true
	for _, k := range q.kinds {
		srv := asynq.NewServerFromRedisClient(q.d.Redis, asynq.Config{
			Concurrency:              k.limit,
			Queues:                   map[string]int{q.queueName(k.name): 1},
			TaskCheckInterval:        q.d.PollInterval,
			DelayedTaskCheckInterval: q.d.DelayedCheck,
			RetryDelayFunc:           q.retryDelay,
			ShutdownTimeout:          q.d.ShutdownGrace,
			Logger:                   logger{q.log.With("kind", k.name)},
			LogLevel:                 asynq.WarnLevel,
		})
		if err := srv.Start(asynq.HandlerFunc(q.handler(k))); err != nil {
			for _, s := range q.servers {
				s.Shutdown()
			}
			q.servers = nil
			return fmt.Errorf("queueasynq: start %s: %w", k.name, err)
		}
		q.servers = append(q.servers, srv)
	}
	return nil
}

// Shutdown stops taking tasks, waits for running attempts until ctx ends,
// then cancels their ctx; asynq hands back to Redis those still running
// after ShutdownGrace. It returns ctx's error when it had to cancel.
func (q *Queue) Shutdown(ctx context.Context) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	servers := q.servers
	q.mu.Unlock()

	each(servers, (*asynq.Server).Stop) // no new tasks
	var err error
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for q.inflight.Load() > 0 && err == nil {
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-tick.C:
		}
	}
	q.hardCancel()
	// After a drain this returns at once (an attempt that slipped in after
	// Stop is handed back after ShutdownGrace); after a forced stop asynq
	// requeues the cancelled attempts then.
	each(servers, (*asynq.Server).Shutdown)
	return err
}

// each runs fn on every server at once and waits.
func each(servers []*asynq.Server, fn func(*asynq.Server)) {
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Go(func() { fn(s) })
	}
	wg.Wait()
}

func (q *Queue) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}
