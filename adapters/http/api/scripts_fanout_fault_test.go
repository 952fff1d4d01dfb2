package api_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/app/scripts"
	"github.com/breeze-rmm/breeze/ports"
)

// faultQueue is a queue whose fan-out enqueues misbehave: fail refuses
// them; delay holds the answer of one that was stored (the caller's
// transaction commits that much later).
type faultQueue struct {
	ports.Queue
	fail  bool
	delay time.Duration
}

func (q faultQueue) Enqueue(ctx context.Context, kind string, payload []byte, o ports.EnqueueOptions) (string, error) {
	if kind == scripts.TaskFanout && q.fail {
		return "", errors.New("queue unavailable")
	}
	id, err := q.Queue.Enqueue(ctx, kind, payload, o)
	if kind == scripts.TaskFanout {
		time.Sleep(q.delay)
	}
	return id, err
}

func newFaultRemoteServer(t *testing.T, pg bool, q faultQueue) *remoteServer {
	t.Helper()
	ts := apitest.NewServerWith(t, apitest.Options{Postgres: pg,
		WrapScriptQueue: func(real ports.Queue) ports.Queue { q.Queue = real; return q }})
	rs := &remoteServer{TestServer: ts}
	rs.admin = ts.Login(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
	rs.deviceID, rs.token = ts.NewDevice(t, ts.Seed.A, 0, "host-a")
	return rs
}

// A run whose fan-out cannot be queued answers an error and leaves no run
// behind (issue 13: a 500 left a run record with no commands).
func TestScriptRunFailedFanoutLeavesNoRun(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := map[bool]string{false: "sqlite", true: "postgres"}[pg]
		t.Run(name, func(t *testing.T) {
			rs := newFaultRemoteServer(t, pg, faultQueue{fail: true})
			_, sc := rs.Do(t, http.MethodPost, "/api/v1/scripts", rs.admin, map[string]any{
				"orgId": rs.Seed.A.Orgs[0].ID, "name": "noop", "language": "sh", "body": "true"})
			sid := sc["id"].(string)
			code, body := rs.Do(t, http.MethodPost, "/api/v1/scripts/"+sid+"/runs", rs.admin,
				map[string]any{"deviceIds": []string{rs.deviceID}})
			if code < 500 {
				t.Fatalf("run with a failing queue: %d %v, want 5xx", code, body)
			}
			code, runs := rs.Do(t, http.MethodGet, "/api/v1/scripts/"+sid+"/runs", rs.admin, nil)
			if code != http.StatusOK {
				t.Fatalf("list runs: %d %v", code, runs)
			}
			if items := runs["items"].([]any); len(items) != 0 {
				t.Fatalf("a failed run left %d run record(s): %v", len(items), items)
			}
		})
	}
}

// A fan-out task that reaches a worker before the run's transaction has
// committed still creates the run's commands.
func TestScriptRunFanoutBeforeCommit(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := map[bool]string{false: "sqlite", true: "postgres"}[pg]
		t.Run(name, func(t *testing.T) {
			rs := newFaultRemoteServer(t, pg, faultQueue{delay: 300 * time.Millisecond})
			_, sc := rs.Do(t, http.MethodPost, "/api/v1/scripts", rs.admin, map[string]any{
				"orgId": rs.Seed.A.Orgs[0].ID, "name": "noop", "language": "sh", "body": "true"})
			code, run := rs.Do(t, http.MethodPost, "/api/v1/scripts/"+sc["id"].(string)+"/runs", rs.admin,
				map[string]any{"deviceIds": []string{rs.deviceID}})
			if code != http.StatusAccepted {
				t.Fatalf("run: %d %v", code, run)
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				_, res := rs.Do(t, http.MethodGet, "/api/v1/script-runs/"+run["id"].(string)+"/results", rs.admin, nil)
				if n := len(res["items"].([]any)); n == 1 {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("the run has no command: %v", res)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
