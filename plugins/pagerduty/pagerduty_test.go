package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/manifest"
	"github.com/breeze-rmm/breeze/sdk/sdktest"
)

const key = "R0UT1NGKEY0123456789abcdefABCDEF" // 32 characters, like PagerDuty's

// pd is an Events API v2 endpoint that keeps PagerDuty's rules: a 32
// character routing key, a known action, a dedup_key to act on, a payload
// with summary (≤ 1024), source and a known severity on trigger. It keeps
// incidents by dedup_key and answers 202 or 400 with PagerDuty's bodies.
type pd struct {
	*httptest.Server
	mu        sync.Mutex
	events    []map[string]any
	changes   []map[string]any
	incidents map[string]string // dedup_key → triggered, acknowledged, resolved
	answer    func(i int, w http.ResponseWriter, r *http.Request) bool
}

func newPD(t *testing.T, answer func(i int, w http.ResponseWriter, r *http.Request) bool) *pd {
	p := &pd{incidents: map[string]string{}, answer: answer}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v2/enqueue", p.enqueue)
	mux.HandleFunc("POST /v2/change/enqueue", p.change)
	mux.HandleFunc("POST /proxy/events", p.enqueue) // an eventsUrl of another shape
	p.Server = httptest.NewServer(mux)
	t.Cleanup(p.Close)
	return p
}

func invalid(w http.ResponseWriter, errs ...string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": "invalid event", "message": "Event object is invalid", "errors": errs})
}

func (p *pd) enqueue(w http.ResponseWriter, r *http.Request) {
	var ev map[string]any
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := json.Unmarshal(body, &ev); err != nil || r.Header.Get("Content-Type") != "application/json" {
		invalid(w, "Malformed JSON")
		return
	}
	p.events = append(p.events, ev)
	if p.answer != nil && p.answer(len(p.events), w, r) {
		return
	}
	if rk, _ := ev["routing_key"].(string); len(rk) != 32 {
		invalid(w, "Length of 'routing_key' is incorrect (should be 32 characters)")
		return
	}
	dk, _ := ev["dedup_key"].(string)
	switch ev["event_action"] {
	case "trigger":
		pl, _ := ev["payload"].(map[string]any)
		sum, _ := pl["summary"].(string)
		src, _ := pl["source"].(string)
		if sum == "" || len([]rune(sum)) > 1024 || src == "" || !strings.Contains("critical error warning info", fmt.Sprint(pl["severity"])) {
			invalid(w, "'payload' is invalid or missing")
			return
		}
		p.incidents[dk] = "triggered"
	case "acknowledge", "resolve":
		if dk == "" {
			invalid(w, "'dedup_key' is invalid or missing")
			return
		}
		if _, ok := p.incidents[dk]; ok {
			p.incidents[dk] = map[any]string{"acknowledge": "acknowledged", "resolve": "resolved"}[ev["event_action"]]
		}
	default:
		invalid(w, "'event_action' is missing or blank")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "message": "Event processed", "dedup_key": dk})
}

