package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// The alerts phase (--alerts): notification latency of a CPU rule, then an
// offline storm. See the usage text in config.go.

const (
	webhookID = "breeze.webhook"
	// linger is how long the phase keeps listening once every device was
	// notified, to catch a second notification.
	linger = 3 * time.Second
	// pollEvery is how often the alert counts are read during the storm.
	pollEvery = time.Second
)

// Notification statuses of the webhook payload (core/app/notify).
const (
	statusTriggered = "triggered"
	statusResolved  = "resolved"
)

// alertsPhase runs the phase and records a failure in its report.
func (c *coord) alertsPhase(ctx context.Context, rep *report) error {
	ar := &alertsReport{}
	rep.Alerts = ar
	err := c.runAlerts(ctx, ar)
	if err != nil && !errors.Is(err, errShardExited) && ctx.Err() == nil {
		ar.Error = err.Error()
		c.logf("alerts phase failed: %v", err)
	}
	return err
}

func (c *coord) runAlerts(ctx context.Context, ar *alertsReport) error {
	cfg := c.cfg
	api := newPhaseClient(cfg.server)
	if err := api.login(ctx, cfg.email, cfg.password); err != nil {
		return fmt.Errorf("alerts: sign in: %w", err)
	}
	logFrom := fileSize(cfg.serverLog)
	devices, err := c.linkedDevices(ctx)
	if err != nil {
		return fmt.Errorf("alerts: list linked devices: %w", err)
	}
	if len(devices) == 0 {
		return errors.New("alerts: no agent is linked")
	}
	var dev struct {
		OrgID string `json:"orgId"`
	}
	if err := api.call(ctx, http.MethodGet, "/api/v1/devices/"+devices[0], nil, &dev, http.StatusOK); err != nil {
		return fmt.Errorf("alerts: find the org: %w", err)
	}
	ar.OrgID = dev.OrgID

	secret := randomHex(16)
	recv := newReceiver(secret)
	if err := recv.start(cfg.alertsListen); err != nil {
		return err
	}
	defer recv.close()
	ar.Receiver = recv.URL
	defer func() {
		_, ar.BadRequests, ar.BadSignatures = recv.snapshot()
		ar.TestNotifications = recv.testCount()
		if cfg.serverLog != "" {
			ar.ServerLog = scanServerLog(cfg.serverLog, logFrom)
		}
	}()
	c.logf("alerts: webhook plugin for org %s, receiver %s", ar.OrgID, recv.URL)
	if ar.Plugin, err = setupWebhook(ctx, api, cfg.alertsPlugin, ar.OrgID, recv.URL, secret); err != nil {
		return err
	}

	// Calm: from the shards' answer on, every heartbeat reports a calm CPU.
	c.broadcast(cmdCPUCalm)
	calmed, err := c.waitAll(ctx, evCalmed, time.Minute, nil)
	if err != nil {
		return err
	}
	for _, e := range calmed {
		ar.HeartbeatMs = max(ar.HeartbeatMs, e.IntervalMs)
	}
	if err := c.pump(ctx, time.Second); err != nil { // frames written before
		return err
	}
	interval := time.Duration(ar.HeartbeatMs) * time.Millisecond

	if cfg.alertsHot > 0 {
		ar.Latency = &latencyReport{Asked: cfg.alertsHot, ForSeconds: int(cfg.alertsFor / time.Second), TargetP99Ms: latencyTargetMs}
		if err := c.latencyTest(ctx, api, ar.OrgID, recv, interval, ar.Latency); err != nil {
			return err
		}
	}
	if cfg.alertsDrop > 0 {
		ar.Storm = &stormReport{Asked: cfg.alertsDrop, OfflineMinutes: int(cfg.alertsOffline / time.Minute)}
		if err := c.stormTest(ctx, api, ar.OrgID, recv, ar.Storm); err != nil {
			return err
		}
	}
	return nil
}

