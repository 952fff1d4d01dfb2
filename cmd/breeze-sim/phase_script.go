package main

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// scriptPollEvery is how often the run is read while it goes on.
const scriptPollEvery = 20 * time.Millisecond

// scriptRun is the part of a run the phase reads.
type scriptRun struct {
	ID     string         `json:"id"`
	Total  int            `json:"total"`
	Counts map[string]int `json:"counts"`
}

// scriptPhase creates a script (sh, echo hi) in the org of deviceID, runs
// it on the whole org and times the call until every command is final.
func scriptPhase(ctx context.Context, cfg *config, api *apiClient, deviceID string, r *scriptRunReport) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.remoteTimeout)
	defer cancel()
	var dev struct {
		OrgID string `json:"orgId"`
	}
	if err := api.call(ctx, http.MethodGet, "/api/v1/devices/"+deviceID, nil, &dev, http.StatusOK); err != nil {
		return fmt.Errorf("find the org: %w", err)
	}
	var script struct {
		ID string `json:"id"`
	}
	name := "breeze-sim echo " + time.Now().UTC().Format("2006-01-02T15:04:05.000")
	if err := api.call(ctx, http.MethodPost, "/api/v1/scripts", map[string]any{
		"orgId": dev.OrgID, "name": name, "language": "sh", "body": "echo hi", "timeoutSeconds": 60,
	}, &script, http.StatusCreated); err != nil {
		return fmt.Errorf("create the script: %w", err)
	}

	t0 := time.Now()
	var run scriptRun
	if err := api.call(ctx, http.MethodPost, "/api/v1/scripts/"+script.ID+"/runs",
		map[string]any{"orgId": dev.OrgID}, &run, http.StatusAccepted); err != nil {
		return fmt.Errorf("start the run: %w", err)
	}
	r.APICallMs = float64(time.Since(t0).Microseconds()) / 1000
	r.RunID = run.ID
	for {
		r.Total, r.Counts = run.Total, run.Counts
		r.Final, r.Succeeded = 0, run.Counts["succeeded"]
		for k, v := range run.Counts {
			if finalStatus(k) {
				r.Final += v
			}
		}
		r.Seconds = time.Since(t0).Seconds()
		if run.Total > 0 && r.Final >= run.Total {
			r.Complete = true
			break
		}
		if !sleep(ctx, scriptPollEvery) {
			return fmt.Errorf("%d of %d commands final after %.1fs", r.Final, r.Total, r.Seconds)
		}
		var now scriptRun // fresh: a status absent now must not linger
		if err := api.call(ctx, http.MethodGet, "/api/v1/script-runs/"+run.ID, nil, &now, http.StatusOK); err != nil {
			return fmt.Errorf("read the run: %w", err)
		}
		run = now
	}
	if r.Seconds > 0 {
		r.DevicesPerSecond = float64(r.Total) / r.Seconds
	}
	if r.Succeeded < r.Total {
		return fmt.Errorf("%d of %d devices succeeded", r.Succeeded, r.Total)
	}
	return nil
}