func (p *pd) change(w http.ResponseWriter, r *http.Request) {
	var ev map[string]any
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &ev); err != nil {
		invalid(w, "Malformed JSON")
		return
	}
	p.mu.Lock()
	p.changes = append(p.changes, ev)
	p.mu.Unlock()
	if rk, _ := ev["routing_key"].(string); len(rk) != 32 {
		invalid(w, "Length of 'routing_key' is incorrect (should be 32 characters)")
		return
	}
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"success","message":"Change event processed"}`)
}

func (p *pd) snapshot() ([]map[string]any, []map[string]any, map[string]string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	inc := map[string]string{}
	for k, v := range p.incidents {
		inc[k] = v
	}
	return append([]map[string]any(nil), p.events...), append([]map[string]any(nil), p.changes...), inc
}

func settingsFor(u string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"routingKey": key, "eventsUrl": u})
	return b
}

func fast() *PagerDuty {
	p := New()
	p.post = sdk.PostOptions{Attempts: 3, Backoff: 10 * time.Millisecond, Timeout: 500 * time.Millisecond}
	p.SetHost(sdktest.NewFakeHost(nil))
	return p
}

var note = sdktest.SampleNotification()

func TestConformance(t *testing.T) {
	p := newPD(t, nil)
	sdktest.AlertChannelConformance(t, func(*testing.T) sdk.AlertChannel { return fast() }, sdktest.AlertChannelFixture{
		ValidSettings:   settingsFor(p.URL + "/v2/enqueue"),
		InvalidSettings: json.RawMessage(`{"routingKey":"","eventsUrl":"ftp://nope"}`),
	})
}

// Trigger, acknowledge and resolve of one alert carry the alert's id as
// dedup_key (the notifications' own ids differ), so they act on one
// incident; the bodies are the documented Events API v2 shapes.
func TestOneIncidentPerAlert(t *testing.T) {
	p := newPD(t, nil)
	ch := fast()
	for _, status := range []string{"triggered", "acknowledged", "resolved"} {
		n := note
		n.ID, n.Status, n.Settings = "a1:"+status, status, settingsFor(p.URL+"/v2/enqueue")
		res, err := ch.Send(context.Background(), n)
		if err != nil || !res.Delivered || res.Attempts != 1 || res.Detail != "202 Accepted" {
			t.Fatalf("Send(%s) = %+v, %v", status, res, err)
		}
	}
	events, _, incidents := p.snapshot()
	if !reflect.DeepEqual(incidents, map[string]string{"a1": "resolved"}) {
		t.Fatalf("incidents %v; want a1 resolved", incidents)
	}
	wantTrigger := map[string]any{
		"routing_key": key, "event_action": "trigger", "dedup_key": "a1",
		"payload": map[string]any{
			"summary": "[critical] CPU > 90%", "source": "web-01", "severity": "critical",
			"timestamp": "2026-01-02T03:04:05Z", "component": "breeze", "group": "org-1", "class": "metric_threshold",
			"custom_details": map[string]any{
				"message": "cpu.usage 97 > 90", "notificationId": "a1:triggered", "orgId": "org-1", "deviceId": "dev-1",
				"deviceName": "web-01", "url": "https://breeze.example/alerts/a1",
				"labels": map[string]any{"alertId": "a1", "ruleId": "r1", "kind": "metric_threshold"},
			},
		},
		"client": "Breeze", "client_url": "https://breeze.example/alerts/a1",
		"links": []any{map[string]any{"href": "https://breeze.example/alerts/a1", "text": "Open in Breeze"}},
	}
	want := []map[string]any{
		wantTrigger,
		{"routing_key": key, "event_action": "acknowledge", "dedup_key": "a1"},
		{"routing_key": key, "event_action": "resolve", "dedup_key": "a1"},
	}
	if !reflect.DeepEqual(events, want) {
		g, _ := json.MarshalIndent(events, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("events:\n%s\nwant:\n%s", g, w)
	}
}

func TestSeverityMapping(t *testing.T) {
	for in, want := range map[string]string{"critical": "critical", "warning": "warning", "info": "info", "urgent": "error", "": "error"} {
		ev, err := event(sdk.Notification{ID: "x", Severity: in, Title: "t"}, key)
		if err != nil || ev.Payload.Severity != want {
			t.Errorf("severity %q → %+v, %v; want %q", in, ev.Payload, err, want)
		}
	}
}

func TestSummaryCapped(t *testing.T) {
	p := newPD(t, nil)
	n := note
	n.Title, n.Settings = strings.Repeat("ü", 3000), settingsFor(p.URL+"/v2/enqueue")
	if res, err := fast().Send(context.Background(), n); err != nil || !res.Delivered {
		t.Fatalf("Send = %+v, %v (PagerDuty refuses a summary over 1024 characters)", res, err)
	}
	events, _, _ := p.snapshot()
	if s := events[0]["payload"].(map[string]any)["summary"].(string); len([]rune(s)) != 1024 {
		t.Fatalf("summary has %d characters, want 1024", len([]rune(s)))
	}
}

// A 400 is final and says what PagerDuty said.
func TestInvalidEventIsFinal(t *testing.T) {
	p := newPD(t, nil)
	n := note
	n.Settings = json.RawMessage(`{"routingKey":"short","eventsUrl":"` + p.URL + `/v2/enqueue"}`)
	res, err := fast().Send(context.Background(), n)
	want := "400 Bad Request: Event object is invalid: Length of 'routing_key' is incorrect (should be 32 characters)"
	if err != nil || res.Delivered || res.Attempts != 1 || res.Detail != want {
		t.Fatalf("Send = %+v, %v; want one try, detail %q", res, err, want)
	}
}

func TestRetryableAnswers(t *testing.T) {
	for _, code := range []int{http.StatusInternalServerError, http.StatusTooManyRequests, http.StatusBadGateway} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			p := newPD(t, func(i int, w http.ResponseWriter, _ *http.Request) bool {
				if i == 1 {
					w.WriteHeader(code)
					return true
				}
				return false
			})
			n := note
			n.Settings = settingsFor(p.URL + "/v2/enqueue")
			res, err := fast().Send(context.Background(), n)
			if err != nil || !res.Delivered || res.Attempts != 2 {
				t.Fatalf("Send after a %d = %+v, %v; want delivered on the 2nd try", code, res, err)
			}
		})
	}
}

// Only 202 means PagerDuty took the event.
func TestOtherSuccessIsNotDelivered(t *testing.T) {
	p := newPD(t, func(_ int, w http.ResponseWriter, _ *http.Request) bool { w.WriteHeader(http.StatusOK); return true })
	n := note
	n.Settings = settingsFor(p.URL + "/v2/enqueue")
	if res, err := fast().Send(context.Background(), n); err != nil || res.Delivered {
		t.Fatalf("Send answered 200 = %+v, %v; want not delivered", res, err)
	}
}

func TestNeverAnswers(t *testing.T) {
	stop := make(chan struct{})
	p := newPD(t, func(_ int, _ http.ResponseWriter, r *http.Request) bool {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
		return true
	})
	defer close(stop)
	n := note
	n.Settings = settingsFor(p.URL + "/v2/enqueue")
	start := time.Now()
	res, err := fast().Send(context.Background(), n)
	if err != nil || res.Delivered || res.Attempts != 3 || res.Detail != "delivery failed" {
		t.Fatalf("Send = %+v, %v; want 3 timed-out tries", res, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Send took %s", d)
	}
}

func TestAcknowledgeNeedsTheAlertID(t *testing.T) {
	p := newPD(t, nil)
	n := note
	n.Status, n.Labels, n.Settings = "acknowledged", nil, settingsFor(p.URL+"/v2/enqueue")
	if _, err := fast().Send(context.Background(), n); err == nil || !strings.Contains(err.Error(), "alertId") {
		t.Fatalf("Send(acknowledged without alertId) = %v; want an invalid-input error", err)
	}
	n.Status = "escalated"
	if _, err := fast().Send(context.Background(), n); err == nil {
		t.Fatal("Send(unknown status): want an error")
	}
}

// Test pages no one: a change event on the change endpoint.
func TestTestSendsAChangeEvent(t *testing.T) {
	p := newPD(t, nil)
	res, err := fast().Test(context.Background(), settingsFor(p.URL+"/v2/enqueue"))
	events, changes, _ := p.snapshot()
	if err != nil || !res.OK || len(events) != 0 || len(changes) != 1 || changes[0]["routing_key"] != key {
		t.Fatalf("Test = %+v, %v; events %v, changes %v", res, err, events, changes)
	}
	if res, _ := fast().Test(context.Background(), json.RawMessage(`{"routingKey":"short","eventsUrl":"`+p.URL+`/v2/enqueue"}`)); res.OK {
		t.Fatalf("Test with a bad key = %+v; want not OK", res)
	}
	// Elsewhere there is no change endpoint to assume: a trigger and its resolve.
	res, err = fast().Test(context.Background(), settingsFor(p.URL+"/proxy/events"))
	events, _, incidents := p.snapshot()
	if err != nil || !res.OK || len(events) != 2 || events[0]["event_action"] != "trigger" || events[1]["event_action"] != "resolve" ||
		events[0]["dedup_key"] != events[1]["dedup_key"] || incidents[events[0]["dedup_key"].(string)] != "resolved" {
		t.Fatalf("Test on %s = %+v, %v; events %v", p.URL+"/proxy/events", res, err, events)
	}
}

func TestManifestAndSchema(t *testing.T) {
	m, _, err := manifest.Load(".")
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != sdk.KindAlertChannel || m.ID != "breeze.pagerduty" || !m.SettingsSchema.Properties["routingKey"].Secret ||
		m.SettingsSchema.Properties["eventsUrl"].Default != DefaultEventsURL {
		t.Fatalf("manifest %+v", m)
	}
	if err := manifest.ValidateSettings(m.SettingsSchema, settingsFor(DefaultEventsURL)); err != nil {
		t.Fatalf("our own settings fail our schema: %v", err)
	}
	if st, err := parseSettings(json.RawMessage(`{"routingKey":"` + key + `"}`)); err != nil || st.EventsURL != DefaultEventsURL {
		t.Fatalf("default eventsUrl: %+v, %v", st, err)
	}
}

func TestOnlySDKImports(t *testing.T) { sdktest.OnlySDKImports(t) }

func TestSubprocess(t *testing.T) {
	p := newPD(t, nil)
	host := sdktest.NewFakeHost(settingsFor(p.URL + "/v2/enqueue"))
	ch := sdktest.Subprocess[sdk.AlertChannel](t, ".", sdk.KindAlertChannel, host)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if info, err := ch.Info(ctx); err != nil || info.Name != "pagerduty" {
		t.Fatalf("Info = %+v, %v", info, err)
	}
	for _, status := range []string{"triggered", "resolved"} {
		n := note
		n.ID, n.Status = "a1:"+status, status
		if res, err := ch.Send(ctx, n); err != nil || !res.Delivered {
			t.Fatalf("Send(%s) through the real binary = %+v, %v", status, res, err)
		}
	}
	if _, _, inc := p.snapshot(); inc["a1"] != "resolved" {
		t.Fatalf("incidents %v", inc)
	}
}