// latencyTest: K agents go hot at once against "cpu > 90 for D", then calm.
func (c *coord) latencyTest(ctx context.Context, api *apiClient, org string, recv *receiver, interval time.Duration, lr *latencyReport) error {
	cfg := c.cfg
	var err error
	lr.RouteID, lr.RouteGrouping, err = createRoute(ctx, api, org, "breeze-sim latency", "0/0")
	if err != nil {
		return err
	}
	defer deleteQuietly(ctx, api, "/api/v1/notification-routes/"+lr.RouteID)
	lr.RuleID, err = createRule(ctx, api, org, "breeze-sim cpu > 90", "metric_threshold", map[string]any{
		"metric": "cpu", "comparator": ">", "threshold": 90, "durationSeconds": lr.ForSeconds})
	if err != nil {
		return err
	}
	defer deleteQuietly(ctx, api, "/api/v1/alert-rules/"+lr.RuleID)
	settle := max(cfg.alertsSettle, time.Second)
	c.logf("alerts: rule in place; letting the fleet settle %s before the hot agents", settle)
	lr.SettleSeconds = settle.Seconds()
	if err := c.pump(ctx, settle); err != nil {
		return err
	}

	weights, err := c.linkedPerShard(ctx)
	if err != nil {
		return err
	}
	share := split(cfg.alertsHot, weights)
	c.alertNotes = map[string]alertSample{}
	t0 := time.Now()
	for i, w := range c.workers {
		w.send(fmt.Sprintf("%s %d %s", cmdHot, share[i], cfg.alertsFor))
	}
	got, err := c.waitAll(ctx, evHot, time.Minute, nil)
	if err != nil {
		return err
	}
	var hot []string
	for _, e := range got {
		hot = append(hot, e.DeviceIDs...)
	}
	lr.Hot = len(hot)
	c.logf("alerts: %d agents hot at once (rule cpu > 90 for %s, heartbeat %s)", lr.Hot, cfg.alertsFor, interval)

	// The openings: every hot device notified, every completing sample noted.
	bound := cfg.alertsFor + 3*interval + cfg.alertsTimeout
	open := func() transitionStats {
		arr, _, _ := recv.snapshot()
		return tally(hot, c.noteTimes(func(s alertSample) int64 { return s.Done }), arr, lr.RuleID, statusTriggered)
	}
	if _, err := c.waitUntil(ctx, t0.Add(bound), func() bool {
		st := open()
		return st.Arrived == lr.Hot && st.WithSendTime == lr.Hot
	}); err != nil {
		return err
	}
	waited := time.Since(t0).Seconds()
	if err := c.pump(ctx, linger); err != nil {
		return err
	}
	lr.Open = open()
	lr.Open.WaitSeconds = waited
	lr.OpenP99Met = lr.Open.Arrived == lr.Open.Expected && lr.Open.Latency.N > 0 && lr.Open.Latency.P99Ms <= lr.TargetP99Ms
	c.logf("alerts: %d of %d openings notified; latency %s", lr.Open.Arrived, lr.Hot, lr.Open.Latency)
	if lr.OpenAlertsAPI, err = countAlerts(ctx, api, lr.RuleID, ""); err != nil {
		return err
	}

	// The resolutions: the hot agents turn calm at once.
	t1 := time.Now()
	c.broadcast(cmdCalm)
	if _, err := c.waitAll(ctx, evCooled, time.Minute, nil); err != nil {
		return err
	}
	resolve := func() transitionStats {
		arr, _, _ := recv.snapshot()
		return tally(hot, c.noteTimes(func(s alertSample) int64 { return s.Calm }), arr, lr.RuleID, statusResolved)
	}
	if _, err := c.waitUntil(ctx, t1.Add(3*interval+cfg.alertsTimeout), func() bool {
		st := resolve()
		return st.Arrived == lr.Hot && st.WithSendTime == lr.Hot
	}); err != nil {
		return err
	}
	waited = time.Since(t1).Seconds()
	if err := c.pump(ctx, linger); err != nil {
		return err
	}
	lr.Resolve = resolve()
	lr.Resolve.WaitSeconds = waited
	c.logf("alerts: %d of %d resolutions notified; latency %s", lr.Resolve.Arrived, lr.Hot, lr.Resolve.Latency)
	return nil
}

