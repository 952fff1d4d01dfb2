package agents

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Batch writer defaults.
const (
	DefaultBatchSize  = 500
	DefaultFlushEvery = time.Second
	DefaultQueueSize  = 50_000
	// finalFlushTimeout bounds the flush on Stop when the caller's ctx has no deadline.
	finalFlushTimeout = 10 * time.Second
)

// BatchDeps configure a BatchWriter.
type BatchDeps struct {
	Store  ports.Store
	Clock  ports.Clock
	Logger ports.Logger
	// BatchSize samples make a flush (default 500); FlushEvery flushes what
	// is pending anyway (default 1 s).
	BatchSize  int
	FlushEvery time.Duration
	// QueueSize bounds the samples waiting (queued or pending a failed
	// flush); beyond it new samples are dropped and counted. Default 50 000.
	QueueSize int
}

// BatchWriter collects heartbeat samples from every link and writes them
// in batches (Telemetry().Write: COPY on PostgreSQL, one transaction on
// SQLite), which also refreshes the presence of the batch's devices. Add
// never blocks. A failed write is retried on the next tick with what is
// pending, so a database away for a minute loses nothing until the queue
// bound is reached.
type BatchWriter struct {
	d       BatchDeps
	in      chan domain.MetricSample
	stop    chan context.Context
	done    chan struct{}
	started atomic.Bool
	stopped sync.Once

	dropped atomic.Uint64
	written atomic.Uint64
	failed  atomic.Uint64
}

// NewBatchWriter checks deps and fills defaults; Start runs it.
func NewBatchWriter(d BatchDeps) (*BatchWriter, error) {
	if d.Store == nil {
		return nil, errors.New("agents: BatchDeps.Store is required")
	}
	if d.Clock == nil {
		d.Clock = ports.ClockFunc(time.Now)
	}
	if d.Logger == nil {
		d.Logger = ports.NopLogger{}
	}
	if d.BatchSize < 0 || d.FlushEvery < 0 || d.QueueSize < 0 {
		return nil, errors.New("agents: negative batch writer setting")
	}
	if d.BatchSize == 0 {
		d.BatchSize = DefaultBatchSize
	}
	if d.FlushEvery == 0 {
		d.FlushEvery = DefaultFlushEvery
	}
	if d.QueueSize == 0 {
		d.QueueSize = DefaultQueueSize
	}
	return &BatchWriter{
		d: d, in: make(chan domain.MetricSample, d.QueueSize),
		stop: make(chan context.Context), done: make(chan struct{}),
	}, nil
}

// Add queues a sample; false when the queue is full and it was dropped.
func (w *BatchWriter) Add(s domain.MetricSample) bool {
	select {
	case w.in <- s:
		return true
	default:
		w.dropped.Add(1)
		return false
	}
}

// Dropped is how many samples were dropped (queue full, or given up).
func (w *BatchWriter) Dropped() uint64 { return w.dropped.Load() }

// Written is how many samples were handed to the store successfully.
func (w *BatchWriter) Written() uint64 { return w.written.Load() }

// Start runs the writer in its own goroutine until Stop.
func (w *BatchWriter) Start() {
	if w.started.CompareAndSwap(false, true) {
		go w.run()
	}
}

// Stop ends the writer after writing everything queued (within ctx, or 10 s
// when ctx has no deadline). Safe to call more than once, and without Start.
func (w *BatchWriter) Stop(ctx context.Context) {
	w.stopped.Do(func() {
		if !w.started.Load() {
			return
		}
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, finalFlushTimeout)
			defer cancel()
		}
		w.stop <- ctx
		<-w.done
	})
}

// Flush writes whatever is queued now, in the caller's goroutine. For tests
// and tools that do not Start the writer; do not mix it with Start.
func (w *BatchWriter) Flush(ctx context.Context) error {
	pending := w.drain(nil)
	for len(pending) > 0 {
		n := min(len(pending), w.d.BatchSize)
		if err := w.write(ctx, pending[:n]); err != nil {
			w.dropped.Add(uint64(len(pending)))
			return err
		}
		pending = pending[n:]
	}
	return nil
}

func (w *BatchWriter) run() {
	defer close(w.done)
	tick := time.NewTicker(w.d.FlushEvery)
	defer tick.Stop()
	var pending []domain.MetricSample
	for {
		select {
		case s := <-w.in:
			pending = append(pending, s)
			if len(pending) >= w.d.BatchSize {
				pending = w.flushBounded(pending)
			}
		case <-tick.C:
			pending = w.drain(pending)
			if len(pending) > 0 {
				pending = w.flushBounded(pending)
			}
		case sctx := <-w.stop:
			pending = w.drain(pending)
			pending = w.flush(sctx, pending, true)
			if len(pending) > 0 {
				w.dropped.Add(uint64(len(pending)))
				w.d.Logger.Error("telemetry samples lost at shutdown: the database did not take them", "samples", len(pending))
			}
			return
		}
	}
}

// writeTimeout bounds one flush, so a hung database cannot stall the writer
// forever (samples queue up, then drop, meanwhile).
const writeTimeout = 30 * time.Second

func (w *BatchWriter) flushBounded(pending []domain.MetricSample) []domain.MetricSample {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	return w.flush(ctx, pending, false)
}

// drain moves what is queued right now into pending.
func (w *BatchWriter) drain(pending []domain.MetricSample) []domain.MetricSample {
	for {
		select {
		case s := <-w.in:
			pending = append(pending, s)
		default:
			return pending
		}
	}
}

// flush writes pending in batches and returns what is left: nothing, or
// the batches not written because the store failed (kept for the next
// tick, trimmed to the queue bound, oldest first out). final keeps trying
// batches until ctx ends.
func (w *BatchWriter) flush(ctx context.Context, pending []domain.MetricSample, final bool) []domain.MetricSample {
	for len(pending) > 0 {
		n := min(len(pending), w.d.BatchSize)
		if err := w.write(ctx, pending[:n]); err != nil {
			w.failed.Add(1)
			w.d.Logger.Warn("telemetry batch not written; will retry", "samples", len(pending), "error", err)
			if final && ctx.Err() == nil {
				select {
				case <-ctx.Done():
				case <-time.After(200 * time.Millisecond):
				}
				continue
			}
			if over := len(pending) - w.d.QueueSize; over > 0 {
				w.dropped.Add(uint64(over))
				pending = pending[over:]
			}
			return pending
		}
		pending = pending[n:]
	}
	return pending[:0]
}

// write stores one batch and refreshes its devices' presence in the same
// statement: each is online and seen now (receive time, not the agent's
// clock), unless decommissioned.
func (w *BatchWriter) write(ctx context.Context, batch []domain.MetricSample) error {
	if err := w.d.Store.Telemetry().Write(ctx, batch, w.d.Clock.Now()); err != nil {
		return err
	}
	w.written.Add(uint64(len(batch)))
	return nil
}

// linkedStatuses are the statuses a reporting device may move from to online.
var linkedStatuses = []domain.DeviceStatus{domain.DevicePending, domain.DeviceOffline, domain.DeviceOnline}
