package main

import (
	"context"
	"encoding/json"
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

// receiver is a Teams webhook (a Workflows trigger): it answers 202 to a
// message envelope holding one Adaptive Card, 400 otherwise, and keeps
// every body. answer, when set, overrides the answer to the i-th request (from 1).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
}

func newReceiver(t *testing.T, answer func(i int, w http.ResponseWriter, r *http.Request) bool) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, body)
		i := len(rc.bodies)
		rc.mu.Unlock()
		if answer != nil && answer(i, w, r) {
			return
		}
		var m struct {
			Type        string `json:"type"`
			Attachments []struct {
				ContentType string `json:"contentType"`
				Content     struct {
					Type string `json:"type"`
				} `json:"content"`
			} `json:"attachments"`
		}
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" ||
			json.Unmarshal(body, &m) != nil || m.Type != "message" || len(m.Attachments) != 1 ||
			m.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" || m.Attachments[0].Content.Type != "AdaptiveCard" {
			http.Error(w, "Invalid request", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) got() [][]byte {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([][]byte(nil), rc.bodies...)
}

func settingsFor(u string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"webhookUrl": u})
	return b
}

// fast is a channel with short tries and a fake host (whose egress, like an
// operator's allow-list, reaches the loopback receivers).
func fast() *Teams {
	s := New()
	s.post = sdk.PostOptions{Attempts: 3, Backoff: 10 * time.Millisecond, Timeout: 500 * time.Millisecond}
	s.SetHost(sdktest.NewFakeHost(nil))
	return s
}

var note = sdk.Notification{
	ID: "a1:triggered", OrgID: "org-1", DeviceID: "dev-1", DeviceName: "web-01", Severity: "critical",
	Status: "triggered", Title: "[critical] CPU > 90% & co", Message: "cpu.usage 97 > 90",
	Source: "breeze", URL: "https://breeze.example/alerts/a1", OccurredAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	Labels: map[string]string{"alertId": "a1", "ruleId": "r1", "kind": "metric_threshold"},
}

func TestConformance(t *testing.T) {
	rc := newReceiver(t, nil)
	sdktest.AlertChannelConformance(t, func(*testing.T) sdk.AlertChannel { return fast() }, sdktest.AlertChannelFixture{
		ValidSettings:   settingsFor(rc.URL + "/workflows/x/triggers/manual/paths/invoke"),
		InvalidSettings: json.RawMessage(`{"webhookUrl":"ftp://nope"}`),
	})
}

// The body is the documented Teams envelope: {"type":"message",
// "attachments":[{"contentType":"application/vnd.microsoft.card.adaptive",
// "contentUrl":null,"content":<Adaptive Card>}]}.
func TestMessageShape(t *testing.T) {
	for _, tc := range []struct {
		status, severity, color, verb string
	}{
		{"triggered", "critical", "Attention", "Triggered"},
		{"acknowledged", "warning", "Warning", "Acknowledged"},
		{"resolved", "critical", "Good", "Resolved"},
	} {
		t.Run(tc.status, func(t *testing.T) {
			rc := newReceiver(t, nil)
			n := note
			n.Status, n.Severity, n.Settings = tc.status, tc.severity, settingsFor(rc.URL)
			res, err := fast().Send(context.Background(), n)
			if err != nil || !res.Delivered || res.Attempts != 1 || res.Detail != "202 Accepted" {
				t.Fatalf("Send = %+v, %v", res, err)
			}
			want := map[string]any{
				"type": "message",
				"attachments": []any{map[string]any{
					"contentType": "application/vnd.microsoft.card.adaptive",
					"contentUrl":  nil,
					"content": map[string]any{
						"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
						"type":    "AdaptiveCard",
						"version": "1.4",
						"body": []any{
							map[string]any{"type": "TextBlock", "text": tc.verb + ": [critical] CPU > 90% & co",
								"size": "Large", "weight": "Bolder", "color": tc.color, "wrap": true},
							map[string]any{"type": "TextBlock", "text": "cpu.usage 97 > 90", "wrap": true},
							map[string]any{"type": "FactSet", "facts": []any{
								map[string]any{"title": "Severity", "value": tc.severity},
								map[string]any{"title": "Status", "value": tc.status},
								map[string]any{"title": "Device", "value": "web-01"},
								map[string]any{"title": "Occurred", "value": "2026-01-02T03:04:05Z"},
								map[string]any{"title": "Condition", "value": "metric_threshold"},
							}},
						},
						"actions": []any{map[string]any{"type": "Action.OpenUrl", "title": "Open in Breeze", "url": "https://breeze.example/alerts/a1"}},
						"msteams": map[string]any{"width": "Full"},
					},
				}},
			}
			var got map[string]any
			if err := json.Unmarshal(rc.got()[0], &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				g, _ := json.MarshalIndent(got, "", " ")
				w, _ := json.MarshalIndent(want, "", " ")
				t.Fatalf("body:\n%s\nwant:\n%s", g, w)
			}
		})
	}
}

