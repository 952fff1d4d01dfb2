package e2e

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// BenchmarkCommandDispatchRealAgent times a command from the moment the
// server stored it (createdAt) to the real agent's acknowledgement
// (startedAt, set when command_ack arrives), both by the server's clock,
// one command at a time. The agent records every command id on disk before
// it acknowledges (at most once), so this includes that write.
//
//	go test -run '^$' -bench CommandDispatchRealAgent -benchtime 300x ./test/e2e/
func BenchmarkCommandDispatchRealAgent(b *testing.B) {
	srv := startServer(b, backends[0])
	api := login(b, srv)
	_, cfg := runAgentOnline(b, api, enrollAgent(b, srv, api, api.site("Dispatch bench")))
	samples := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		code, body := api.do(http.MethodPost, "/api/v1/devices/"+cfg.DeviceID+"/commands",
			map[string]any{"action": "run_script", "payload": map[string]any{"language": "sh", "body": "true"}})
		if code != http.StatusAccepted {
			b.Fatalf("create: %d %s", code, body)
		}
		var c struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(body, &c)
		var done struct {
			Status    string     `json:"status"`
			CreatedAt time.Time  `json:"createdAt"`
			StartedAt *time.Time `json:"startedAt"`
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			api.must(http.MethodGet, "/api/v1/commands/"+c.ID, nil, http.StatusOK, &done)
			if done.Status == "succeeded" && done.StartedAt != nil {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("command %s: %+v", c.ID, done)
			}
			time.Sleep(2 * time.Millisecond)
		}
		samples = append(samples, done.StartedAt.Sub(done.CreatedAt))
	}
	b.StopTimer()
	p50, p99 := percentiles(samples)
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
}
