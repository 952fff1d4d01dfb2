package queueasynq

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Info describes a task; a succeeded one is gone (ErrNotFound).
func (q *Queue) Info(ctx context.Context, id string) (ports.TaskInfo, error) {
	kind, taskID, ok := splitID(id)
	if !ok {
		return ports.TaskInfo{}, domain.NotFoundf("task not found")
	}
	ti, err := q.inspect.GetTaskInfo(q.queueName(kind), taskID)
	switch {
	case errors.Is(err, asynq.ErrQueueNotFound), errors.Is(err, asynq.ErrTaskNotFound):
		return ports.TaskInfo{}, domain.NotFoundf("task not found")
	case err != nil:
		return ports.TaskInfo{}, fmt.Errorf("queueasynq: info: %w", err)
	}
	return q.toInfo(kind, ti), nil
}

func (q *Queue) toInfo(kind string, ti *asynq.TaskInfo) ports.TaskInfo {
	out := ports.TaskInfo{
		ID: joinID(kind, ti.ID), Kind: kind, Payload: ti.Payload,
		Attempts: ti.Retried, MaxRetries: ti.MaxRetry, LastError: ti.LastErr,
		ProcessAt: ti.NextProcessAt, UniqueKey: ti.Headers[hdrUnique],
	}
	switch ti.State {
	case asynq.TaskStatePending, asynq.TaskStateAggregating:
		out.State = ports.TaskPending
	case asynq.TaskStateScheduled:
		out.State = ports.TaskScheduled
	case asynq.TaskStateRetry:
		out.State = ports.TaskRetry
	case asynq.TaskStateActive:
		out.State, out.Attempts = ports.TaskActive, ti.Retried+1
	case asynq.TaskStateArchived:
		// asynq counts retries; the last attempt archived it uncounted.
		out.State, out.Attempts = ports.TaskDead, ti.Retried+1
	case asynq.TaskStateCompleted:
		out.State = ports.TaskDone
	}
	return out
}

// Dead lists archived tasks of kind ("" = every kind of this prefix), the
// most recently failed first.
func (q *Queue) Dead(ctx context.Context, kind string, limit int) ([]ports.TaskInfo, error) {
	if limit <= 0 {
		return nil, nil
	}
	var kinds []string
	if kind != "" {
		kinds = []string{kind}
	} else {
		queues, err := q.inspect.Queues()
		if err != nil {
			return nil, fmt.Errorf("queueasynq: dead: %w", err)
		}
		for _, name := range queues {
			if k, ok := strings.CutPrefix(name, q.d.Prefix); ok && k != "" {
				kinds = append(kinds, k)
			}
		}
	}
	type dead struct {
		info   ports.TaskInfo
		failed time.Time
	}
	var all []dead
	for _, k := range kinds {
		tasks, err := q.inspect.ListArchivedTasks(q.queueName(k), asynq.PageSize(limit))
		if errors.Is(err, asynq.ErrQueueNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("queueasynq: dead: %w", err)
		}
		for _, ti := range tasks {
			all = append(all, dead{q.toInfo(k, ti), ti.LastFailedAt})
		}
	}
	slices.SortStableFunc(all, func(a, b dead) int { return b.failed.Compare(a.failed) })
	out := make([]ports.TaskInfo, 0, min(len(all), limit))
	for _, d := range all[:min(len(all), limit)] {
		out = append(out, d.info)
	}
	return out, nil
}