func TestLongMessageIsCut(t *testing.T) {
	rc := newReceiver(t, nil)
	n := note
	n.Message, n.Settings = strings.Repeat("é", 50_000), settingsFor(rc.URL)
	if res, err := fast().Send(context.Background(), n); err != nil || !res.Delivered {
		t.Fatalf("Send = %+v, %v", res, err)
	}
	if b := rc.got()[0]; len(b) > 28<<10 {
		t.Fatalf("message is %d bytes; Teams takes about 28 KB", len(b))
	}
}

func TestServerErrorThenOK(t *testing.T) {
	rc := newReceiver(t, func(i int, w http.ResponseWriter, _ *http.Request) bool {
		if i == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			return true
		}
		return false
	})
	n := note
	n.Settings = settingsFor(rc.URL)
	res, err := fast().Send(context.Background(), n)
	if err != nil || !res.Delivered || res.Attempts != 2 || len(rc.got()) != 2 {
		t.Fatalf("Send = %+v, %v (%d requests); want delivered on the 2nd try", res, err, len(rc.got()))
	}
}

// A 4xx is final.
func TestClientErrorIsFinal(t *testing.T) {
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) bool {
		w.WriteHeader(http.StatusNotFound)
		return true
	})
	n := note
	n.Settings = settingsFor(rc.URL)
	res, err := fast().Send(context.Background(), n)
	if err != nil || res.Delivered || res.Attempts != 1 || res.Detail != "404 Not Found" {
		t.Fatalf("Send = %+v, %v; want one undelivered try", res, err)
	}
}

// A receiver that never answers costs the per-try timeout, not a hang.
func TestNeverAnswers(t *testing.T) {
	stop := make(chan struct{})
	rc := newReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) bool {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
		return true
	})
	defer close(stop)
	n := note
	n.Settings = settingsFor(rc.URL)
	start := time.Now()
	res, err := fast().Send(context.Background(), n)
	if err != nil || res.Delivered || res.Attempts != 3 || res.Detail != "delivery failed" {
		t.Fatalf("Send = %+v, %v; want 3 timed-out tries", res, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Send took %s; 3 tries of 0.5 s should end well within 5 s", d)
	}
}

func TestSecretURLNotEchoed(t *testing.T) {
	res, err := fast().Test(context.Background(), json.RawMessage(`{"webhookUrl":"prod.westeurope.logic.azure.com/workflows/SECRET"}`))
	if err != nil || res.OK || strings.Contains(res.Detail, "SECRET") {
		t.Fatalf("Test = %+v, %v; want refused without the URL", res, err)
	}
}

func TestManifestAndSchema(t *testing.T) {
	m, _, err := manifest.Load(".")
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != sdk.KindAlertChannel || m.ID != "breeze.teams" || !m.SettingsSchema.Properties["webhookUrl"].Secret {
		t.Fatalf("manifest %+v: want an alert channel with a secret webhookUrl", m)
	}
	if err := manifest.ValidateSettings(m.SettingsSchema, settingsFor("https://example.webhook.office.com/webhookb2/x")); err != nil {
		t.Fatalf("our own settings fail our schema: %v", err)
	}
}

func TestOnlySDKImports(t *testing.T) { sdktest.OnlySDKImports(t) }

func TestSubprocess(t *testing.T) {
	rc := newReceiver(t, nil)
	host := sdktest.NewFakeHost(settingsFor(rc.URL))
	ch := sdktest.Subprocess[sdk.AlertChannel](t, ".", sdk.KindAlertChannel, host)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if info, err := ch.Info(ctx); err != nil || info.Name != "teams" {
		t.Fatalf("Info = %+v, %v", info, err)
	}
	// No settings in the notification: the plugin asks the host over the broker.
	res, err := ch.Send(ctx, note)
	if err != nil || !res.Delivered || len(rc.got()) != 1 {
		t.Fatalf("Send through the real binary = %+v, %v (received %d)", res, err, len(rc.got()))
	}
	if tr, err := ch.Test(ctx, settingsFor(rc.URL)); err != nil || !tr.OK {
		t.Fatalf("Test through the real binary = %+v, %v", tr, err)
	}
}
