package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/protocol"
)

func TestAlertMarkMilestones(t *testing.T) {
	t0 := time.Unix(1000, 0)
	m := &alertMark{hot: true, dur: 10 * time.Second}
	s, ok := m.sent(t0)
	if !ok || s.Hot != t0.UnixNano() || s.Done != 0 || s.Calm != 0 {
		t.Fatalf("first hot: %+v %v", s, ok)
	}
	if _, ok := m.sent(t0.Add(9999 * time.Millisecond)); ok {
		t.Fatal("a sample before the duration is a milestone")
	}
	// The first sample at ≥ first + D completes the duration (the server
	// compares the samples' own times the same way).
	s, ok = m.sent(t0.Add(10 * time.Second))
	if !ok || s.Hot != t0.UnixNano() || s.Done != t0.Add(10*time.Second).UnixNano() {
		t.Fatalf("completing sample: %+v %v", s, ok)
	}
	if _, ok := m.sent(t0.Add(15 * time.Second)); ok {
		t.Fatal("a later hot sample is a milestone")
	}
	m.hot, m.cooling = false, true
	s, ok = m.sent(t0.Add(20 * time.Second))
	if !ok || s.Calm != t0.Add(20*time.Second).UnixNano() || s.Hot != 0 || s.Done != 0 {
		t.Fatalf("first calm: %+v %v", s, ok)
	}
	if _, ok := m.sent(t0.Add(25 * time.Second)); ok {
		t.Fatal("a second calm sample is a milestone")
	}
	// A zero duration completes with the first hot sample.
	z := &alertMark{hot: true}
	if s, ok := z.sent(t0); !ok || s.Done != t0.UnixNano() {
		t.Fatalf("zero duration: %+v", s)
	}

	notes := map[string]alertSample{}
	mergeNote(notes, alertSample{Device: "d", Hot: 1})
	mergeNote(notes, alertSample{Device: "d", Hot: 1, Done: 2})
	mergeNote(notes, alertSample{Device: "d", Calm: 3})
	if notes["d"] != (alertSample{Device: "d", Hot: 1, Done: 2, Calm: 3}) {
		t.Fatalf("merged %+v", notes["d"])
	}
}

// webhookJSON is a body as plugins/webhook sends it for one alert.
func webhookJSON(alertID, deviceID, ruleID, status string) []byte {
	b, _ := json.Marshal(map[string]any{
		"id": alertID + ":" + map[string]string{"triggered": "open", "resolved": "resolved"}[status], "orgId": "o1",
		"deviceId": deviceID, "deviceName": "sim-000001", "severity": "critical", "status": status,
		"title": "[critical] cpu 97 > 90 for 10s", "message": "cpu 97 > 90 for 10s", "source": "breeze",
		"occurredAt": "2026-12-06T09:00:00Z", "labels": map[string]string{"alertId": alertID, "ruleId": ruleID, "kind": "metric_threshold"},
	})
	return b
}

