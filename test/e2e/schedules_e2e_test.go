package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestScheduleE2E: a one-off schedule a few seconds ahead, on the org of a
// real agent, fires once through the real server's scheduler and queue;
// its script run succeeds on the agent, and the history shows it.
func TestScheduleE2E(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testScheduleE2E(t, b) })
	}
}

func testScheduleE2E(t *testing.T, b backend) {
	srv := startServer(t, b)
	api := login(t, srv)
	siteID := api.site("Schedules " + b.name)
	var site struct {
		OrgID string `json:"orgId"`
	}
	api.must(http.MethodGet, "/api/v1/sites/"+siteID, nil, http.StatusOK, &site)
	cfgPath := enrollAgent(t, srv, api, siteID)
	_, _ = runAgentOnline(t, api, cfgPath)

	var script struct {
		ID string `json:"id"`
	}
	api.must(http.MethodPost, "/api/v1/scripts", map[string]any{"orgId": site.OrgID, "name": "scheduled hello",
		"language": "sh", "body": `echo "hello $BREEZE_PARAM_WHO"`,
		"params": []map[string]any{{"name": "who", "type": "string", "required": true}}}, http.StatusCreated, &script)
	runAt := time.Now().Add(4 * time.Second).UTC().Truncate(time.Second)
	var sc struct {
		ID         string `json:"id"`
		NextFireAt string `json:"nextFireAt"`
	}
	api.must(http.MethodPost, "/api/v1/schedules", map[string]any{"orgId": site.OrgID, "name": "in a few seconds",
		"timezone": "Europe/Berlin", "runAt": runAt.Format(time.RFC3339),
		"target": map[string]any{"kind": "site", "ids": []string{siteID}},
		"task":   map[string]any{"kind": "script", "scriptId": script.ID, "params": map[string]any{"who": "schedule"}}},
		http.StatusCreated, &sc)
	if sc.NextFireAt == "" {
		t.Fatalf("no next fire: %+v", sc)
	}
	type fire struct {
		Status      string         `json:"status"`
		Error       string         `json:"error"`
		FireAt      time.Time      `json:"fireAt"`
		FiredAt     time.Time      `json:"firedAt"`
		ScriptRunID string         `json:"scriptRunId"`
		Counts      map[string]int `json:"counts"`
		Total       int            `json:"total"`
	}
	var page struct {
		Items []fire `json:"items"`
	}
	eventually(t, 40*time.Second, "the schedule fired and its run succeeded", func() (bool, string) {
		api.must(http.MethodGet, "/api/v1/schedules/"+sc.ID+"/fires", nil, http.StatusOK, &page)
		return len(page.Items) == 1 && page.Items[0].Counts["succeeded"] == 1, fmt.Sprintf("%+v", page.Items)
	})
	f := page.Items[0]
	if f.Status != "fired" || !f.FireAt.Equal(runAt) || f.Total != 1 || f.ScriptRunID == "" {
		t.Fatalf("fire %+v", f)
	}
	if late := f.FiredAt.Sub(f.FireAt); late < 0 || late > 3*time.Second {
		t.Fatalf("fired %v after its time", late)
	}
	var results struct {
		Items []struct {
			Status string `json:"status"`
			Stdout string `json:"stdout"`
		} `json:"items"`
	}
	api.must(http.MethodGet, "/api/v1/script-runs/"+f.ScriptRunID+"/results", nil, http.StatusOK, &results)
	if len(results.Items) != 1 || results.Items[0].Stdout != "hello schedule\n" {
		t.Fatalf("results %+v", results.Items)
	}
	// A one-off fires once.
	time.Sleep(2 * time.Second)
	api.must(http.MethodGet, "/api/v1/schedules/"+sc.ID+"/fires", nil, http.StatusOK, &page)
	if len(page.Items) != 1 {
		t.Fatalf("%d fires of a one-off", len(page.Items))
	}
}
