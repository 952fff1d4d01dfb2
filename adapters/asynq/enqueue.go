package queueasynq

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Task headers: what asynq has no field for.
const (
	hdrTimeout = "breeze-timeout-us"
	hdrUnique  = "breeze-unique-key"
)

// idSep joins kind and asynq task id; task ids never contain it, so the
// last one splits.
const idSep = "|"

func joinID(kind, taskID string) string { return kind + idSep + taskID }

func splitID(id string) (kind, taskID string, ok bool) {
	i := strings.LastIndex(id, idSep)
	if i <= 0 || i == len(id)-1 {
		return "", "", false
	}
	return id[:i], id[i+1:], true
}

// uniqueTaskID derives the asynq task id of a unique task.
func uniqueTaskID(kind, key string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + key))
	return "u-" + hex.EncodeToString(sum[:20])
}

// ceilSecond rounds t up to a whole second: asynq truncates schedule times
// to seconds, which would run a task up to a second early.
func ceilSecond(t time.Time) time.Time {
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}

// Enqueue stores the task in Redis.
func (q *Queue) Enqueue(ctx context.Context, kind string, payload []byte, opts ports.EnqueueOptions) (string, error) {
	switch {
	case kind == "":
		return "", domain.Invalidf("task kind is required")
	case len(payload) > ports.MaxTaskPayload:
		return "", domain.Invalidf("task payload is %d bytes, over the %d limit", len(payload), ports.MaxTaskPayload)
	case opts.ProcessIn < 0 || opts.Timeout < 0 || opts.MaxRetries < -1:
		return "", domain.Invalidf("negative task options")
	}
	if q.isClosed() {
		return "", ports.ErrQueueClosed
	}
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
	taskID := domain.NewID()
	headers := map[string]string{hdrTimeout: strconv.FormatInt(timeout.Microseconds(), 10)}
	if opts.UniqueKey != "" {
		taskID = uniqueTaskID(kind, opts.UniqueKey)
		headers[hdrUnique] = opts.UniqueKey
	}
	aopts := []asynq.Option{
		asynq.Queue(q.queueName(kind)),
		asynq.TaskID(taskID),
		asynq.MaxRetry(maxRetries),
		// asynq's own bound, in whole seconds, behind the exact one.
		asynq.Timeout(ceilSecond(time.Unix(0, 0).Add(timeout)).Sub(time.Unix(0, 0)) + time.Second),
	}
	at := opts.ProcessAt
	if at.IsZero() && opts.ProcessIn > 0 {
		at = time.Now().Add(opts.ProcessIn)
	}
	if at.After(time.Now()) {
		aopts = append(aopts, asynq.ProcessAt(ceilSecond(at)))
	}
	if payload == nil {
		payload = []byte{}
	}
	_, err := q.client.EnqueueContext(ctx, asynq.NewTaskWithHeaders(kind, payload, headers), aopts...)
	switch {
	case errors.Is(err, asynq.ErrTaskIDConflict):
		return "", ports.ErrDuplicateTask
	case err != nil:
		return "", fmt.Errorf("queueasynq: enqueue %s: %w", kind, err)
	}
	return joinID(kind, taskID), nil
}
