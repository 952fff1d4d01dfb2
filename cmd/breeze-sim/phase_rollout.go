package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

// The rollout phase (issue 19's "Measure"): a dummy agent build signed
// with --rollout-key is uploaded, then rolled out to the org of the
// linked agents in --rollout-stages with --rollout-pause between them.
// The simulated agents answer the offer like the real one (downloading,
// installed, then a relink whose hello carries the new version) without
// downloading or swapping anything, so the figure is the server's:
// assignment, offers, results and stage progression. The phase times
// the whole rollout and each stage (from its start to the next stage's
// start or the end), polling the rollout every 250 ms.

// rolloutVersion is what the simulated fleet moves to.
const rolloutVersion = "1.0.0"

// rolloutReport is the phase's figures.
type rolloutReport struct {
	Devices      int            `json:"devices"`
	Stages       []int          `json:"stages"`
	PauseSeconds float64        `json:"pauseSeconds"`
	Seconds      float64        `json:"seconds" doc:"create → completed"`
	StageSeconds []float64      `json:"stageSeconds"`
	State        string         `json:"state"`
	Counts       map[string]int `json:"counts"`
	Error        string         `json:"error,omitempty"`
}

func (rr *rolloutReport) print(p func(string, ...any)) {
	stages := make([]string, len(rr.StageSeconds))
	for i, s := range rr.StageSeconds {
		stages[i] = fmt.Sprintf("%d%%: %.1fs", rr.Stages[i], s)
	}
	p("  rollout             %d devices, stages %v, pause %.0fs: %s in %.1fs (per stage, pause included: %s); devices %v",
		rr.Devices, rr.Stages, rr.PauseSeconds, rr.State, rr.Seconds, strings.Join(stages, ", "), rr.Counts)
	if rr.Error != "" {
		p("  rollout error       %s", rr.Error)
	}
}

func parseStages(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("--rollout-stages: %w", err)
		}
		out = append(out, n)
	}
	return out, nil
}

// rolloutPhase runs the phase; its figures go to rep.Rollout.
func (c *coord) rolloutPhase(ctx context.Context, rep *report) error {
	cfg := c.cfg
	rr := &rolloutReport{PauseSeconds: cfg.rolloutPause.Seconds()}
	rep.Rollout = rr
	fail := func(err error) error {
		rr.Error = err.Error()
		return fmt.Errorf("rollout phase: %w", err)
	}
	stages, err := parseStages(cfg.rolloutStages)
	if err != nil {
		return fail(err)
	}
	rr.Stages = stages
	raw, err := os.ReadFile(cfg.rolloutKey)
	if err != nil {
		return fail(fmt.Errorf("--rollout-key: %w", err))
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return fail(errors.New("--rollout-key is not a release key (breeze release keygen)"))
	}
	key := ed25519.NewKeyFromSeed(seed)
	api := newPhaseClient(cfg.server)
	if err := api.login(ctx, cfg.email, cfg.password); err != nil {
		return fail(fmt.Errorf("sign in: %w", err))
	}
	devices, err := c.linkedDevices(ctx)
	if err != nil || len(devices) == 0 {
		return fail(fmt.Errorf("list linked devices: %v (%d linked)", err, len(devices)))
	}
	rr.Devices = len(devices)
	var dev struct {
		OrgID string `json:"orgId"`
	}
	if err := api.call(ctx, http.MethodGet, "/api/v1/devices/"+url.PathEscape(devices[0]), nil, &dev, http.StatusOK); err != nil {
		return fail(fmt.Errorf("read a device's org: %w", err))
	}

	// The build: 1 MiB of noise, signed like `breeze release sign` does.
	build := make([]byte, 1<<20)
	_, _ = rand.Read(build)
	sum := sha256.Sum256(build)
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(key, protocol.ReleaseMessage("linux", "amd64", rolloutVersion, hex.EncodeToString(sum[:]))))
	q := url.Values{"version": {rolloutVersion}, "os": {"linux"}, "arch": {"amd64"}, "signature": {sig}, "notes": {"breeze-sim"}}
	if err := api.send(ctx, http.MethodPost, "/api/v1/releases?"+q.Encode(), "application/octet-stream", bytes.NewReader(build), nil,
		http.StatusCreated); err != nil {
		return fail(fmt.Errorf("upload the build: %w", err))
	}

	c.logf("rollout: %s to %d devices of org %s in stages %v, pause %s", rolloutVersion, len(devices), dev.OrgID, stages, cfg.rolloutPause)
	var created struct {
		ID string `json:"id"`
	}
	t0 := time.Now()
	body := map[string]any{"scopeKind": "org", "scopeId": dev.OrgID, "version": rolloutVersion, "stages": stages,
		"pauseSeconds": int(cfg.rolloutPause.Seconds()), "failureThreshold": 5}
	if err := api.call(ctx, http.MethodPost, "/api/v1/rollouts", body, &created, http.StatusCreated); err != nil {
		return fail(fmt.Errorf("create the rollout: %w", err))
	}
	stageStart := make([]time.Time, len(stages))
	stageStart[0] = t0
	err = c.during(ctx, func(ctx context.Context) error {
		deadline := time.Now().Add(cfg.rolloutTimeout)
		for time.Now().Before(deadline) {
			var r struct {
				State  string         `json:"state"`
				Stage  int            `json:"stage"`
				Counts map[string]int `json:"counts"`
			}
			if err := api.call(ctx, http.MethodGet, "/api/v1/rollouts/"+created.ID, nil, &r, http.StatusOK); err != nil {
				return err
			}
			now := time.Now()
			for i := 1; i <= r.Stage && i < len(stages); i++ {
				if stageStart[i].IsZero() {
					stageStart[i] = now
					c.logf("rollout: stage %d (%d%%) started after %.1fs; devices %v", i, stages[i], now.Sub(t0).Seconds(), r.Counts)
				}
			}
			rr.State, rr.Counts = r.State, r.Counts
			if r.State == "completed" || r.State == "stopped" {
				rr.Seconds = now.Sub(t0).Seconds()
				for i := range stages {
					end := now
					if i+1 < len(stages) && !stageStart[i+1].IsZero() {
						end = stageStart[i+1]
					}
					if !stageStart[i].IsZero() {
						rr.StageSeconds = append(rr.StageSeconds, end.Sub(stageStart[i]).Seconds())
					}
				}
				return nil
			}
			if !sleep(ctx, 250*time.Millisecond) {
				return ctx.Err()
			}
		}
		return fmt.Errorf("not done within %s (state %s, devices %v)", cfg.rolloutTimeout, rr.State, rr.Counts)
	})
	if err != nil {
		return fail(err)
	}
	c.logf("rollout: %s in %.1fs; devices %v", rr.State, rr.Seconds, rr.Counts)
	if rr.State != "completed" {
		return fail(fmt.Errorf("the rollout ended %s", rr.State))
	}
	return nil
}