// stormTest: M agents drop at once against "offline for N minutes", then
// rejoin.
func (c *coord) stormTest(ctx context.Context, api *apiClient, org string, recv *receiver, sr *stormReport) error {
	cfg := c.cfg
	var err error
	var window time.Duration
	sr.RouteID, sr.RouteGrouping, err = createRoute(ctx, api, org, "breeze-sim storm", cfg.alertsGroup)
	if err != nil {
		return err
	}
	window = groupWindow(sr.RouteGrouping)
	defer deleteQuietly(ctx, api, "/api/v1/notification-routes/"+sr.RouteID)
	sr.RuleID, err = createRule(ctx, api, org, "breeze-sim offline", "device_offline", map[string]any{"minutes": sr.OfflineMinutes})
	if err != nil {
		return err
	}
	defer deleteQuietly(ctx, api, "/api/v1/alert-rules/"+sr.RuleID)

	weights, err := c.linkedPerShard(ctx)
	if err != nil {
		return err
	}
	share := split(cfg.alertsDrop, weights)
	tDrop := time.Now()
	for i, w := range c.workers {
		w.send(fmt.Sprintf("%s %d", cmdDrop, share[i]))
	}
	got, err := c.waitAll(ctx, evDropped, time.Minute, nil)
	if err != nil {
		return err
	}
	for _, e := range got {
		sr.Dropped += len(e.DeviceIDs)
	}
	c.logf("alerts: %d agents dropped at once; waiting for their offline alerts (rule: %d min)", sr.Dropped, sr.OfflineMinutes)

	// Settle: the count reached the dropped agents and held still.
	var first time.Time
	n, last, err := c.settle(ctx, api, sr.RuleID, "", sr.Dropped, tDrop, tDrop.Add(cfg.alertsOffline+cfg.alertsTimeout), &first)
	if err != nil {
		return err
	}
	sr.OpenedAPI, sr.Settled = n, n >= sr.Dropped
	sr.SettleSeconds = last.Sub(tDrop).Seconds()
	if !first.IsZero() {
		sr.FirstSeconds = first.Sub(tDrop).Seconds()
	}
	sr.ServerSettled = sampleServer(ctx, cfg)
	c.logf("alerts: %d offline alerts, count settled %.1fs after the drop; server %s", n, sr.SettleSeconds, sr.ServerSettled)
	if err := c.awaitNotifications(ctx, recv, sr.RuleID, statusTriggered, sr.OpenedAPI, window); err != nil {
		return err
	}
	arr, _, _ := recv.snapshot()
	sr.Opened = countNotifications(arr, sr.RuleID, statusTriggered, tDrop)
	c.logf("alerts: storm notifications: %s", countText(sr.Opened))

	tRejoin := time.Now()
	c.broadcast(cmdRejoin)
	back, err := c.waitAll(ctx, evRejoined, time.Minute, nil)
	if err != nil {
		return err
	}
	for _, e := range back {
		sr.Rejoined += e.Expected
	}
	n, last, err = c.settle(ctx, api, sr.RuleID, "resolved", sr.OpenedAPI, tRejoin, tRejoin.Add(cfg.alertsTimeout), nil)
	if err != nil {
		return err
	}
	sr.ResolvedAPI, sr.ResolveSeconds = n, last.Sub(tRejoin).Seconds()
	c.logf("alerts: %d offline alerts resolved, the last %.1fs after the rejoin", n, sr.ResolveSeconds)
	if err := c.awaitNotifications(ctx, recv, sr.RuleID, statusResolved, sr.ResolvedAPI, window); err != nil {
		return err
	}
	arr, _, _ = recv.snapshot()
	sr.Resolved = countNotifications(arr, sr.RuleID, statusResolved, tRejoin)
	return nil
}

