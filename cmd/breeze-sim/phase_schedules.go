package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The schedules phase (issue 15's "Measure"): --schedules action schedules
// (uptime, offline skip, every minute, spreadSeconds) are made through the
// REST API, --schedules-per-device on each of the first linked devices.
// Then, over a window of whole minutes starting at the first minute
// boundary after they all exist, the server's CPU is sampled at every
// minute (each node's /proc/PID/stat), optionally a CPU profile is taken
// of each node, and afterwards every schedule's fires are read back through
// the API: each fire's lateness (firedAt − fireAt), fires expected vs
// recorded, and double fires — rows, commands per fire, commands shared by
// fires, and the uptime commands the agents were handed that belong to no
// fire (work without a fire: a double fire the fire rows cannot show).

// validateSchedules checks the schedules phase's flags.
func (c *config) validateSchedules() error {
	if c.schedules == 0 || c.child {
		return nil
	}
	switch {
	case c.schedules < 0 || c.schedulesPerDev < 1:
		return errors.New("--schedules ≥ 0 and --schedules-per-device ≥ 1")
	case c.email == "":
		return errors.New("--schedules signs in: give --email and --password of an admin")
	case c.schedulesWindow < time.Minute || c.schedulesWindow%time.Minute != 0:
		return errors.New("--schedules-window is whole minutes, at least 1m")
	case c.schedulesSpread < -1 || c.schedulesSpread > 3600:
		return errors.New("--schedules-spread is -1 (left out) or 0 to 3600")
	case c.schedulesWarmup < 0 || c.schedulesWarmup%time.Minute != 0:
		return errors.New("--schedules-warmup is whole minutes")
	case c.schedulesConc < 1 || c.schedulesBaseline < 0 || c.schedulesSettle < 0 || c.pprofSeconds < 1:
		return errors.New("--schedules-concurrency ≥ 1, --schedules-baseline and --schedules-settle ≥ 0, --pprof-seconds ≥ 1")
	}
	return nil
}

// schedulesPhase runs the phase; its figures go to rep.Schedules.
func (c *coord) schedulesPhase(ctx context.Context, rep *report) error {
	cfg := c.cfg
	sr := &schedulesReport{Schedules: cfg.schedules, PerDevice: cfg.schedulesPerDev, Cron: cfg.schedulesCron}
	rep.Schedules = sr
	fail := func(err error) error {
		sr.Error = err.Error()
		return fmt.Errorf("schedules phase: %w", err)
	}
	api := newPhaseClient(cfg.server)
	if err := api.login(ctx, cfg.email, cfg.password); err != nil {
		return fail(fmt.Errorf("sign in: %w", err))
	}
	devices, err := c.linkedDevices(ctx)
	if err != nil {
		return fail(fmt.Errorf("list linked devices: %w", err))
	}
	need := (cfg.schedules + cfg.schedulesPerDev - 1) / cfg.schedulesPerDev
	if len(devices) < need {
		return fail(fmt.Errorf("%d schedules at %d a device need %d linked devices; %d are linked", cfg.schedules, cfg.schedulesPerDev, need, len(devices)))
	}
	devices = devices[:need]
	sr.Devices = need
	var dev struct {
		OrgID string `json:"orgId"`
	}
	if err := api.call(ctx, http.MethodGet, "/api/v1/devices/"+url.PathEscape(devices[0]), nil, &dev, http.StatusOK); err != nil {
		return fail(fmt.Errorf("read a device's org: %w", err))
	}
	pids, err := cfg.nodePIDs()
	if err != nil {
		return fail(err)
	}
	sr.Nodes = make([]nodeCPU, len(pids))
	for i, p := range pids {
		sr.Nodes[i].PID = p
	}

	// The idle fleet's CPU: what the servers spend without schedules.
	if cfg.schedulesBaseline > 0 && len(pids) > 0 {
		c.logf("schedules: sampling the servers' CPU for %s before any schedule exists", cfg.schedulesBaseline)
		before := readCPU(pids)
		if err := c.during(ctx, func(ctx context.Context) error {
			if !sleep(ctx, cfg.schedulesBaseline) {
				return ctx.Err()
			}
			return nil
		}); err != nil {
			return err
		}
		after := readCPU(pids)
		for i := range pids {
			sr.Nodes[i].BaselinePerMin = (after[i] - before[i]) / cfg.schedulesBaseline.Minutes()
		}
	}

	c.logf("schedules: creating %d schedules (%s, uptime, offline skip) on %d devices, %d in flight",
		cfg.schedules, cfg.schedulesCron, need, cfg.schedulesConc)
	t := time.Now()
	var ids []string
	err = c.during(ctx, func(ctx context.Context) error {
		var err error
		ids, err = createSchedules(ctx, cfg, api, dev.OrgID, devices, sr)
		return err
	})
	sr.CreateSeconds = time.Since(t).Seconds()
	sr.Created = len(ids)
	if err != nil {
		if errors.Is(err, errShardExited) || ctx.Err() != nil {
			return err
		}
		return fail(fmt.Errorf("create the schedules: %w", err))
	}
	c.logf("schedules: %d created in %.1fs (%.0f/s); spread %s", len(ids), sr.CreateSeconds, float64(len(ids))/sr.CreateSeconds, sr.spreadText())

	// The window: whole minutes from the next minute boundary, so every
	// schedule fires once in each of them (at :00, or at :00 + its offset
	// below 60 s with spreadSeconds 60).
	minutes := int(cfg.schedulesWindow / time.Minute)
	t0 := time.Now().Truncate(time.Minute).Add(time.Minute + cfg.schedulesWarmup)
	sr.WindowStart, sr.Minutes = t0.UTC(), minutes
	c.logf("schedules: measuring %d minute(s) from %s", minutes, t0.Format("15:04:05"))
	err = c.during(ctx, func(ctx context.Context) error { return c.window(ctx, cfg, pids, t0, minutes, sr) })
	if err != nil {
		return err
	}
	c.logf("schedules: window over; waiting %s for the last fires", cfg.schedulesSettle)
	if err := c.during(ctx, func(ctx context.Context) error {
		if !sleep(ctx, cfg.schedulesSettle) {
			return ctx.Err()
		}
		return nil
	}); err != nil {
		return err
	}

	// What the agents were handed, then the fires: a command reaches an
	// agent only after its fire row exists, and the row names it moments
	// later, so reading the rows second sees every id the agents saw.
	workAt := time.Now()
	c.broadcast(cmdWork)
	if _, err := c.waitAll(ctx, evWork, time.Minute, nil); err != nil {
		return fail(fmt.Errorf("collect the agents' commands: %w", err))
	}
	work := map[string]uint32{}
	for _, w := range c.work {
		for id, n := range w {
			work[id] += n
		}
	}
	// Sign in again: a long window outlives the access token.
	if err := api.login(ctx, cfg.email, cfg.password); err != nil {
		return fail(fmt.Errorf("sign in again: %w", err))
	}
	c.logf("schedules: reading the fires of %d schedules", len(ids))
	t = time.Now()
	var fires [][]fireRow
	err = c.during(ctx, func(ctx context.Context) error {
		var err error
		fires, err = readFires(ctx, cfg, api, ids)
		return err
	})
	if err != nil {
		if errors.Is(err, errShardExited) || ctx.Err() != nil {
			return err
		}
		return fail(fmt.Errorf("read the fires: %w", err))
	}
	sr.ReadSeconds = time.Since(t).Seconds()
	sr.analyze(fires, work, workAt, t0, minutes)
	c.logf("schedules: lateness %s; missing %d, double fires %d", sr.Lateness, sr.Missing, sr.DoubleFires)
	if sr.DoubleFires > 0 {
		return fail(fmt.Errorf("%d double fire(s)", sr.DoubleFires))
	}
	return nil
}

// window samples each node's CPU at every minute boundary of the window
// and takes the CPU profiles.
func (c *coord) window(ctx context.Context, cfg *config, pids []string, t0 time.Time, minutes int, sr *schedulesReport) error {
	if !sleep(ctx, time.Until(t0)) {
		return ctx.Err()
	}
	prev := readCPU(pids)
	start := prev
	var wg sync.WaitGroup
	if cfg.pprofURLs != "" {
		// In the window's second minute when it has three or more: the
		// first may still carry the creation's tail.
		at := t0
		if minutes >= 3 {
			at = t0.Add(time.Minute)
		}
		for i, base := range strings.Split(cfg.pprofURLs, ",") {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if !sleep(ctx, time.Until(at)) {
					return
				}
				path, err := takeProfile(ctx, strings.TrimSpace(base), cfg.pprofSeconds, filepath.Join(cfg.pprofDir, fmt.Sprintf("node%d.pprof", i+1)))
				if err != nil {
					c.logf("schedules: profile of node %d: %v", i+1, err)
					return
				}
				// Where the fire workers wait (off-CPU, which the CPU
				// profile cannot show): every goroutine's stack, once.
				gpath := filepath.Join(cfg.pprofDir, fmt.Sprintf("node%d.goroutines.txt", i+1))
				if err := fetchTo(ctx, strings.TrimSpace(base)+"/debug/pprof/goroutine?debug=1", gpath, time.Minute); err != nil {
					c.logf("schedules: goroutines of node %d: %v", i+1, err)
					gpath = ""
				}
				sr.mu.Lock()
				sr.Profiles = append(sr.Profiles, path)
				if gpath != "" {
					sr.Profiles = append(sr.Profiles, gpath)
				}
				sr.mu.Unlock()
			}()
		}
	}
	for m := 1; m <= minutes; m++ {
		if !sleep(ctx, time.Until(t0.Add(time.Duration(m)*time.Minute))) {
			wg.Wait()
			return ctx.Err()
		}
		now := readCPU(pids)
		var parts []string
		for i := range pids {
			d := now[i] - prev[i]
			sr.Nodes[i].PerMinute = append(sr.Nodes[i].PerMinute, d)
			parts = append(parts, fmt.Sprintf("node%d %.2fs", i+1, d))
		}
		prev = now
		load := loadAvg()
		sr.LoadAvg = append(sr.LoadAvg, load)
		c.logf("schedules: minute %d/%d: server CPU %s; load average %s", m, minutes, strings.Join(parts, ", "), load)
	}
	for i := range pids {
		sr.Nodes[i].WindowSeconds = prev[i] - start[i]
	}
	wg.Wait()
	return nil
}

