package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/protocol"
)

// TestHeartbeatsOpenAndResolveAnAlert drives the real path: an agent link's
// heartbeats → the agents service's hook → the evaluator → the store, read
// back through GET /alerts. CPU above 90 for the rule's 10 minutes opens
// exactly one alert; 85 (between the clear threshold and the threshold)
// keeps it; 70 resolves it.
func TestHeartbeatsOpenAndResolveAnAlert(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			ts := apitest.NewServerWith(t, apitest.Options{Postgres: pg})
			ts.RequireAgents(t)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); ts.Alerts.Run(ctx) }()
			defer func() { cancel(); <-done }()
			a := ts.Seed.A
			admin := ts.Login(t, a.Admin.Email, a.Admin.Password)
			code, rule := ts.Do(t, http.MethodPost, "/api/v1/alert-rules", admin, map[string]any{
				"orgId": a.Orgs[0].ID, "name": "cpu high", "severity": "critical", "kind": "metric_threshold",
				"params":    map[string]any{"metric": "cpu", "threshold": 90, "durationSeconds": 600, "clearThreshold": 80},
				"scopeKind": "org", "scopeIds": []string{a.Orgs[0].ID}})
			if code != http.StatusCreated {
				t.Fatalf("create rule: %d %v", code, rule)
			}
			id, token := ts.NewDevice(t, a, 0, "db-01")
			c, resp, err := ts.DialAgent(t, id, token)
			if err != nil {
				t.Fatalf("dial: %v %+v", err, resp)
			}
			apitest.Hello(t, c, "db-01")
			// samples are dated by the agent within the server clock's past
			t0 := ts.Clock.Now().Add(-time.Hour).UTC()
			send := func(minute int, cpu float64) {
				t.Helper()
				if err := c.WriteJSON(protocol.Heartbeat{Header: protocol.Header{Type: protocol.TypeHeartbeat},
					At: t0.Add(time.Duration(minute) * time.Minute), CPUPercent: cpu}); err != nil {
					t.Fatal(err)
				}
			}
			send(-1, 5) // the first sample warms the device up
			eventually(t, "device judged", func() bool { return ts.Alerts.Evaluator().Tracks(id) })

			list := func() []any {
				code, body := ts.Do(t, http.MethodGet, "/api/v1/alerts?deviceId="+id, admin, nil)
				if code != http.StatusOK {
					t.Fatalf("list alerts: %d %v", code, body)
				}
				return body["items"].([]any)
			}
			for m := 0; m <= 9; m++ { // 9 minutes above: not yet
				send(m, 95)
			}
			send(10, 97) // 10 minutes: opens
			eventually(t, "alert opened", func() bool { return len(list()) > 0 })
			for m := 11; m <= 14; m++ {
				send(m, 96)
			}
			send(15, 85) // under the threshold, above the clear one: stays
			send(16, 95)
			send(17, 70) // clears
			eventually(t, "alert resolved", func() bool {
				items := list()
				return len(items) > 0 && items[len(items)-1].(map[string]any)["state"] == "resolved"
			})
			items := list()
			if len(items) != 1 {
				t.Fatalf("want exactly one alert, got %d: %v", len(items), items)
			}
			al := items[0].(map[string]any)
			if al["openedAt"] != t0.Add(10*time.Minute).Format(time.RFC3339Nano) ||
				al["resolvedAt"] != t0.Add(17*time.Minute).Format(time.RFC3339Nano) || al["resolvedBy"] != "system" ||
				al["severity"] != "critical" || al["ruleId"] != rule["id"] {
				t.Fatalf("alert %v: want opened at minute 10 and resolved by the system at minute 17", al)
			}
		})
	}
}