// settle polls the count of the rule's alerts (in state, "" for all) until
// it reaches want and holds still for --alerts-quiet, or until deadline.
// It returns the last count and when it last changed (from; first, when
// not nil, gets when it first was above zero).
func (c *coord) settle(ctx context.Context, api *apiClient, ruleID, state string, want int, from, deadline time.Time, first *time.Time) (int, time.Time, error) {
	last, changed := 0, from
	for {
		if err := c.pump(ctx, pollEvery); err != nil {
			return last, changed, err
		}
		n, err := countAlerts(ctx, api, ruleID, state)
		if err != nil {
			return last, changed, err
		}
		now := time.Now()
		if n != last {
			last, changed = n, now
			if first != nil && first.IsZero() && n > 0 {
				*first = now
			}
		}
		if (n >= want && now.Sub(changed) >= c.cfg.alertsQuiet) || now.After(deadline) {
			return last, changed, nil
		}
	}
}

// awaitNotifications waits until the receiver has notifications of the
// rule referencing want alerts. A grouping route's digests come at the end
// of its window, so the bound is the window plus --alerts-timeout (at most
// a minute of it): enough for a queue to drain, short when it is stuck.
func (c *coord) awaitNotifications(ctx context.Context, recv *receiver, ruleID, status string, want int, window time.Duration) error {
	wait := window + min(c.cfg.alertsTimeout, time.Minute)
	_, err := c.waitUntil(ctx, time.Now().Add(wait), func() bool {
		arr, _, _ := recv.snapshot()
		return countNotifications(arr, ruleID, status, time.Time{}).Alerts >= want
	})
	if err != nil {
		return err
	}
	return c.pump(ctx, linger)
}

// pump takes the shards' events for d.
func (c *coord) pump(ctx context.Context, d time.Duration) error {
	end := time.Now().Add(d)
	for {
		left := time.Until(end)
		if left <= 0 {
			return nil
		}
		if _, err := c.next(ctx, left); err != nil && !errors.Is(err, errTimeout) {
			return err
		}
	}
}

// waitUntil takes events until cond holds (checked every 100 ms) or the
// deadline passes (false).
func (c *coord) waitUntil(ctx context.Context, deadline time.Time, cond func() bool) (bool, error) {
	for {
		if cond() {
			return true, nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false, nil
		}
		if err := c.pump(ctx, min(left, 100*time.Millisecond)); err != nil {
			return false, err
		}
	}
}

// noteTimes maps device → one time of the agents' notes.
func (c *coord) noteTimes(pick func(alertSample) int64) map[string]int64 {
	out := make(map[string]int64, len(c.alertNotes))
	for d, s := range c.alertNotes {
		if t := pick(s); t > 0 {
			out[d] = t
		}
	}
	return out
}

// mergeNote folds an agent's note into what is known of its device.
func mergeNote(m map[string]alertSample, s alertSample) {
	cur := m[s.Device]
	cur.Device = s.Device
	if s.Hot > 0 {
		cur.Hot = s.Hot
	}
	if s.Done > 0 {
		cur.Done = s.Done
	}
	if s.Calm > 0 {
		cur.Calm = s.Calm
	}
	m[s.Device] = cur
}

// linkedPerShard counts each shard's linked agents.
func (c *coord) linkedPerShard(ctx context.Context) ([]int, error) {
	if _, err := c.linkedDevices(ctx); err != nil {
		return nil, err
	}
	out := make([]int, len(c.devices))
	for i, d := range c.devices {
		out[i] = len(d)
	}
	return out, nil
}

