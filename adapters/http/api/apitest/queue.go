package apitest

import (
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	queueasynq "github.com/breeze-rmm/breeze/adapters/asynq"
	"github.com/breeze-rmm/breeze/adapters/redis/redistest"
	"github.com/breeze-rmm/breeze/adapters/sqlite"
	"github.com/breeze-rmm/breeze/ports"
)

// newTestQueue is the durable queue of the store's profile, with short
// retry delays: the SQLite queue in the same database, or asynq on the
// test Redis for PostgreSQL.
func newTestQueue(t testing.TB, st ports.Store, pg bool, log hclog.Logger) ports.Queue {
	t.Helper()
	retry := func(int) time.Duration { return 50 * time.Millisecond }
	if pg {
		client, prefix := redistest.NewClient(t)
		q, err := queueasynq.New(queueasynq.Deps{Redis: client, Prefix: prefix, Logger: log,
			PollInterval: 20 * time.Millisecond, DelayedCheck: 100 * time.Millisecond, RetryDelay: retry})
		if err != nil {
			t.Fatalf("apitest: asynq queue: %v", err)
		}
		return q
	}
	sq, ok := st.(*sqlite.Store)
	if !ok {
		t.Fatalf("apitest: store %T is not SQLite", st)
	}
	q, err := sqlite.NewQueue(sqlite.QueueDeps{Store: sq, Logger: log, PollInterval: 50 * time.Millisecond,
		RetryDelay: retry})
	if err != nil {
		t.Fatalf("apitest: queue: %v", err)
	}
	return q
}