func TestParseNotification(t *testing.T) {
	a, err := parseNotification(webhookJSON("a1", "d1", "r1", "triggered"))
	if err != nil || a.Status != "triggered" || a.RuleID != "r1" || a.Kind != "metric_threshold" || a.ID != "a1:open" ||
		!slices.Equal(a.DeviceIDs, []string{"d1"}) || !slices.Equal(a.AlertIDs, []string{"a1"}) || a.Alerts != 1 {
		t.Fatalf("single: %+v %v", a, err)
	}
	// A digest naming its alerts in labels, with a larger count.
	a, err = parseNotification([]byte(`{"id":"g1","status":"triggered","labels":{"ruleId":"r2","alertIds":"a1, a2,a3 a3","deviceIds":"d1,d2","count":"5"}}`))
	if err != nil || !slices.Equal(a.AlertIDs, []string{"a1", "a2", "a3"}) || !slices.Equal(a.DeviceIDs, []string{"d1", "d2"}) || a.Alerts != 5 {
		t.Fatalf("labels digest: %+v %v", a, err)
	}
	// A digest listing its alerts, and a JSON array in a label.
	a, err = parseNotification([]byte(`{"status":"resolved","labels":{"ruleId":"r2","alertIds":"[\"a9\"]"},
		"alerts":[{"id":"a1","deviceId":"d1"},{"alertId":"a2","deviceId":"d2"}],"alertIds":["a2","a3"]}`))
	if err != nil || !sameSet(a.AlertIDs, []string{"a1", "a2", "a3", "a9"}) ||
		!sameSet(a.DeviceIDs, []string{"d1", "d2"}) || a.Alerts != 4 {
		t.Fatalf("listed digest: %+v %v", a, err)
	}
	for _, bad := range []string{`nope`, `{"status":"triggered"}`, `[]`} {
		if _, err := parseNotification([]byte(bad)); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func TestReceiverRecordsArrivalsAndChecksSignatures(t *testing.T) {
	r := newReceiver("s3cret")
	if err := r.start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer r.close()
	post := func(body []byte, sig string) int {
		req, _ := http.NewRequest(http.MethodPost, r.URL, bytes.NewReader(body))
		req.Header.Set("X-Breeze-Timestamp", "1700000000")
		req.Header.Set("X-Breeze-Signature", sig)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	body := webhookJSON("a1", "d1", "r1", "triggered")
	before := time.Now()
	if code := post(body, sign("s3cret", "1700000000", body)); code != http.StatusNoContent {
		t.Fatalf("good notification answered %d", code)
	}
	if code := post(body, sign("other", "1700000000", body)); code != http.StatusNoContent {
		t.Fatalf("badly signed notification answered %d", code)
	}
	if code := post([]byte(`{"id":"x"}`), ""); code/100 != 2 {
		t.Fatalf("a payload naming nothing answered %d (the plugin would retry it)", code)
	}
	test := []byte(`{"id":"test","severity":"info","title":"Breeze test notification","test":true}`)
	if code := post(test, sign("s3cret", "1700000000", test)); code != http.StatusNoContent || r.testCount() != 1 {
		t.Fatalf("the test notification answered %d, counted %d", code, r.testCount())
	}
	if code := post(bytes.Repeat([]byte("x"), receiverMaxBody+1), ""); code != http.StatusBadRequest {
		t.Fatalf("an oversized body answered %d", code)
	}
	res, err := http.Get(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET answered %d", res.StatusCode)
	}
	arr, bad, badSig := r.snapshot()
	if len(arr) != 2 || bad != 2 || badSig != 1 || !arr[0].SigOK || arr[1].SigOK || arr[0].At.Before(before) ||
		arr[0].DeviceIDs[0] != "d1" {
		t.Fatalf("arrivals %+v, bad %d, bad signatures %d", arr, bad, badSig)
	}
	if validSignature([]byte("s3cret"), "", sign("s3cret", "", body), body) || validSignature([]byte("k"), "1", "sha256=zz", body) {
		t.Fatal("a signature without timestamp or in bad hex verified")
	}
}

func TestTally(t *testing.T) {
	base := time.Unix(2000, 0)
	at := func(ms int) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }
	send := map[string]int64{"d1": base.UnixNano(), "d2": base.UnixNano(), "d3": base.UnixNano()} // d4: no note
	arr := []arrival{
		{At: at(1500), RuleID: "r", Status: "triggered", DeviceIDs: []string{"d1"}},
		{At: at(900), RuleID: "r", Status: "triggered", DeviceIDs: []string{"d2"}},
		{At: at(400), RuleID: "r", Status: "triggered", DeviceIDs: []string{"d2"}}, // the earlier counts
		{At: at(100), RuleID: "r", Status: "triggered", DeviceIDs: []string{"d4"}},
		{At: at(100), RuleID: "r", Status: "triggered", DeviceIDs: []string{"d9"}}, // not in the set
		{At: at(100), RuleID: "r", Status: "resolved", DeviceIDs: []string{"d3"}},  // other transition
		{At: at(100), RuleID: "x", Status: "triggered", DeviceIDs: []string{"d3"}}, // other rule
	}
	st := tally([]string{"d1", "d2", "d3", "d4"}, send, arr, "r", "triggered")
	if st.Expected != 4 || st.WithSendTime != 3 || st.Arrived != 3 || st.Exactly1 != 2 || st.Duplicated != 1 ||
		st.Missing != 1 || st.Extra != 1 || st.Requests != 5 {
		t.Fatalf("%+v", st)
	}
	// Latencies: d1 1500 ms, d2 400 ms (its first); d4 has no send time.
	if st.Latency.N != 2 || st.Latency.P50Ms != 400 || st.Latency.P99Ms != 1500 || st.Latency.MaxMs != 1500 || st.SpreadMs != 1400 {
		t.Fatalf("latency %+v", st.Latency)
	}
	if empty := tally(nil, nil, arr, "none", "triggered"); empty.Latency.N != 0 || empty.Requests != 0 {
		t.Fatalf("%+v", empty)
	}
}

func TestCountNotifications(t *testing.T) {
	arr := []arrival{
		{ID: "a1:open", RuleID: "r", Status: "triggered", AlertIDs: []string{"a1"}, Alerts: 1},
		{ID: "a1:open", RuleID: "r", Status: "triggered", AlertIDs: []string{"a1"}, Alerts: 1}, // a retry
		{ID: "a2:open", RuleID: "r", Status: "triggered", AlertIDs: []string{"a2"}, Alerts: 1},
		{ID: "g1", RuleID: "r", Status: "triggered", AlertIDs: []string{"a3", "a4", "a5"}, Alerts: 3},
		{ID: "g2", RuleID: "r", Status: "triggered", AlertIDs: []string{"a6", "a7"}, Alerts: 10}, // 8 unnamed
		{ID: "a8:resolved", RuleID: "r", Status: "resolved", AlertIDs: []string{"a8"}, Alerts: 1},
		{ID: "z", RuleID: "other", Status: "triggered", AlertIDs: []string{"z1"}, Alerts: 1},
	}
	from := time.Unix(100, 0)
	arr[3].At = from.Add(2500 * time.Millisecond)
	c := countNotifications(arr, "r", "triggered", from)
	want := notificationCount{Requests: 5, Alerts: 7 + 8, Repeated: 1, MaxInOne: 10, AlertsOnce: 7, LastSeconds: 2.5}
	if c != want {
		t.Fatalf("%+v, want %+v", c, want)
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		total   int
		weights []int
		want    []int
	}{
		{200, []int{3000, 3000, 4000}, []int{60, 60, 80}},
		{10, []int{1, 1, 1}, []int{1, 1, 1}}, // more than there is: all
		{5, []int{2, 2, 2}, []int{2, 2, 1}},  // remainders in turn
		{7, []int{0, 10, 1}, []int{0, 7, 0}}, // an empty shard gets none
		{3, []int{1, 100}, []int{1, 2}},      // never above a weight
		{0, []int{5}, []int{0}},              //
		{4, []int{0, 0}, []int{0, 0}},        //
		{1000, []int{3334, 3333, 3333}, []int{334, 333, 333}},
	} {
		got := split(tc.total, tc.weights)
		sum := 0
		for i, n := range got {
			sum += n
			if n > tc.weights[i] {
				t.Errorf("split(%d, %v) = %v: above a weight", tc.total, tc.weights, got)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("split(%d, %v) = %v, want %v (sum %d)", tc.total, tc.weights, got, tc.want, sum)
		}
	}
}

func TestGroupingText(t *testing.T) {
	if g := groupingText(map[string]any{"id": "x"}); !strings.HasPrefix(g, "none") || groupWindow(g) != 0 {
		t.Fatal(g)
	}
	if g := groupingText(map[string]any{"groupAfter": 0.0, "groupIntervalSeconds": 300.0}); g != "off" || groupWindow(g) != 0 {
		t.Fatal(g)
	}
	g := groupingText(map[string]any{"groupAfter": 5.0, "groupIntervalSeconds": 300.0})
	if groupWindow(g) != 300*time.Second {
		t.Fatalf("%q → %s", g, groupWindow(g))
	}
}

func TestScanLog(t *testing.T) {
	log := strings.Join([]string{
		`2026-12-06T09:00:00.000Z [INFO]  breeze: started`,
		`2026-12-06T09:00:01.000Z [WARN]  breeze: alert notification not delivered: attempt=1`,
		`2026-12-06T09:00:02.000Z [ERROR] breeze: offline sweep failed: error="database is locked"`,
		`{"@level":"error","@message":"boom"}`,
		`{"@level":"warn","@message":"hm"}`,
		`panic: runtime error: index out of range`,
		``,
	}, "\n")
	r := &serverLogReport{}
	scanLog(strings.NewReader(log), r)
	if r.Lines != 6 || r.Errors != 2 || r.Warnings != 2 || r.Panics != 1 || len(r.Examples) != 5 {
		t.Fatalf("%+v", r)
	}
}

// fakeLinkServer plays the server's agent link: welcome with a short
// heartbeat and a watch list, then it notes every heartbeat's CPU by device.
type fakeLinkServer struct {
	*httptest.Server
	mu    sync.Mutex
	cpu   map[string][]float64
	hello map[string]int
}

func newFakeLinkServer(t *testing.T, interval time.Duration) *fakeLinkServer {
	f := &fakeLinkServer{cpu: map[string][]float64{}, hello: map[string]int{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dev := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/api/v1/agents/"), "/ws")
		conn, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		if _, _, err := conn.ReadMessage(); err != nil { // hello
			return
		}
		f.mu.Lock()
		f.hello[dev]++
		f.mu.Unlock()
		_ = conn.WriteMessage(websocket.TextMessage, marshal(protocol.Welcome{Header: protocol.Header{Type: protocol.TypeWelcome},
			DeviceID: dev, HeartbeatInterval: 1, HeartbeatIntervalMs: int(interval / time.Millisecond)}))
		// A watch list after the welcome, as the real server sends a
		// watcher: the simulated agent (no scanner plugins) ignores it.
		_ = conn.WriteMessage(websocket.TextMessage, marshal(protocol.Watch{Header: protocol.Header{Type: protocol.TypeWatch},
			IntervalSeconds: 60, Hosts: []protocol.WatchHost{{ID: "net-1", IP: "192.0.2.10"}}}))
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			var hb protocol.Heartbeat
			if json.Unmarshal(data, &hb) == nil && hb.Type == protocol.TypeHeartbeat {
				f.mu.Lock()
				f.cpu[dev] = append(f.cpu[dev], hb.CPUPercent)
				f.mu.Unlock()
			}
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeLinkServer) last(dev string) (float64, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := f.cpu[dev]
	if len(v) == 0 {
		return -1, 0
	}
	return v[len(v)-1], len(v)
}

// TestShardAlertCommands runs three agents over real links to a fake
// server and drives them with the alerts phase's commands.
func TestShardAlertCommands(t *testing.T) {
	const interval = 100 * time.Millisecond
	srv := newFakeLinkServer(t, interval)
	var out bytes.Buffer
	var outMu sync.Mutex
	s := &shard{cfg: &config{server: srv.URL, jitter: 0.1, linkTimeout: time.Minute}, wsBases: []string{wsURL(srv.URL)},
		out: json.NewEncoder(lockedWriter{&outMu, &out}), errors: map[string]int{}}
	for i := range 3 {
		s.agents = append(s.agents, &agent{s: s, idx: i, local: i, deviceID: "dev" + strconv.Itoa(i), token: "brz_x"})
	}
	s.linkMicros, s.firstMicros, s.gaveUp, s.relinkAt = make([]uint32, 3), make([]uint32, 3), make([]bool, 3), make([]int64, 3)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() {
		cancel()
		for _, a := range s.agents {
			a.close() // ends the readers now, not at their read deadline
		}
		wg.Wait()
	}()
	for _, a := range s.agents {
		wg.Add(1)
		go func() { defer wg.Done(); a.run(ctx) }()
	}
	waitFor(t, "three links", func() bool { return s.linkedNow.Load() == 3 })

	events := func() []event {
		outMu.Lock()
		defer outMu.Unlock()
		var evs []event
		dec := json.NewDecoder(bytes.NewReader(out.Bytes()))
		for {
			var e event
			if dec.Decode(&e) != nil {
				return evs
			}
			evs = append(evs, e)
		}
	}
	find := func(ev string) *event {
		for _, e := range events() {
			if e.Ev == ev {
				return &e
			}
		}
		return nil
	}

	if !s.alertCommand(cmdCPUCalm) || find(evCalmed) == nil || find(evCalmed).IntervalMs != 100 {
		t.Fatalf("cpu calm: %+v", events())
	}
	// Two beats later (one may have been on its way) every agent is calm.
	for i := range 3 {
		dev := "dev" + strconv.Itoa(i)
		_, n0 := srv.last(dev)
		waitFor(t, "two beats of "+dev, func() bool { _, n := srv.last(dev); return n >= n0+2 })
		if v, _ := srv.last(dev); v < calmCPUMin || v > calmCPUMax {
			t.Fatalf("%s reports %.1f after cpu calm", dev, v)
		}
	}

	// hot 1: the first linked agent turns hot at once (a beat of its own).
	s.alertCommand("hot 1 300ms")
	if e := find(evHot); e == nil || !slices.Equal(e.DeviceIDs, []string{"dev0"}) {
		t.Fatalf("hot: %+v", events())
	}
	waitFor(t, "a hot beat", func() bool { v, _ := srv.last("dev0"); return v >= hotCPUMin })
	var notes []alertSample
	waitFor(t, "the completing sample", func() bool {
		notes = append(notes, s.takeAlertSamples()...)
		return len(notes) > 0 && notes[len(notes)-1].Done > 0
	})
	first, done := notes[0], notes[len(notes)-1]
	if first.Device != "dev0" || first.Done != 0 || done.Hot != first.Hot || done.Done-done.Hot < int64(300*time.Millisecond) ||
		done.Done-done.Hot > int64(300*time.Millisecond+2*interval) {
		t.Fatalf("notes %+v", notes)
	}
	if v, _ := srv.last("dev1"); v > calmCPUMax {
		t.Fatalf("dev1 went hot too: %.1f", v)
	}
	s.errMu.Lock()
	if len(s.errors) != 0 || s.st.errorFrames.Load() != 0 { // the watch lists were ignored quietly
		t.Fatalf("errors %v, %d error frames", s.errors, s.st.errorFrames.Load())
	}
	s.errMu.Unlock()

	// calm: the hot agent reports calm at once and notes it.
	s.alertCommand(cmdCalm)
	if e := find(evCooled); e == nil || e.Expected != 1 {
		t.Fatalf("calm: %+v", events())
	}
	waitFor(t, "a calm beat of dev0", func() bool { v, _ := srv.last("dev0"); return v <= calmCPUMax })
	if c := s.takeAlertSamples(); len(c) != 1 || c[0].Device != "dev0" || c[0].Calm == 0 {
		t.Fatalf("calm notes %+v", c)
	}

	// drop 5: only the two agents never hot, from the end; they stay away.
	s.alertCommand("drop 5")
	if e := find(evDropped); e == nil || !slices.Equal(e.DeviceIDs, []string{"dev2", "dev1"}) {
		t.Fatalf("drop: %+v", events())
	}
	waitFor(t, "two links closed", func() bool { return s.linkedNow.Load() == 1 })
	time.Sleep(3 * interval)
	if s.linkedNow.Load() != 1 {
		t.Fatal("a dropped agent came back before rejoin")
	}
	s.alertCommand(cmdRejoin)
	if e := find(evRejoined); e == nil || e.Expected != 2 {
		t.Fatalf("rejoin: %+v", events())
	}
	waitFor(t, "the dropped agents back", func() bool { return s.linkedNow.Load() == 3 })
	srv.mu.Lock()
	hellos := srv.hello["dev1"]
	srv.mu.Unlock()
	if hellos != 2 {
		t.Fatalf("dev1 said hello %d times", hellos)
	}
	if s.alertCommand("bogus") || len(s.errors) != 0 {
		t.Fatalf("errors %v", s.errors)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAlertsReportInJSONAndText(t *testing.T) {
	r := &report{Alerts: &alertsReport{OrgID: "o1", Receiver: "http://127.0.0.1:1/h", Plugin: "breeze.webhook 1.0.0", HeartbeatMs: 5000,
		Latency: &latencyReport{Asked: 2, Hot: 2, ForSeconds: 10, TargetP99Ms: latencyTargetMs, OpenP99Met: true, RouteGrouping: "off",
			Open:    transitionStats{Expected: 2, Arrived: 2, Exactly1: 2, Latency: summarize([]int64{100e6, 300e6})},
			Resolve: transitionStats{Expected: 2, Arrived: 1, Exactly1: 1, Missing: 1, Latency: summarize([]int64{50e6})}},
		Storm: &stormReport{Asked: 10, Dropped: 10, OfflineMinutes: 1, OpenedAPI: 10, Settled: true, SettleSeconds: 75.5,
			Opened: notificationCount{Requests: 6, Alerts: 10, AlertsOnce: 10, MaxInOne: 5}},
		ServerLog: &serverLogReport{Path: "/x/server.log", Lines: 3, Warnings: 1}}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Alerts struct {
			Latency struct {
				Open transitionStats `json:"open"`
			} `json:"latency"`
			Storm stormReport `json:"storm"`
		} `json:"alerts"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Alerts.Latency.Open.Latency.P99Ms != 300 || back.Alerts.Storm.Opened.Requests != 6 || back.Alerts.Storm.SettleSeconds != 75.5 {
		t.Fatalf("%s", b)
	}
	var text bytes.Buffer
	r.print(&text)
	for _, want := range []string{"p99 ≤ 2000 ms: met", "opened          2 of 2 devices notified", "p50 100.00 ms",
		"6 requests referencing 10 alerts", "settled 75.5s after the drop", "heartbeat 5s", "1 warnings"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
}

// TestPhaseAPICalls runs the phase's API calls against a fake server: the
// plugin is installed from the archive when missing, enabled, pointed at
// the receiver and tested; a route asks for no grouping and falls back
// when the server has none; alerts are counted over pages.
func TestPhaseAPICalls(t *testing.T) {
	var mu sync.Mutex
	calls := map[string]int{}
	var settings map[string]any
	installed := false
	mux := http.NewServeMux()
	note := func(r *http.Request) { mu.Lock(); calls[r.Method+" "+r.URL.Path]++; mu.Unlock() }
	mux.HandleFunc("GET /api/v1/plugins/breeze.webhook", func(w http.ResponseWriter, r *http.Request) {
		note(r)
		if !installed {
			http.Error(w, `{"error":"not found"}`, http.StatusNotFound)
			return
		}
		_, _ = w.Write([]byte(`{"id":"breeze.webhook","version":"1.0.0","state":"running"}`))
	})
	mux.HandleFunc("POST /api/v1/plugins", func(w http.ResponseWriter, r *http.Request) {
		note(r)
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("Content-Type") != "application/gzip" || string(b) != "ARCHIVE" {
			http.Error(w, "bad archive", http.StatusBadRequest)
			return
		}
		installed = true
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"breeze.webhook","version":"1.0.0","state":"stopped"}`))
	})
	mux.HandleFunc("POST /api/v1/plugins/breeze.webhook/enable", func(w http.ResponseWriter, r *http.Request) {
		note(r)
		_, _ = w.Write([]byte(`{"id":"breeze.webhook","version":"1.0.0","state":"starting"}`))
	})
	mux.HandleFunc("PUT /api/v1/plugins/breeze.webhook/orgs/o1", func(w http.ResponseWriter, r *http.Request) {
		note(r)
		_ = json.NewDecoder(r.Body).Decode(&settings)
		_, _ = w.Write([]byte(`{}`))
	})
	mux.HandleFunc("POST /api/v1/plugins/breeze.webhook/test", func(w http.ResponseWriter, r *http.Request) {
		note(r)
		_, _ = w.Write([]byte(`{"ok":true,"message":"204 No Content"}`))
	})
	mux.HandleFunc("POST /api/v1/notification-routes", func(w http.ResponseWriter, r *http.Request) {
		note(r)
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		if _, ok := body["groupAfter"]; ok {
			http.Error(w, `{"error":"invalid","message":"unknown field \"groupAfter\""}`, http.StatusBadRequest)
			return
		}
		if body["orgId"] != "o1" || body["channelId"] != "breeze.webhook" || body["ratePerHour"] != 0.0 || len(body["severities"].([]any)) != 3 {
			http.Error(w, "bad route", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"route1"}`))
	})
	mux.HandleFunc("GET /api/v1/alerts", func(w http.ResponseWriter, r *http.Request) {
		note(r)
		if r.URL.Query().Get("ruleId") != "rule1" || r.URL.Query().Get("state") != "open" {
			http.Error(w, "bad filter", http.StatusBadRequest)
			return
		}
		if r.URL.Query().Get("cursor") == "" {
			_, _ = w.Write([]byte(`{"items":[{},{},{}],"nextCursor":"c2"}`))
			return
		}
		_, _ = w.Write([]byte(`{"items":[{}],"nextCursor":""}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	api := newPhaseClient(srv.URL)
	ctx := context.Background()

	if _, err := setupWebhook(ctx, api, "", "o1", "http://127.0.0.1:9/h", "sec"); err == nil || !strings.Contains(err.Error(), "--alerts-plugin") {
		t.Fatalf("no plugin and no archive: %v", err)
	}
	archive := t.TempDir() + "/webhook.tar.gz"
	if err := os.WriteFile(archive, []byte("ARCHIVE"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := setupWebhook(ctx, api, archive, "o1", "http://127.0.0.1:9/h", "sec")
	if err != nil || got != "breeze.webhook 1.0.0 (installed by the phase)" {
		t.Fatalf("%q %v", got, err)
	}
	inner, _ := settings["settings"].(map[string]any)
	if settings["enabled"] != true || inner["url"] != "http://127.0.0.1:9/h" || inner["secret"] != "sec" || calls["POST /api/v1/plugins/breeze.webhook/test"] != 1 {
		t.Fatalf("settings %v, calls %v", settings, calls)
	}
	id, grouping, err := createRoute(ctx, api, "o1", "latency", "0/0")
	if err != nil || id != "route1" || !strings.HasPrefix(grouping, "none") || calls["POST /api/v1/notification-routes"] != 2 {
		t.Fatalf("route %q %q %v after %v", id, grouping, err, calls)
	}
	// Asked grouping on a server without any: refused, no fallback.
	if _, _, err := createRoute(ctx, api, "o1", "storm", "5/60"); !hasStatus(err, http.StatusBadRequest) {
		t.Fatalf("grouping asked of a server without: %v", err)
	}
	if n, err := countAlerts(ctx, api, "rule1", "open"); n != 4 || err != nil {
		t.Fatalf("count %d %v", n, err)
	}
	if _, err := countAlerts(ctx, api, "other", "open"); !hasStatus(err, http.StatusBadRequest) {
		t.Fatalf("a refused count: %v", err)
	}
}

func TestAlertsFlags(t *testing.T) {
	t.Setenv("BREEZE_SIM_PASSWORD", "")
	base := []string{"--email", "a@b.c", "--password", "p", "--alerts", "--agents", "300"}
	for _, extra := range [][]string{
		{"--alerts-hot", "301"},
		{"--alerts-hot", "-1"},
		{"--alerts-for", "1500ms"},
		{"--alerts-for", "0s"},
		{"--alerts-offline", "90s"},
		{"--alerts-timeout", "0s"},
		{"--alerts-group", "5"},
		{"--alerts-group", "5/-1"},
		{"--alerts-group", "a/b"},
	} {
		if _, err := parseFlags(append(slices.Clone(base), extra...), io.Discard); err == nil {
			t.Errorf("%v accepted", extra)
		}
	}
	if _, err := parseFlags([]string{"--key-file", "k", "--alerts"}, io.Discard); err == nil {
		t.Error("--alerts without an admin accepted")
	}
	c, err := parseFlags(base, io.Discard)
	if err != nil || c.alertsHot != 200 || c.alertsDrop != 100 || c.alertsFor != 10*time.Second || c.alertsOffline != time.Minute {
		t.Fatalf("%+v %v", c, err)
	}
}