// split shares total over the shards in proportion to weights (largest
// remainders first), never more than a shard's weight.
func split(total int, weights []int) []int {
	out := make([]int, len(weights))
	sum := 0
	for _, w := range weights {
		sum += max(w, 0)
	}
	if sum == 0 || total <= 0 {
		return out
	}
	total = min(total, sum)
	given := 0
	for i, w := range weights {
		out[i] = total * max(w, 0) / sum
		given += out[i]
	}
	// The rest, one each, to the shards with room, in turn.
	for given < total {
		for i, w := range weights {
			if given < total && out[i] < w {
				out[i]++
				given++
			}
		}
	}
	return out
}

// setupWebhook installs (when missing) and enables the webhook plugin,
// points the org's settings at the receiver and tests them.
func setupWebhook(ctx context.Context, api *apiClient, archive, org, receiverURL, secret string) (string, error) {
	type plugin struct {
		Version   string `json:"version"`
		State     string `json:"state"`
		LastError string `json:"lastError"`
	}
	var p plugin
	how := "installed already"
	err := api.call(ctx, http.MethodGet, "/api/v1/plugins/"+webhookID, nil, &p, http.StatusOK)
	switch {
	case hasStatus(err, http.StatusNotFound) && archive != "":
		data, rerr := os.ReadFile(archive)
		if rerr != nil {
			return "", fmt.Errorf("alerts: %w", rerr)
		}
		if err := api.send(ctx, http.MethodPost, "/api/v1/plugins", "application/gzip", bytes.NewReader(data), &p, http.StatusCreated); err != nil {
			return "", fmt.Errorf("alerts: install %s: %w", archive, err)
		}
		how = "installed by the phase"
	case hasStatus(err, http.StatusNotFound):
		return "", fmt.Errorf("alerts: the server has no %s plugin: give --alerts-plugin ARCHIVE (scripts/sim.sh packs one)", webhookID)
	case err != nil:
		return "", fmt.Errorf("alerts: %w", err)
	}
	if err := api.call(ctx, http.MethodPost, "/api/v1/plugins/"+webhookID+"/enable", nil, &p, http.StatusOK); err != nil {
		return "", fmt.Errorf("alerts: enable the plugin: %w", err)
	}
	settings := map[string]any{"enabled": true, "settings": map[string]any{"url": receiverURL, "secret": secret}}
	if err := api.call(ctx, http.MethodPut, "/api/v1/plugins/"+webhookID+"/orgs/"+org, settings, nil, http.StatusOK); err != nil {
		return "", fmt.Errorf("alerts: the org's plugin settings: %w", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for p.State != "running" {
		if time.Now().After(deadline) {
			return "", fmt.Errorf("alerts: the plugin is %q, not running: %s", p.State, p.LastError)
		}
		if !sleep(ctx, 200*time.Millisecond) {
			return "", ctx.Err()
		}
		if err := api.call(ctx, http.MethodGet, "/api/v1/plugins/"+webhookID, nil, &p, http.StatusOK); err != nil {
			return "", fmt.Errorf("alerts: %w", err)
		}
	}
	var tested struct {
		OK      bool   `json:"ok"`
		Message string `json:"message"`
	}
	if err := api.call(ctx, http.MethodPost, "/api/v1/plugins/"+webhookID+"/test", map[string]string{"orgId": org}, &tested, http.StatusOK); err != nil {
		return "", fmt.Errorf("alerts: test the webhook: %w", err)
	}
	if !tested.OK {
		return "", fmt.Errorf("alerts: the webhook test did not reach %s (%s): does the server run with --plugin-egress-allow 127.0.0.1/32?",
			receiverURL, tested.Message)
	}
	return fmt.Sprintf("%s %s (%s)", webhookID, p.Version, how), nil
}

// createRoute makes an org route to the webhook for every severity
// without a rate limit, with storm grouping group ("AFTER/SECONDS", "0/0"
// for none; "": the server's default). A server without grouping refuses
// the fields; "0/0" is then made without them. It returns the route's id
// and its grouping as the server answered.
func createRoute(ctx context.Context, api *apiClient, org, name, group string) (string, string, error) {
	body := map[string]any{"orgId": org, "name": name + " " + stamp(), "channelId": webhookID,
		"severities": []string{"info", "warning", "critical"}, "ratePerHour": 0}
	g, set, err := parseGroup(group)
	if err != nil {
		return "", "", err
	}
	if set {
		body["groupAfter"], body["groupIntervalSeconds"] = g[0], g[1]
	}
	var out map[string]any
	err = api.call(ctx, http.MethodPost, "/api/v1/notification-routes", body, &out, http.StatusCreated)
	if err != nil && g == [2]int{} && set && hasStatus(err, http.StatusBadRequest) && strings.Contains(err.Error(), "unknown field") {
		// A server without storm grouping refuses the fields (any other
		// refusal stands: a grouped latency test would measure nothing).
		delete(body, "groupAfter")
		delete(body, "groupIntervalSeconds")
		err = api.call(ctx, http.MethodPost, "/api/v1/notification-routes", body, &out, http.StatusCreated)
	}
	if err != nil {
		return "", "", fmt.Errorf("alerts: create a notification route: %w", err)
	}
	id, _ := out["id"].(string)
	return id, groupingText(out), nil
}

// groupingText describes a route's storm grouping from its JSON.
func groupingText(route map[string]any) string {
	after, ok1 := route["groupAfter"].(float64)
	every, ok2 := route["groupIntervalSeconds"].(float64)
	switch {
	case !ok1 && !ok2:
		return "none (the server offers none)"
	case after <= 0 || every <= 0:
		return "off"
	}
	return fmt.Sprintf("first %.0f alone, then digests every %.0fs", after, every)
}

// groupWindow reads the digest interval back from groupingText.
func groupWindow(text string) time.Duration {
	var after, every int
	if _, err := fmt.Sscanf(text, "first %d alone, then digests every %ds", &after, &every); err != nil {
		return 0
	}
	return time.Duration(every) * time.Second
}

// createRule makes a critical rule scoped to the org.
func createRule(ctx context.Context, api *apiClient, org, name, kind string, params map[string]any) (string, error) {
	raw, _ := json.Marshal(params)
	var out named
	err := api.call(ctx, http.MethodPost, "/api/v1/alert-rules", map[string]any{
		"orgId": org, "name": name + " " + stamp(), "severity": "critical", "kind": kind, "params": json.RawMessage(raw),
		"scopeKind": "org", "scopeIds": []string{org}}, &out, http.StatusCreated)
	if err != nil {
		return "", fmt.Errorf("alerts: create the rule %q: %w", name, err)
	}
	return out.ID, nil
}

// countAlerts counts the rule's alerts in state ("" for all), page by page.
func countAlerts(ctx context.Context, api *apiClient, ruleID, state string) (int, error) {
	q := url.Values{"ruleId": {ruleID}, "limit": {"500"}}
	if state != "" {
		q.Set("state", state)
	}
	n := 0
	for {
		var page struct {
			Items      []json.RawMessage `json:"items"`
			NextCursor string            `json:"nextCursor"`
		}
		if err := api.call(ctx, http.MethodGet, "/api/v1/alerts?"+q.Encode(), nil, &page, http.StatusOK); err != nil {
			return n, fmt.Errorf("alerts: count the alerts: %w", err)
		}
		n += len(page.Items)
		if page.NextCursor == "" {
			return n, nil
		}
		q.Set("cursor", page.NextCursor)
	}
}

// deleteQuietly removes what the phase made (a rule takes its alerts).
func deleteQuietly(ctx context.Context, api *apiClient, path string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_ = api.call(ctx, http.MethodDelete, path, nil, nil, http.StatusNoContent)
}

func stamp() string { return time.Now().UTC().Format("2006-01-02T15:04:05") }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func fileSize(path string) int64 {
	if path == "" {
		return 0
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
