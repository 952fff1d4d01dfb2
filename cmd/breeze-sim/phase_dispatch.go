package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

// readBack is how many of the last accepted commands are read back
// through the API to see that the agents' answers were stored.
const readBack = 20

// otherProcesses are the processes beside the server whose CPU the
// dispatch phase reports (by name, on this machine).
var otherProcesses = []string{"postgres", "redis-server", "breeze-sim"}

// dispatchPhase sends cfg.dispatch run_script commands to random linked
// devices, cfg.dispatchConc at a time, each carrying its send time; the
// agents report when they read it. It fills r.
func (c *coord) dispatchPhase(ctx context.Context, api *apiClient, devices []string, r *dispatchReport) error {
	cfg := c.cfg
	r.Requested, r.Concurrency = cfg.dispatch, cfg.dispatchConc
	pctx, cancel := context.WithTimeout(ctx, cfg.remoteTimeout)
	defer cancel()
	c.samples = nil

	var mu sync.Mutex
	var apiNs []int64
	var ids []string
	var firstErr error
	var next atomic.Int64
	pid := cfg.serverPIDString()
	cpu0, cpuOK := cpuSeconds(pid)
	others0 := processCPU(otherProcesses...)
	start := time.Now()
	send := func(ctx context.Context) error {
		var wg sync.WaitGroup
		for range cfg.dispatchConc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(cfg.dispatch) && ctx.Err() == nil {
					id, took, err := sendCommand(ctx, api, devices[rand.IntN(len(devices))])
					mu.Lock()
					if err != nil {
						r.APIErrors++
						if firstErr == nil {
							firstErr = err
						}
					} else {
						r.Accepted++
						apiNs = append(apiNs, int64(took))
						ids = append(ids, id)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return nil
	}
	if err := c.during(pctx, send); err != nil {
		return err
	}
	// The agents' samples trail the last answers by a flush (50 ms).
	for len(c.samples) < r.Accepted && pctx.Err() == nil {
		if _, err := c.next(pctx, time.Until(start.Add(cfg.remoteTimeout))); err != nil && !errors.Is(err, errTimeout) && pctx.Err() == nil {
			return err
		}
	}
	r.Seconds = time.Since(start).Seconds()
	// The server's CPU per command: on a shared machine a steadier figure
	// than the latencies, which wait for the cores as much as for the work.
	if cpu1, ok := cpuSeconds(pid); ok && cpuOK && r.Accepted > 0 {
		r.ServerCPUMsPerCommand = (cpu1 - cpu0) * 1000 / float64(r.Accepted)
	}
	if r.Accepted > 0 {
		others1 := processCPU(otherProcesses...)
		per := func(name string) float64 { return (others1[name] - others0[name]) * 1000 / float64(r.Accepted) }
		r.DatabaseCPUMsPerCommand, r.RedisCPUMsPerCommand, r.SimCPUMsPerCommand = per("postgres"), per("redis-server"), per("breeze-sim")
	}
	r.Load = loadAvg()
	r.Received = len(c.samples)
	if r.Seconds > 0 {
		r.PerSecond = float64(r.Received) / r.Seconds
	}
	r.APIToAgent, r.APICall = summarize(c.samples), summarize(apiNs)
	if len(ids) > readBack {
		ids = ids[len(ids)-readBack:]
	}
	r.Checked = len(ids)
	if err := c.during(ctx, func(ctx context.Context) error { r.CheckedFinal = readBackCommands(ctx, api, ids); return nil }); err != nil {
		return err
	}

	switch {
	case firstErr != nil:
		return fmt.Errorf("%d of %d calls failed, the first: %w", r.APIErrors, r.Requested, firstErr)
	case r.Received < r.Accepted:
		return fmt.Errorf("the agents saw %d of %d accepted commands within %s", r.Received, r.Accepted, cfg.remoteTimeout)
	case r.CheckedFinal < r.Checked:
		return fmt.Errorf("only %d of the last %d commands read back as succeeded", r.CheckedFinal, r.Checked)
	}
	return nil
}

// sendCommand creates one run_script command carrying its send time and
// returns its id and the call's duration.
func sendCommand(ctx context.Context, api *apiClient, deviceID string) (string, time.Duration, error) {
	t0 := time.Now()
	body := map[string]any{
		"action": protocol.ActionRunScript,
		"payload": protocol.RunScriptPayload{Language: "sh", Body: "true",
			Env: map[string]string{simT0Env: strconv.FormatInt(t0.UnixNano(), 10)}},
		"timeoutSeconds": 60,
	}
	var out struct {
		ID string `json:"id"`
	}
	err := api.call(ctx, http.MethodPost, "/api/v1/devices/"+deviceID+"/commands", body, &out, http.StatusAccepted)
	return out.ID, time.Since(t0), err
}

// readBackCommands polls the commands until they are final (5 s at most) and
// counts those that succeeded.
func readBackCommands(ctx context.Context, api *apiClient, ids []string) int {
	ok := 0
	deadline := time.Now().Add(5 * time.Second)
	for _, id := range ids {
		for {
			var cmd struct {
				Status string `json:"status"`
			}
			err := api.call(ctx, http.MethodGet, "/api/v1/commands/"+id, nil, &cmd, http.StatusOK)
			if err == nil && finalStatus(cmd.Status) {
				if cmd.Status == "succeeded" {
					ok++
				}
				break
			}
			if time.Now().After(deadline) || !sleep(ctx, 20*time.Millisecond) {
				break
			}
		}
	}
	return ok
}

// finalStatus says whether a command status is final (notes/api.md).
func finalStatus(s string) bool {
	switch s {
	case "succeeded", "failed", "timed_out", "expired", "cancelled":
		return true
	}
	return false
}
