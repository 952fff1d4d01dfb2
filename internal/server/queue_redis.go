package server

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"

	queueasynq "github.com/breeze-rmm/breeze/adapters/asynq"
	"github.com/breeze-rmm/breeze/ports"
)

// newRedisQueue opens the asynq queue on the identity's Redis.
func newRedisQueue(id *Identity, prefix string, log hclog.Logger) (ports.Queue, error) {
	// Poll every 50 ms (asynq's idle latency): a script run's fan-out waits
	// for it; three kinds make ~60 Redis calls a second per node.
	q, err := queueasynq.New(queueasynq.Deps{Redis: id.Redis, Prefix: prefix, Logger: log.Named("queue"), PollInterval: 50 * time.Millisecond})
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	return q, nil
}