// readCPU reads every node's CPU seconds (0 for a gone one).
func readCPU(pids []string) []float64 {
	out := make([]float64, len(pids))
	for i, p := range pids {
		out[i], _ = cpuSeconds(p)
	}
	return out
}

// takeProfile saves a CPU profile of seconds from a node's pprof.
func takeProfile(ctx context.Context, base string, seconds int, path string) (string, error) {
	u := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", strings.TrimRight(base, "/"), seconds)
	return path, fetchTo(ctx, u, path, time.Duration(seconds)*time.Second+time.Minute)
}

// fetchTo saves what GET u answers into path.
func fetchTo(ctx context.Context, u, path string, timeout time.Duration) error {
	cl := &http.Client{Timeout: timeout}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	res, err := cl.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", u, res.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// scheduleBody is a POST /schedules body.
type scheduleBody struct {
	OrgID         string         `json:"orgId"`
	Name          string         `json:"name"`
	Timezone      string         `json:"timezone"`
	Cron          string         `json:"cron"`
	Target        map[string]any `json:"target"`
	Task          map[string]any `json:"task"`
	OfflinePolicy string         `json:"offlinePolicy"`
	SpreadSeconds *int           `json:"spreadSeconds,omitempty"`
}

// createSchedules makes the schedules, schedule i on device i mod len;
// a server that refuses spreadSeconds gets schedules without it.
func createSchedules(ctx context.Context, cfg *config, api *apiClient, orgID string, devices []string, sr *schedulesReport) ([]string, error) {
	body := func(i int, spread int) scheduleBody {
		b := scheduleBody{OrgID: orgID, Name: fmt.Sprintf("sim-schedule-%06d", i), Timezone: "UTC", Cron: cfg.schedulesCron,
			Target:        map[string]any{"kind": "devices", "ids": []string{devices[i%len(devices)]}},
			Task:          map[string]any{"kind": "action", "action": "uptime"},
			OfflinePolicy: "skip"}
		if spread >= 0 {
			b.SpreadSeconds = &spread
		}
		return b
	}
	ids := make([]string, cfg.schedules)
	spread := cfg.schedulesSpread
	var out named
	err := api.call(ctx, http.MethodPost, "/api/v1/schedules", body(0, spread), &out, http.StatusCreated)
	if err != nil && spread >= 0 && hasStatus(err, http.StatusBadRequest) && strings.Contains(err.Error(), "spreadSeconds") {
		spread = -1
		sr.SpreadUnsupported = true
		err = api.call(ctx, http.MethodPost, "/api/v1/schedules", body(0, spread), &out, http.StatusCreated)
	}
	if err != nil {
		return nil, err
	}
	sr.Spread = spread
	ids[0] = out.ID
	var next atomic.Int64
	next.Store(1)
	var firstErr error
	var mu sync.Mutex
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range cfg.schedulesConc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= cfg.schedules || ctx.Err() != nil {
					return
				}
				var out named
				if err := api.call(ctx, http.MethodPost, "/api/v1/schedules", body(i, spread), &out, http.StatusCreated); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel()
					return
				}
				ids[i] = out.ID
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		var made []string
		for _, id := range ids {
			if id != "" {
				made = append(made, id)
			}
		}
		return made, firstErr
	}
	return ids, nil
}

