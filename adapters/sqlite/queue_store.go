package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// queueWriter is where a queue write goes: the caller's transaction when ctx
// carries one (the writer's only connection is held by it), else the writer
// pool as one autocommit statement.
func (s *Store) queueWriter(ctx context.Context) queryer {
	if ts := s.bound(ctx); ts != nil {
		return txQ{ts: ts, c: s.db.wc}
	}
	return poolQ{c: s.db.wc}
}

// Enqueue stores the task (see the package's queue notes for transactions).
func (q *Queue) Enqueue(ctx context.Context, kind string, payload []byte, opts ports.EnqueueOptions) (string, error) {
	if err := validateTask(kind, payload, opts); err != nil {
		return "", err
	}
	if q.isClosed() {
		return "", ports.ErrQueueClosed
	}
	now := q.now()
	at := opts.ProcessAt
	if at.IsZero() {
		at = now.Add(opts.ProcessIn)
	}
	at = at.UTC().Truncate(time.Microsecond)
	maxRetries := opts.MaxRetries
	switch maxRetries {
	case 0:
		maxRetries = defaultMaxRetries
	case -1:
		maxRetries = 0
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = defaultTaskTimeout
	}
	var key any
	if opts.UniqueKey != "" {
		key = opts.UniqueKey
	}
	if payload == nil {
		payload = []byte{}
	}
	id := domain.NewID()
	_, err := q.s.queueWriter(ctx).ExecContext(ctx, `INSERT INTO queue_tasks
		(id, kind, payload, state, unique_key, process_at, run_at, max_retries, timeout_us, created_at)
		VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?)`,
		id, kind, payload, key, micros(at), micros(at), maxRetries, max(timeout.Microseconds(), 1), micros(now))
	if err != nil {
		var se *sqlite.Error
		if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
			return "", ports.ErrDuplicateTask
		}
		return "", fmt.Errorf("sqlite queue: enqueue %s: %w", kind, err)
	}
	q.wakeKind(kind)
	return id, nil
}

// validateTask applies the port's input rules.
func validateTask(kind string, payload []byte, opts ports.EnqueueOptions) error {
	switch {
	case kind == "":
		return domain.Invalidf("task kind is required")
	case len(payload) > ports.MaxTaskPayload:
		return domain.Invalidf("task payload is %d bytes, over the %d limit", len(payload), ports.MaxTaskPayload)
	case opts.ProcessIn < 0 || opts.Timeout < 0 || opts.MaxRetries < -1:
		return domain.Invalidf("negative task options")
	}
	return nil
}

// claimed is one attempt handed to a runner.
type claimed struct {
	task       ports.Task
	maxRetries int
	timeout    time.Duration
}

// claim leases up to n due tasks of kind to this instance. A row whose
// lease lapsed is claimable like a due one; its last error says so.
func (q *Queue) claim(ctx context.Context, kind string, n int) ([]claimed, error) {
	now := q.now()
	rows, err := poolQ{c: q.s.db.wc}.QueryContext(ctx, `UPDATE queue_tasks SET
			last_error = CASE WHEN state = 'active' THEN 'lease expired: the worker vanished mid-attempt' ELSE last_error END,
			state = 'active', attempts = attempts + 1, lease_owner = ?, run_at = ?
		WHERE seq IN (SELECT seq FROM queue_tasks WHERE kind = ? AND run_at <= ? ORDER BY run_at LIMIT ?)
		RETURNING id, payload, attempts, max_retries, timeout_us`,
		q.owner, micros(now.Add(q.d.Lease)), kind, micros(now), n)
	if err != nil {
		return nil, fmt.Errorf("sqlite queue: claim %s: %w", kind, err)
	}
	defer rows.Close()
	var out []claimed
	for rows.Next() {
		c := claimed{task: ports.Task{Kind: kind}}
		var timeoutUS int64
		if err := rows.Scan(&c.task.ID, &c.task.Payload, &c.task.Attempt, &c.maxRetries, &timeoutUS); err != nil {
			return nil, fmt.Errorf("sqlite queue: claim %s: %w", kind, err)
		}
		c.timeout = time.Duration(timeoutUS) * time.Microsecond
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite queue: claim %s: %w", kind, err)
	}
	return out, nil
}

// nextDue is when the next row of kind becomes claimable (zero: none).
func (q *Queue) nextDue(ctx context.Context, kind string) (time.Time, error) {
	var v sql.NullInt64
	err := poolQ{c: q.s.db.rc}.QueryRowContext(ctx,
		`SELECT MIN(run_at) FROM queue_tasks WHERE kind = ? AND run_at IS NOT NULL`, kind).Scan(&v)
	if err != nil || !v.Valid {
		return time.Time{}, err
	}
	return fromMicros(v.Int64), nil
}

// The outcome writes below are fenced by owner and attempt: they change
// nothing once the lease lapsed and another worker claimed the row.
const fence = ` WHERE id = ? AND state = 'active' AND lease_owner = ? AND attempts = ?`

