package postgres

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

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
	pool *pgxpool.Pool
	reqs chan auditReq

	mu     sync.RWMutex // guards closed against sends racing close(reqs)
	closed bool
	wg     sync.WaitGroup
}

func newAuditBatcher(pool *pgxpool.Pool) *auditBatcher {
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
	err := b.appendGroup(ctx, rows)
	if err == nil || len(group) == 1 {
		for _, r := range group {
			r.done <- err
		}
		return
	}
	for _, r := range group {
		r.done <- b.appendGroup(ctx, []*domain.AuditEntry{r.row})
	}
}

// appendGroup is appendChain in two round trips instead of five: BEGIN,
// the lock and the head read go out in one pipeline, the INSERT and the
// COMMIT in a second (the hashes need the head in between). The head is
// read by a statement of its own after the lock's, so it sees what the
// lock's previous holder committed. It runs on a connection of its own as
// the connection's role, which is what system work does behind the wall:
// rows of every tenant share one chain.
func (b *auditBatcher) appendGroup(ctx context.Context, rows []*domain.AuditEntry) error {
	conn, err := b.pool.Acquire(ctx)
	if err != nil {
		return translate("acquire connection", markUnavailable(err))
	}
	// A connection left inside the transaction (ROLLBACK failed too) is
	// closed by Release, not pooled.
	defer conn.Release()
	done := false
	defer func() {
		if !done {
			_, _ = conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	head := &pgx.Batch{}
	head.Queue("BEGIN")
	head.Queue("SELECT pg_advisory_xact_lock($1)", auditLockKey)
	head.Queue(auditHeadSQL)
	res := conn.SendBatch(ctx, head)
	var last int64
	var prev string
	_, err = res.Exec()
	if err == nil {
		_, err = res.Exec()
	}
	if err == nil {
		err = res.QueryRow().Scan(&last, &prev)
		if errors.Is(err, pgx.ErrNoRows) {
			err = nil
		}
	}
	if cerr := res.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return translate("lock and read audit chain head", markUnavailable(err))
	}
	sql, args := chainInsert(rows, last, prev)
	tail := &pgx.Batch{}
	tail.Queue(sql, args...)
	tail.Queue("COMMIT")
	res = conn.SendBatch(ctx, tail)
	_, err = res.Exec()
	if err == nil {
		_, err = res.Exec()
	}
	if cerr := res.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return translate("append audit entry", markUnavailable(err))
	}
	done = true
	return nil
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
