package sqlite

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// The embedded durable queue keeps its tasks in the queue_tasks table of
// the store's file (migration 00005). Workers claim due rows with a lease
// (one UPDATE … RETURNING on the single writer) and extend the leases of
// the attempts they run; a worker that vanishes lets its leases lapse and
// the rows become claimable again. Each handled kind has one loop that
// claims up to its concurrency; Enqueue wakes the loop of its kind at once,
// a timer wakes it when the next row is due, and a poll catches rows
// written by other processes on the same file.
//
// A task that succeeds is deleted: Info then answers ErrNotFound. Dead
// tasks are kept DeadRetention, then pruned.
//
// Enqueue inside Store.InTx joins that transaction (the task exists only if
// it commits); the wake-up then comes before the commit, so such a task
// starts at the next poll.

var _ ports.Queue = (*Queue)(nil)

// Queue defaults.
const (
	DefaultQueuePoll     = time.Second
	DefaultQueueLease    = 30 * time.Second
	DefaultQueueGrace    = time.Second
	DefaultDeadRetention = 30 * 24 * time.Hour
	defaultTaskTimeout   = 60 * time.Second
	defaultMaxRetries    = 5
)

// QueueDeps configures NewQueue; zero fields take the defaults.
type QueueDeps struct {
	Store  *Store // the root store (required)
	Logger hclog.Logger
	// PollInterval bounds how late a task written by another process is
	// seen (in-process enqueues and due times wake workers directly).
	PollInterval time.Duration
	// RetryDelay is the delay before retry n (from 1); default exponential
	// from 1 s, capped at 1 h, with ±50 % jitter.
	RetryDelay func(n int) time.Duration
	// Lease is how long a claimed task stays with its worker without a
	// renewal; running attempts renew it every Lease/3.
	Lease time.Duration
	// ShutdownGrace is how long a forced Shutdown waits, after cancelling
	// the handlers' ctx, for them to return and their tasks to be put back;
	// a handler still running then is abandoned (its lease lapses).
	ShutdownGrace time.Duration
	// DeadRetention is how long dead tasks are kept.
	DeadRetention time.Duration
	Clock         ports.Clock
}

// Queue is the SQLite ports.Queue.
type Queue struct {
	d     QueueDeps
	s     *Store
	log   hclog.Logger
	owner string // lease owner: this instance

	mu      sync.Mutex
	started bool
	closed  bool
	kinds   map[string]*kindWorker

	stopLoops  context.CancelFunc
	hard       context.Context // parent of every handler ctx
	hardCancel context.CancelFunc
	loops      sync.WaitGroup
	running    sync.WaitGroup // attempt runners
	nRunning   atomic.Int64
	stopAux    chan struct{} // lease renewal and pruning
	auxDone    chan struct{}
}

// kindWorker is one handled kind.
type kindWorker struct {
	kind     string
	limit    int
	h        ports.Handler
	wake     chan struct{} // cap 1: something may be due
	finished chan struct{} // cap limit: an attempt ended
}

// NewQueue returns a queue on deps.Store; call Start after Handle.
func NewQueue(deps QueueDeps) (*Queue, error) {
	if deps.Store == nil || deps.Store.tx != nil {
		return nil, errors.New("sqlite: queue needs the root store")
	}
	if deps.PollInterval < 0 || deps.Lease < 0 || deps.ShutdownGrace < 0 || deps.DeadRetention < 0 {
		return nil, domain.Invalidf("queue: negative durations")
	}
	if deps.Logger == nil {
		deps.Logger = hclog.NewNullLogger()
	}
	if deps.PollInterval == 0 {
		deps.PollInterval = DefaultQueuePoll
	}
	if deps.Lease == 0 {
		deps.Lease = DefaultQueueLease
	}
	if deps.ShutdownGrace == 0 {
		deps.ShutdownGrace = DefaultQueueGrace
	}
	if deps.DeadRetention == 0 {
		deps.DeadRetention = DefaultDeadRetention
	}
	if deps.RetryDelay == nil {
		deps.RetryDelay = DefaultRetryDelay
	}
	if deps.Clock == nil {
		deps.Clock = ports.ClockFunc(time.Now)
	}
	hard, cancel := context.WithCancel(context.Background())
	return &Queue{
		d: deps, s: deps.Store, log: deps.Logger.Named("queue"), owner: domain.NewID(),
		kinds: map[string]*kindWorker{}, hard: hard, hardCancel: cancel,
	}, nil
}

// DefaultRetryDelay doubles from 1 s up to 1 h, with ±50 % jitter so that
// tasks failing together do not retry together.
func DefaultRetryDelay(n int) time.Duration {
	d := min(time.Second<<min(max(n-1, 0), 12), time.Hour)
	return d/2 + rand.N(d)
}

func (q *Queue) now() time.Time { return q.d.Clock.Now().UTC().Truncate(time.Microsecond) }

// Handle registers h for kind; it panics after Start or on misuse.
func (q *Queue) Handle(kind string, concurrency int, h ports.Handler) {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.started || q.closed:
		panic("sqlite queue: Handle after Start")
	case kind == "" || h == nil || concurrency < 1:
		panic(fmt.Sprintf("sqlite queue: Handle(%q, %d, handler set %v)", kind, concurrency, h != nil))
	case q.kinds[kind] != nil:
		panic(fmt.Sprintf("sqlite queue: kind %q handled twice", kind))
	}
	q.kinds[kind] = &kindWorker{
		kind: kind, limit: concurrency, h: h,
		wake: make(chan struct{}, 1), finished: make(chan struct{}, concurrency),
	}
}

// Start starts the workers and returns; they run until Shutdown.
func (q *Queue) Start(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ports.ErrQueueClosed
	}
	if q.started {
		return errors.New("sqlite queue: already started")
	}
	q.started = true
	loopCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	q.stopLoops = stop
	for _, w := range q.kinds {
		q.loops.Add(1)
		go q.loop(loopCtx, w)
	}
	q.stopAux, q.auxDone = make(chan struct{}), make(chan struct{})
	go q.aux()
	return nil
}

// Shutdown stops claiming, waits for running attempts until ctx ends, then
// cancels their ctx and waits ShutdownGrace at most for them to return. It
// returns ctx's error when it had to cancel attempts.
func (q *Queue) Shutdown(ctx context.Context) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	started := q.started
	q.mu.Unlock()
	if !started {
		q.hardCancel()
		return nil
	}
	q.stopLoops()
	q.loops.Wait()

	drained := make(chan struct{})
	go func() { q.running.Wait(); close(drained) }()
	var err error
	select {
	case <-drained:
	case <-ctx.Done():
		err = ctx.Err()
		q.hardCancel()
		<-drained // each runner gives up within ShutdownGrace
	}
	q.hardCancel()
	close(q.stopAux)
	<-q.auxDone
	return err
}

// isClosed is checked by Enqueue.
func (q *Queue) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

// wakeKind tells the local loop of kind that a task may be due.
func (q *Queue) wakeKind(kind string) {
	q.mu.Lock()
	w := q.kinds[kind]
	q.mu.Unlock()
	if w != nil {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}