func (q *Queue) finish(ctx context.Context, c claimed) error {
	_, err := poolQ{c: q.s.db.wc}.ExecContext(ctx, `DELETE FROM queue_tasks`+fence,
		c.task.ID, q.owner, c.task.Attempt)
	return err
}

func (q *Queue) retryLater(ctx context.Context, c claimed, at time.Time, msg string) error {
	_, err := poolQ{c: q.s.db.wc}.ExecContext(ctx, `UPDATE queue_tasks SET state = 'retry',
		process_at = ?, run_at = ?, last_error = ?, lease_owner = NULL`+fence,
		micros(at), micros(at), msg, c.task.ID, q.owner, c.task.Attempt)
	return err
}

func (q *Queue) bury(ctx context.Context, c claimed, msg string) error {
	_, err := poolQ{c: q.s.db.wc}.ExecContext(ctx, `UPDATE queue_tasks SET state = 'dead',
		run_at = NULL, last_error = ?, lease_owner = NULL, dead_at = ?`+fence,
		msg, micros(q.now()), c.task.ID, q.owner, c.task.Attempt)
	return err
}

// putBack returns an attempt cut short by Shutdown, uncounted: it is due now.
func (q *Queue) putBack(ctx context.Context, c claimed) error {
	_, err := poolQ{c: q.s.db.wc}.ExecContext(ctx, `UPDATE queue_tasks SET
		state = CASE WHEN attempts > 1 THEN 'retry' ELSE 'pending' END,
		attempts = attempts - 1, run_at = ?, lease_owner = NULL`+fence,
		micros(q.now()), c.task.ID, q.owner, c.task.Attempt)
	return err
}

// renew extends the leases of this instance's running attempts.
func (q *Queue) renew(ctx context.Context) error {
	_, err := poolQ{c: q.s.db.wc}.ExecContext(ctx,
		`UPDATE queue_tasks SET run_at = ? WHERE state = 'active' AND lease_owner = ?`,
		micros(q.now().Add(q.d.Lease)), q.owner)
	return err
}

// prune deletes dead tasks past their retention.
func (q *Queue) prune(ctx context.Context) error {
	_, err := poolQ{c: q.s.db.wc}.ExecContext(ctx,
		`DELETE FROM queue_tasks WHERE state = 'dead' AND dead_at < ?`,
		micros(q.now().Add(-q.d.DeadRetention)))
	return err
}

const taskColumns = `id, kind, payload, state, attempts, max_retries, last_error, process_at, unique_key`

func (q *Queue) scanTask(r rowScanner, now time.Time) (ports.TaskInfo, error) {
	var ti ports.TaskInfo
	var state string
	var at int64
	var key sql.NullString
	if err := r.Scan(&ti.ID, &ti.Kind, &ti.Payload, &state, &ti.Attempts, &ti.MaxRetries, &ti.LastError, &at, &key); err != nil {
		return ti, err
	}
	ti.State, ti.ProcessAt, ti.UniqueKey = ports.TaskState(state), fromMicros(at), key.String
	if ti.State == ports.TaskPending && ti.ProcessAt.After(now) {
		ti.State = ports.TaskScheduled
	}
	return ti, nil
}

// Info describes a stored task; done tasks are deleted (ErrNotFound).
func (q *Queue) Info(ctx context.Context, id string) (ports.TaskInfo, error) {
	if !domain.ValidID(id) {
		return ports.TaskInfo{}, notFound("task")
	}
	row := q.s.read(ctx).QueryRowContext(ctx, `SELECT `+taskColumns+` FROM queue_tasks WHERE id = ?`, id)
	ti, err := q.scanTask(row, q.now())
	if errors.Is(err, sql.ErrNoRows) {
		return ti, notFound("task")
	}
	if err != nil {
		return ti, fmt.Errorf("sqlite queue: info: %w", err)
	}
	return ti, nil
}

// Dead lists dead tasks, the most recent first.
func (q *Queue) Dead(ctx context.Context, kind string, limit int) ([]ports.TaskInfo, error) {
	if limit <= 0 {
		return nil, nil
	}
	query := `SELECT ` + taskColumns + ` FROM queue_tasks WHERE state = 'dead' ORDER BY dead_at DESC, seq DESC LIMIT ?`
	args := []any{limit}
	if kind != "" {
		query = `SELECT ` + taskColumns + ` FROM queue_tasks WHERE state = 'dead' AND kind = ? ORDER BY dead_at DESC, seq DESC LIMIT ?`
		args = []any{kind, limit}
	}
	rows, err := q.s.read(ctx).QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite queue: dead: %w", err)
	}
	defer rows.Close()
	var out []ports.TaskInfo
	now := q.now()
	for rows.Next() {
		ti, err := q.scanTask(rows, now)
		if err != nil {
			return nil, fmt.Errorf("sqlite queue: dead: %w", err)
		}
		out = append(out, ti)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite queue: dead: %w", err)
	}
	return out, nil
}