// fireRow is one fire as GET /schedules/:id/fires shows it.
type fireRow struct {
	ID         string    `json:"id"`
	ScheduleID string    `json:"scheduleId"`
	FireAt     time.Time `json:"fireAt"`
	FiredAt    time.Time `json:"firedAt"`
	Status     string    `json:"status"`
	Error      string    `json:"error"`
	CommandIDs []string  `json:"commandIds"`
}

// readFires reads every fire of every schedule (all pages).
func readFires(ctx context.Context, cfg *config, api *apiClient, ids []string) ([][]fireRow, error) {
	out := make([][]fireRow, len(ids))
	var next atomic.Int64
	errs := make(chan error, cfg.schedulesConc)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range cfg.schedulesConc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ids) || ctx.Err() != nil {
					return
				}
				cursor := ""
				for {
					var page struct {
						Items      []fireRow `json:"items"`
						NextCursor string    `json:"nextCursor"`
					}
					path := "/api/v1/schedules/" + url.PathEscape(ids[i]) + "/fires?limit=500"
					if cursor != "" {
						path += "&cursor=" + url.QueryEscape(cursor)
					}
					if err := api.call(ctx, http.MethodGet, path, nil, &page, http.StatusOK); err != nil {
						errs <- err
						cancel()
						return
					}
					out[i] = append(out[i], page.Items...)
					if page.NextCursor == "" {
						break
					}
					cursor = page.NextCursor
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return out, err
	default:
		return out, nil
	}
}
