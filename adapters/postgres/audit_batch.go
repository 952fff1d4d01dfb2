package postgres

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Group appends of the audit chain. Every node serialises its appends on
// one advisory lock held until commit, so one commit per row caps the
// cluster's mutating requests at the disk's flush rate. The batcher gives
// rows that arrive while a group commits to the next group: one lock, one
// head read, one INSERT and one commit for all of them. A lone row goes at
// once (no artificial wait), so an idle server's latency does not change.
const (
	maxAuditBatch      = 64 // rows per group (17 parameters each)
	auditBatchTimeout  = 10 * time.Second
	auditBatchQueueLen = 1024
)

// errStoreClosed: Append after Close.
var errStoreClosed = errors.New("postgres: store closed")

type auditReq struct {
	row  *domain.AuditEntry
	done chan error
}

type auditBatcher struct {
	pool querier
	reqs chan auditReq

	mu     sync.RWMutex // guards closed against sends racing close(reqs)
	closed bool
	wg     sync.WaitGroup
}

func newAuditBatcher(pool querier) *auditBatcher {
	b := &auditBatcher{pool: pool, reqs: make(chan auditReq, auditBatchQueueLen)}
	b.wg.Add(1)
	go b.run()
	return b
}

// append queues row and waits until its group committed (or failed). The
// caller's ctx bounds only the wait for a place in the queue: once queued,
// the row is written whatever happens to the request, and the answer tells
// whether it was.
func (b *auditBatcher) append(ctx context.Context, row *domain.AuditEntry) error {
	req := auditReq{row: row, done: make(chan error, 1)}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return errStoreClosed
	}
	select {
	case b.reqs <- req:
	case <-ctx.Done():
		b.mu.RUnlock()
		return ctx.Err()
	}
	b.mu.RUnlock()
	return <-req.done
}

func (b *auditBatcher) run() {
	defer b.wg.Done()
	for first := range b.reqs {
		group := []auditReq{first}
	fill:
		for len(group) < maxAuditBatch {
			select {
			case r, ok := <-b.reqs:
				if !ok {
					break fill
				}
				group = append(group, r)
			default:
				break fill
			}
		}
		b.write(group)
	}
}

// write appends a group in one transaction. When the group fails, each
// row is tried alone, so one bad row cannot cost the others theirs.
func (b *auditBatcher) write(group []auditReq) {
	rows := make([]*domain.AuditEntry, len(group))
	for i, r := range group {
		rows[i] = r.row
	}
	ctx, cancel := context.WithTimeout(context.Background(), auditBatchTimeout)
	defer cancel()
	ctx = system(ctx) // rows of every tenant share one chain
	err := atomically(ctx, b.pool, func(q querier) error { return appendChain(ctx, q, rows) })
	if err == nil || len(group) == 1 {
		for _, r := range group {
			r.done <- err
		}
		return
	}
	for _, r := range group {
		r.done <- atomically(ctx, b.pool, func(q querier) error {
			return appendChain(ctx, q, []*domain.AuditEntry{r.row})
		})
	}
}

// close stops taking rows and waits for the queued ones to be written.
func (b *auditBatcher) close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	close(b.reqs)
	b.mu.Unlock()
	b.wg.Wait()
}
